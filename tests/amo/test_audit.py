"""The audit trail (amo/audit.py): every change to an application (a booking cancelled or moved), a
payment, a refund, a document, an organization, a membership, a rotation or a block is recorded by
the database with who made it (the person behind a request, an API token's owner, a Celery task, a
seeding command) and what changed, whichever way it was written; staff read it on each record's
History page and on the Audit events list, and neither the events nor the ledger can be changed
afterwards."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from amo.audit import object_history
from amo.models import AuditEvent
from amo.services import api_token_create
from amo.text import day_label
from applicants.models import Application, Document
from applicants.tasks import holds_sweep
from hosts import services as host_services
from hosts.models import Accreditation, Membership, Organization
from payments.models import LedgerEntry, Payment, Refund
from rotations.models import Block, Rotation
from rotations.services import seat_take
from tests.amo.test_admin_walk import _form_data
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    OwnerFactory,
    PreceptorFactory,
    RotationFactory,
    StaffFactory,
    UserFactory,
    totp_activate,
)
from tests.hosts.conftest import login, submitted
from tests.hosts.test_mfa import current_code
from tests.payments.stripe_helpers import confirmed_booking
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db
S = Application.Status


def last_event(obj):
    """The newest event of `obj` and the context it was recorded under (empty without one)."""
    event = obj.events.select_related("pgh_context").order_by("-pgh_id").first()
    assert event is not None, f"no event recorded for {obj!r}"
    return event, (event.pgh_context.metadata if event.pgh_context else {})


def changes_of(entry) -> dict[str, tuple[str, str]]:
    return {change.field: (change.old, change.new) for change in entry.changes}


def staff_in_admin(client):
    """A staff member signed in as staff must be: password, then the authenticator app's code."""
    staff = StaffFactory(totp=False)
    EmailAddressFactory(user=staff)
    secret = totp_activate(staff)
    client.post(reverse("account_login") + "?next=/admin/", {"login": staff.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert client.get(reverse("admin:index")).status_code == 200
    return staff


# --- Who acted, for every tracked model -----------------------------------------------------------


def test_an_application_withdrawn_through_the_api_names_the_token_owner():
    application = submitted()
    user = application.applicant.user
    EmailAddressFactory(user=user)
    _, secret = api_token_create(user=user, name="script", lifetime_days=30)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")  # no session: DRF sets the user in the view

    response = api.post(
        f"/api/v1/applications/{application.pk}/withdraw/", {"reason": "Plans"}, format="json"
    )

    assert response.status_code == 200
    event, context = last_event(application)
    assert (event.pgh_label, event.status) == ("update", S.WITHDRAWN)
    assert context == {"user": user.pk, "url": f"/api/v1/applications/{application.pk}/withdraw/"}
    newest = object_history(application)[0]
    assert (newest.actor, newest.action) == (user.email, "Changed")
    assert changes_of(newest)["status"] == ("Submitted", "Withdrawn")


@pytest.mark.celery_worker
def test_an_offer_expired_by_the_sweep_on_a_real_worker_names_the_task(celery_worker):
    deadline = timezone.now() + timedelta(hours=1)
    offered = ApplicationFactory(status=S.OFFERED, submitted_at=timezone.now(), seat=deadline)

    with time_machine.travel(deadline + timedelta(minutes=1)):
        holds_sweep.apply_async()  # as beat sends it
        wait_until(
            lambda: Application.objects.filter(pk=offered.pk, status=S.EXPIRED).exists(),
            what="the worker expiring the lapsed offer",
        )

    event, context = last_event(offered)
    assert event.status == S.EXPIRED
    assert context == {"task": "applicants.tasks.holds_sweep"}
    assert object_history(offered)[0].actor == "task applicants.tasks.holds_sweep"


def test_a_payment_recorded_in_the_admin_names_the_staff_member_and_the_booking_it_confirmed(client):
    staff = staff_in_admin(client)
    application = ApplicationFactory(status=S.AWAITING_PAYMENT, submitted_at=timezone.now())
    client.post(
        reverse("admin:payments_payment_record_received", args=[application.pk]),
        {"purpose": "deposit", "method": "bank_transfer", "reference": "TRF 2026-0118"},
    )

    payment = Payment.objects.get(application=application)
    event, context = last_event(payment)
    assert (event.pgh_label, event.status, event.amount_cents) == ("insert", "succeeded", 50_000)
    assert context["user"] == staff.pk
    # The hand-off confirmed the booking in the same request: the same person, the same context.
    booking_event, booking_context = last_event(application)
    assert booking_event.status == S.CONFIRMED
    assert booking_context == context and booking_event.pgh_context_id == event.pgh_context_id


def test_a_refund_made_in_the_admin_names_the_staff_member_and_shows_the_payment_refunded(client):
    deposit = Payment.objects.get(application=confirmed_booking(), purpose=Payment.Purpose.DEPOSIT)
    staff = staff_in_admin(client)

    done = client.post(
        reverse("admin:payments_payment_refund", args=[deposit.pk]), {"amount": "123.45", "note": "Goodwill."}
    )

    assert done.status_code == 302
    refund = Refund.objects.get(payment=deposit)
    event, context = last_event(refund)
    assert (event.amount_cents, context["user"]) == (12_345, staff.pk)
    entry = object_history(deposit)[0]
    assert entry.actor == staff.email
    assert changes_of(entry)["refunded cents"] == ("$0.00", "$123.45")


def test_a_document_verified_in_the_admin_names_the_staff_member(client):
    document = DocumentFactory(verification_status=Document.VerificationStatus.PENDING)
    staff = staff_in_admin(client)

    client.post(
        reverse("admin:applicants_document_changelist"),
        {"action": "verify", "_selected_action": [document.pk]},
    )

    entry = object_history(document)[0]
    assert (entry.actor, entry.action) == (staff.email, "Changed")
    assert changes_of(entry)["verification status"] == ("Pending verification", "Verified")
    assert changes_of(entry)["verified by"] == ("—", f"#{staff.pk}")


def test_an_organization_whose_verification_staff_withdraw_in_the_admin_names_the_staff_member(client):
    organization = OrganizationFactory(is_verified=True)
    staff = staff_in_admin(client)

    answer = client.post(
        reverse("admin:hosts_organization_withdraw_verification") + f"?ids={organization.pk}",
        {"reason": "Its license lapsed."},
    )

    assert answer.status_code == 302
    entry = object_history(organization)[0]
    assert entry.actor == staff.email
    assert changes_of(entry)["is verified"] == ("yes", "no")


def test_a_member_joining_by_invitation_and_removed_later_shows_on_the_organizations_history(client):
    invitation = InvitationFactory(email="dana@example.test", role="coordinator")
    invitee = UserFactory(email="dana@example.test")
    client.force_login(invitee)
    token = host_services.invitation_token(invitation)

    assert client.post(reverse("hosts:invitation_accept", kwargs={"token": token})).status_code == 302

    membership = Membership.objects.get(user=invitee)
    event, context = last_event(membership)
    assert (event.pgh_label, event.role, context["user"]) == ("insert", "coordinator", invitee.pk)
    record = f"Membership {membership.pk}"
    host_services.membership_remove(membership=membership)  # gone from the table, kept in history
    history = object_history(invitation.organization, related=[(Membership, "organization")])
    assert [(entry.record, entry.action) for entry in history[:2]] == [
        (record, "Deleted"),
        (record, "Created"),
    ]
    assert history[1].actor == invitee.email


def test_a_rotation_published_from_the_host_dashboard_names_the_member(client):
    owner = MembershipFactory(role=Membership.Role.COORDINATOR)
    rotation = RotationFactory(organization=owner.organization, status=Rotation.Status.DRAFT)
    BlockFactory(rotation=rotation)
    login(client, owner)

    assert client.post(reverse("hosts:rotation_publish", args=[rotation.pk])).status_code == 302

    entry = object_history(rotation)[0]
    assert entry.actor == owner.user.email
    assert changes_of(entry)["status"] == ("Draft", "Published")


def test_a_blocks_capacity_changed_from_the_host_page_names_the_member_on_the_rotations_history(client):
    coordinator = MembershipFactory(role=Membership.Role.COORDINATOR)
    block = BlockFactory(rotation__organization=coordinator.organization, capacity=3)
    login(client, coordinator)
    data = {"start_date": block.start_date, "weeks": block.weeks, "capacity": 5, "apply_by": block.apply_by}

    assert client.post(reverse("hosts:block_update", args=[block.pk]), data).status_code == 302

    _, context = last_event(block)
    assert context["user"] == coordinator.user.pk
    newest = object_history(block.rotation, related=[(Block, "rotation")])[0]
    assert (newest.record, newest.actor) == (f"Block {block.pk}", coordinator.user.email)
    assert changes_of(newest) == {"capacity": ("3", "5")}


def test_a_seeding_command_names_itself():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - closed with the process

    organization = Organization.objects.order_by("pk").first()
    _, context = last_event(organization)
    assert context == {"command": "seed_demo"}


# --- Every write, and only what is worth keeping --------------------------------------------------


def test_a_queryset_update_no_signal_sees_is_recorded_too():
    block = BlockFactory(capacity=3)

    Block.objects.filter(pk=block.pk).update(capacity=4)  # no save(), no signal, no context

    event, context = last_event(block)
    assert (event.pgh_label, event.capacity, context) == ("update", 4, {})
    assert object_history(block)[0].actor == "no one recorded (a migration or the database directly)"


def test_a_list_of_choices_reads_as_their_labels():
    rotation = RotationFactory(required_document_kinds=["cv"])

    Rotation.objects.filter(pk=rotation.pk).update(required_document_kinds=["cv", "passport"])

    assert changes_of(object_history(rotation)[0])["required document kinds"] == ("CV", "CV, Passport")


def test_taking_a_seat_records_the_application_but_no_block_event():
    block = BlockFactory(capacity=3)
    before = block.events.count()

    with transaction.atomic():
        application = ApplicationFactory(block=block, status=S.SUBMITTED, submitted_at=timezone.now())
        seat_take(
            block_id=block.pk,
            application_id=application.pk,
            kind="offer",
            expires_at=timezone.now() + timedelta(days=7),
        )

    block.refresh_from_db()
    assert block.seats_taken == 1
    assert block.events.count() == before  # seats_taken moves with every seat; its holds are its history
    assert application.events.exists()


def test_the_payments_client_secret_and_an_applicants_own_words_stay_out_of_history():
    payment_fields = {field.name for field in Payment.events.field.model._meta.fields}
    application_fields = {field.name for field in Application.events.field.model._meta.fields}
    document_fields = {field.name for field in Document.events.field.model._meta.fields}
    assert "client_secret" not in payment_fields and "amount_cents" in payment_fields
    assert "personal_statement" not in application_fields and "status" in application_fields
    assert "original_filename" not in document_fields and "verification_status" in document_fields


def test_events_and_ledger_entries_cannot_be_changed_or_deleted():
    application = ApplicationFactory()
    event = application.events.get()
    ledger = LedgerEntry.objects.create(
        organization=application.block.rotation.organization, kind="payout", amount_cents=-100, currency="usd"
    )
    for attempt in [
        lambda: type(event).objects.filter(pk=event.pk).update(pgh_label="forged"),
        lambda: type(event).objects.filter(pk=event.pk).delete(),
        lambda: LedgerEntry.objects.filter(pk=ledger.pk).update(amount_cents=-1),
        lambda: LedgerEntry.objects.filter(pk=ledger.pk).delete(),
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert type(event).objects.get(pk=event.pk).pgh_label == "insert"
    assert LedgerEntry.objects.get(pk=ledger.pk).amount_cents == -100


# --- Where staff read it ----------------------------------------------------------------------------


def test_the_history_page_shows_who_when_and_each_fields_old_and_new_value(client):
    document = DocumentFactory(verification_status=Document.VerificationStatus.PENDING)
    staff = staff_in_admin(client)
    client.post(
        reverse("admin:applicants_document_changelist"),
        {"action": "verify", "_selected_action": [document.pk]},
    )

    page = client.get(reverse("admin:applicants_document_history", args=[document.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('class="audit-entry"') == 2  # uploaded, then verified
    assert staff.email in text and "/admin/applicants/document/" in text
    assert "<strong>Verification status</strong>: Pending verification → Verified" in text
    assert "2 changes" in text


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("admin:applicants_application_history", lambda: ApplicationFactory()),
        (
            "admin:payments_payment_history",
            lambda: Payment.objects.filter(application=confirmed_booking())[0],
        ),
        ("admin:payments_refund_history", None),
        ("admin:hosts_organization_history", lambda: OrganizationFactory()),
        ("admin:rotations_rotation_history", lambda: RotationFactory()),
        ("admin:rotations_block_history", lambda: BlockFactory()),
        ("admin:hosts_membership_history", lambda: MembershipFactory()),
    ],
)
def test_each_tracked_records_admin_page_has_its_history(client, name, make):
    if make is None:
        payment = Payment.objects.filter(application=confirmed_booking())[0]
        obj = Refund.objects.create(payment=payment, amount_cents=100, reason="staff", status="pending")
    else:
        obj = make()
    client.force_login(StaffFactory())

    page = client.get(reverse(name, args=[obj.pk]))

    assert page.status_code == 200
    assert 'class="audit-entry"' in page.content.decode()
    change = client.get(reverse(name.replace("_history", "_change"), args=[obj.pk])).content.decode()
    assert reverse(name, args=[obj.pk]) in change  # the change page's History button leads there


def test_every_tracked_models_admin_shows_its_audit_trail_as_its_history():
    """The audit events list links each event to its record's History page: each must be ours."""
    from django.apps import apps
    from django.contrib import admin

    from amo.audit_admin import AuditHistoryMixin

    tracked = {model.pgh_tracked_model for model in apps.get_models() if hasattr(model, "pgh_tracked_model")}
    assert len(tracked) >= 8
    plain = sorted(
        model._meta.label
        for model in tracked
        if not isinstance(admin.site._registry.get(model), AuditHistoryMixin)
    )
    assert plain == []


def test_the_history_page_needs_permission_to_see_the_record(client):
    application = ApplicationFactory()
    clerk = StaffFactory(is_superuser=False)
    client.force_login(clerk)
    assert (
        client.get(reverse("admin:applicants_application_history", args=[application.pk])).status_code == 403
    )


def test_the_audit_events_list_filters_by_record_person_and_action_and_changes_nothing(client):
    # Made first: a test runs in one transaction, where the context a request set stays set after it.
    BlockFactory()
    organization = OrganizationFactory(is_verified=True)
    staff = staff_in_admin(client)
    client.post(
        reverse("admin:hosts_organization_withdraw_verification") + f"?ids={organization.pk}",
        {"reason": "Its license lapsed."},
    )
    url = reverse("admin:amo_auditevent_changelist")

    def listed(**filters) -> list[tuple[str, str]]:
        page = client.get(url, filters)
        assert page.status_code == 200
        return [(event.pgh_obj_model, event.pgh_label) for event in page.context["cl"].result_list]

    assert {"hosts.Organization", "rotations.Block"} <= {model for model, _ in listed()}
    assert listed(user=staff.pk) == [("hosts.Organization", "update")]
    assert listed(actor="staff", record="hosts.organization") == [("hosts.Organization", "update")]
    assert listed(record="rotations.block", action="update") == []
    assert listed(record="rotations.block") == [("rotations.Block", "insert")]
    assert listed(record="amo.user") == listed(record="nonsense") == listed(user="me") == []
    page = client.get(url, {"user": staff.pk}).content.decode()
    assert staff.email in page and "Is verified: yes → no" in page
    assert client.get(reverse("admin:amo_auditevent_add")).status_code == 403
    assert "delete_selected" not in page


def test_the_audit_events_list_costs_the_same_queries_for_few_or_many_events(
    client, django_assert_max_num_queries
):
    client.force_login(StaffFactory())
    url = reverse("admin:amo_auditevent_changelist")
    BlockFactory()
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    for _ in range(20):
        BlockFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    assert AuditEvent.objects.count() > 40


# --- One test per kind of change staff make in the admin: who, what, and on the History page -------


def newest_changing(history, field: str):
    """The newest entry of a history that changed `field` (a request may write a row twice)."""
    entry = next((entry for entry in history if field in changes_of(entry)), None)
    assert entry is not None, f"no entry changed {field}: {history}"
    return entry


def on_its_history_page(client, obj, *lines: str) -> str:
    """The object's admin History page, read as a founder, showing each of `lines`."""
    founder = Client()
    founder.force_login(StaffFactory())
    meta = obj._meta
    page = founder.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    for line in lines:
        assert line in text, line
    return text


def test_a_booking_cancelled_in_the_admin_names_the_staff_member_on_its_history_page(client):
    booking = confirmed_booking(days_before_start=75)
    staff = StaffFactory()
    client.force_login(staff)

    done = client.post(
        reverse("admin:applicants_application_cancel", args=[booking.pk]),
        {"reason": "The host closed the ward.", "refund": "policy"},
    )

    assert done.status_code == 302
    entry = newest_changing(object_history(booking), "status")
    assert (entry.actor, changes_of(entry)["status"]) == (staff.email, ("Confirmed", "Cancelled"))
    on_its_history_page(client, booking, staff.email, "<strong>Status</strong>: Confirmed → Cancelled")
    refund = Refund.objects.get(payment__application=booking)
    assert last_event(refund)[1]["user"] == staff.pk
    on_its_history_page(client, refund, staff.email, "Created")


def test_a_booking_moved_in_the_admin_names_the_staff_member_and_both_blocks(client):
    booking = ApplicationFactory(status=S.CONFIRMED)
    block = booking.block
    later = BlockFactory(
        rotation=block.rotation, start_date=block.start_date + (block.start_date - block.apply_by)
    )
    staff = StaffFactory()
    client.force_login(staff)

    moved = client.post(
        reverse("admin:applicants_application_move", args=[booking.pk]),
        {"to_block": later.pk, "reason": "The host asked."},
    )

    assert moved.status_code == 302
    entry = newest_changing(object_history(booking), "block")
    assert (entry.actor, changes_of(entry)["block"]) == (staff.email, (f"#{block.pk}", f"#{later.pk}"))
    on_its_history_page(client, booking, staff.email, f"<strong>Block</strong>: #{block.pk} → #{later.pk}")


def test_a_document_rejected_in_the_admin_names_the_staff_member_and_the_reason(client):
    document = DocumentFactory(verification_status=Document.VerificationStatus.PENDING)
    staff = StaffFactory()
    client.force_login(staff)

    client.post(
        reverse("admin:applicants_document_changelist"),
        {"action": "reject", "_selected_action": [document.pk], "reason": "The scan is unreadable."},
    )

    entry = object_history(document)[0]
    assert entry.actor == staff.email
    assert changes_of(entry)["verification status"] == ("Pending verification", "Rejected")
    assert "The scan is unreadable." in {new for _, new in changes_of(entry).values()}
    on_its_history_page(
        client, document, staff.email, "<strong>Verification status</strong>: Pending verification → Rejected"
    )


def test_an_organization_verified_in_the_admin_names_the_staff_member(client):
    organization = OrganizationFactory(is_verified=False)
    preceptor = PreceptorFactory(organization=organization)
    staff = StaffFactory()
    client.force_login(staff)

    done = client.post(
        reverse("admin:hosts_organization_record_verification", args=[organization.pk]),
        {
            "accreditation": Accreditation.JOINT_COMMISSION,
            "accreditation_reference": "TJC-77120",
            f"p{preceptor.pk}_npi_number": preceptor.npi_number,
            f"p{preceptor.pk}_license_number": "036-123456",
            f"p{preceptor.pk}_license_state": "IL",
            f"p{preceptor.pk}_checked_on": timezone.localdate().isoformat(),
        },
    )

    assert done.status_code == 302
    entry = newest_changing(object_history(organization), "is verified")
    assert (entry.actor, changes_of(entry)["is verified"]) == (staff.email, ("no", "yes"))
    on_its_history_page(client, organization, staff.email, "<strong>Is verified</strong>: no → yes")


def test_an_organizations_field_edited_in_the_admin_names_the_staff_member(client):
    organization = OrganizationFactory(city="Springfield")
    staff = StaffFactory()
    client.force_login(staff)
    url = reverse("admin:hosts_organization_change", args=[organization.pk])
    data = _form_data(client.get(url))
    data["city"] = "Shelbyville"

    saved = client.post(url, data)

    assert saved.status_code == 302, saved.context and saved.context["adminform"].form.errors
    entry = object_history(organization)[0]
    assert (entry.actor, changes_of(entry)) == (staff.email, {"city": ("Springfield", "Shelbyville")})
    on_its_history_page(client, organization, staff.email, "<strong>City</strong>: Springfield → Shelbyville")


def test_a_member_removed_in_the_admin_names_the_staff_member_on_the_organizations_history_page(client):
    owner = OwnerFactory()
    coordinator = MembershipFactory(organization=owner.organization)
    staff = StaffFactory()
    client.force_login(staff)

    client.post(
        reverse("admin:hosts_membership_changelist"),
        {"action": "remove_member", "_selected_action": [coordinator.pk]},
    )

    assert not Membership.objects.filter(pk=coordinator.pk).exists()
    history = object_history(owner.organization, related=[(Membership, "organization")])
    assert (history[0].record, history[0].action, history[0].actor) == (
        f"Membership {coordinator.pk}",
        "Deleted",
        staff.email,
    )
    on_its_history_page(client, owner.organization, staff.email, f"Deleted Membership {coordinator.pk}")


def test_a_rotation_edited_in_the_admin_names_the_staff_member(client):
    rotation = RotationFactory(status=Rotation.Status.DRAFT, title="Cardiology clerkship")
    staff = StaffFactory()
    client.force_login(staff)
    url = reverse("admin:rotations_rotation_change", args=[rotation.pk])
    data = _form_data(client.get(url))
    data["title"] = "Cardiology sub-internship"

    saved = client.post(url, data)

    assert saved.status_code == 302, saved.context and saved.context["adminform"].form.errors
    entry = newest_changing(object_history(rotation), "title")
    assert (entry.actor, changes_of(entry)["title"]) == (
        staff.email,
        ("Cardiology clerkship", "Cardiology sub-internship"),
    )
    on_its_history_page(
        client,
        rotation,
        staff.email,
        "<strong>Title</strong>: Cardiology clerkship → Cardiology sub-internship",
    )


def test_a_rotation_published_in_the_admin_names_the_staff_member(client):
    rotation = BlockFactory(rotation__status=Rotation.Status.DRAFT).rotation
    staff = StaffFactory()
    client.force_login(staff)

    client.post(
        reverse("admin:rotations_rotation_changelist"),
        {"action": "publish", "_selected_action": [rotation.pk]},
    )

    entry = newest_changing(object_history(rotation), "status")
    assert (entry.actor, changes_of(entry)["status"]) == (staff.email, ("Draft", "Published"))
    on_its_history_page(client, rotation, staff.email, "<strong>Status</strong>: Draft → Published")


def test_a_blocks_dates_and_capacity_changed_in_the_admin_show_on_the_rotations_history_page(client):
    block = BlockFactory(capacity=3)
    start = block.start_date
    staff = StaffFactory()
    client.force_login(staff)

    saved = client.post(
        reverse("admin:rotations_rotation_block_change", args=[block.rotation_id, block.pk]),
        {
            "start_date": (start + timedelta(days=7)).isoformat(),
            "weeks": block.weeks,
            "capacity": 5,
            "apply_by": block.apply_by.isoformat(),
        },
    )

    assert saved.status_code == 302
    history = object_history(block.rotation, related=[(Block, "rotation")])
    capacity, dates = newest_changing(history, "capacity"), newest_changing(history, "start date")
    assert {(entry.record, entry.actor) for entry in [capacity, dates]} == {
        (f"Block {block.pk}", staff.email)
    }
    assert changes_of(capacity)["capacity"] == ("3", "5")
    assert changes_of(dates)["start date"] == (day_label(start), day_label(start + timedelta(days=7)))
    on_its_history_page(
        client,
        block.rotation,
        staff.email,
        f"Changed Block {block.pk}",
        "<strong>Capacity</strong>: 3 → 5",
        f"<strong>Start date</strong>: {day_label(start)} → {day_label(start + timedelta(days=7))}",
    )


def test_an_application_state_change_shows_on_its_history_page():
    application = submitted()
    user = application.applicant.user
    EmailAddressFactory(user=user)
    _, secret = api_token_create(user=user, name="script", lifetime_days=30)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    assert (
        api.post(
            f"/api/v1/applications/{application.pk}/withdraw/", {"reason": "Plans"}, format="json"
        ).status_code
        == 200
    )

    on_its_history_page(None, application, user.email, "<strong>Status</strong>: Submitted → Withdrawn")


def test_a_payment_and_a_refund_show_on_their_history_pages(client):
    deposit = Payment.objects.get(application=confirmed_booking(), purpose=Payment.Purpose.DEPOSIT)
    staff = StaffFactory()
    client.force_login(staff)

    client.post(
        reverse("admin:payments_payment_refund", args=[deposit.pk]), {"amount": "10.00", "note": "Goodwill."}
    )

    on_its_history_page(client, deposit, staff.email, "<strong>Refunded cents</strong>: $0.00 → $10.00")
    on_its_history_page(client, Refund.objects.get(payment=deposit), staff.email, "Created")
