"""Least privilege: the three staff groups of amo/migrations/0012_staff_groups.py. Support reads and
changes nothing private; a placement coordinator opens documents, letters and evaluations, each
opening logged; finance refunds but opens no document."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from amo.models import StaffAccess
from amo.staff_groups import FINANCE, PLACEMENT_COORDINATOR, SUPPORT
from applicants.models import Document, Evaluation, LetterFileAccess
from hosts.models import Invitation, Membership
from payments.models import LedgerEntry, Payment, Refund
from tests.admin_pages import member_of
from tests.amo.test_admin_walk import _decided_visa_denial
from tests.applicants.letters import booking_with_author, letter_requested, letter_uploaded
from tests.applicants.test_evaluations import submit
from tests.factories import DocumentFactory, MembershipFactory, StaffFactory, completed_booking
from tests.payments.stripe_helpers import confirmed_booking

pytestmark = pytest.mark.django_db


def document_url(document) -> str:
    return reverse("applicants:document_file", args=[document.pk])


def letter_url(version) -> str:
    return reverse(
        "admin:applicants_letterrequest_version_file", args=[version.letter_request_id, version.number]
    )


def evaluation_url(evaluation) -> str:
    return reverse("admin:applicants_evaluation_change", args=[evaluation.pk])


@pytest.fixture
def private(private_storage):
    """A document, a letter's uploaded version and an evaluation."""
    booking = booking_with_author()
    (version,) = letter_uploaded(booking, letter_requested(booking), texts=["A fine student."])
    evaluation = submit(completed_booking(), StaffFactory())
    return DocumentFactory(), version, evaluation


def test_support_is_refused_documents_letters_and_evaluations_and_nothing_is_logged(client, private):
    document, version, evaluation = private
    client.force_login(member_of(SUPPORT))
    for url in [document_url(document), letter_url(version), evaluation_url(evaluation)]:
        assert client.get(url).status_code == 403, url
    assert not StaffAccess.objects.exists() and not LetterFileAccess.objects.exists()
    # It still reads the lists around them.
    assert client.get(reverse("admin:applicants_document_changelist")).status_code == 200
    assert client.get(reverse("admin:applicants_letterrequest_changelist")).status_code == 200


def test_a_placement_coordinator_opens_each_and_every_opening_is_logged(client, private):
    document, version, evaluation = private
    coordinator = member_of(PLACEMENT_COORDINATOR)
    client.force_login(coordinator)
    for url in [document_url(document), letter_url(version), evaluation_url(evaluation)]:
        assert client.get(url).status_code == 200, url
    logged = {
        (access.object_type.model, access.object_id, access.page) for access in StaffAccess.objects.all()
    }
    assert logged == {
        ("document", document.pk, document_url(document)),
        ("evaluation", evaluation.pk, evaluation_url(evaluation)),
    }
    assert all(access.user == coordinator for access in StaffAccess.objects.all())
    assert LetterFileAccess.objects.get().user == coordinator
    # A founder reads the log in the admin, filtered by what was opened.
    client.force_login(StaffFactory())
    evaluations = StaffAccess.objects.get(object_type__model="evaluation").object_type_id
    log = client.get(reverse("admin:amo_staffaccess_changelist"), {"object_type__id__exact": evaluations})
    assert log.status_code == 200 and log.context["cl"].result_count == 1


def test_finance_refunds_but_opens_no_document_letter_or_evaluation(client, private):
    document, version, evaluation = private
    client.force_login(member_of(FINANCE))
    for url in [document_url(document), letter_url(version), evaluation_url(evaluation)]:
        assert client.get(url).status_code == 403, url
    deposit = Payment.objects.get(application=confirmed_booking(), purpose=Payment.Purpose.DEPOSIT)
    done = client.post(
        reverse("admin:payments_payment_refund", args=[deposit.pk]), {"amount": "10.00", "note": "Goodwill."}
    )
    assert done.status_code == 302
    assert Refund.objects.get().amount_cents == 1_000


def test_support_cannot_refund_or_record_a_payout_and_nothing_changes(client):
    deposit = Payment.objects.get(application=confirmed_booking(), purpose=Payment.Purpose.DEPOSIT)
    client.force_login(member_of(SUPPORT))
    refund = reverse("admin:payments_payment_refund", args=[deposit.pk])
    assert client.get(refund).status_code == 403
    assert client.post(refund, {"amount": "10.00", "note": "Goodwill."}).status_code == 403
    payout = reverse("admin:payments_ledgerentry_record_payout")
    assert client.post(payout, {"amount": "1.00"}).status_code == 403
    deposit.refresh_from_db()
    assert not Refund.objects.exists() and deposit.refunded_cents == 0
    # Reading the money is allowed.
    assert client.get(reverse("admin:payments_payment_change", args=[deposit.pk])).status_code == 200


def test_only_the_groups_hold_what_they_need():
    def codenames(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    coordinator, finance, support = codenames(PLACEMENT_COORDINATOR), codenames(FINANCE), codenames(SUPPORT)
    assert {"view_document_file", "view_letter_file", "view_evaluation", "change_application"} <= coordinator
    assert {"add_refund", "add_ledgerentry", "view_ledgerentry"} <= finance
    assert not {"view_document_file", "view_letter_file", "view_evaluation", "view_document"} & finance
    assert not {"view_document_file", "view_letter_file", "view_evaluation"} & support
    assert all(codename.startswith("view_") for codename in support)
    assert Evaluation.objects.model._meta.model_name == "evaluation"


# --- Each group against each private thing ----------------------------------------------------------


def _logged() -> int:
    return StaffAccess.objects.count() + LetterFileAccess.objects.count()


@pytest.mark.parametrize(
    ("group", "opens"),
    [(PLACEMENT_COORDINATOR, True), (FINANCE, False), (SUPPORT, False)],
)
@pytest.mark.parametrize("thing", ["document", "letter", "evaluation"])
def test_each_group_opens_each_private_thing_only_when_it_needs_it_and_each_opening_is_logged(
    client, private, group, opens, thing
):
    document, version, evaluation = private
    url = {"document": document_url(document), "letter": letter_url(version)}.get(thing) or evaluation_url(
        evaluation
    )
    user = member_of(group)
    client.force_login(user)

    answer = client.get(url)

    assert answer.status_code == (200 if opens else 403)
    if not opens:
        assert _logged() == 0
        return
    if thing == "letter":
        access = LetterFileAccess.objects.get()
        assert (access.user, access.version, access.via) == (user, version, LetterFileAccess.Via.STAFF)
    else:
        access = StaffAccess.objects.get()
        assert (access.user, access.object_id, access.page) == (
            user,
            (document if thing == "document" else evaluation).pk,
            url,
        )
    assert access.opened_at is not None


def test_the_evaluations_list_opens_only_for_coordinators_and_shows_no_answers(client, private):
    _, _, evaluation = private
    url = reverse("admin:applicants_evaluation_changelist")
    for group in [FINANCE, SUPPORT]:
        client.force_login(member_of(group))
        assert client.get(url).status_code == 403
    client.force_login(member_of(PLACEMENT_COORDINATOR))
    listed = client.get(url)
    assert listed.status_code == 200 and listed.context["cl"].result_count == 1
    # What the preceptor answered is read on the page, whose opening is logged; the list logs nothing.
    assert list(listed.context["cl"].list_display) == ["__str__", "preceptor", "submitted_at"]
    assert _logged() == 0


def test_the_openings_are_listed_in_the_admin_for_the_founders(client, private):
    document, version, _ = private
    coordinator = member_of(PLACEMENT_COORDINATOR)
    client.force_login(coordinator)
    client.get(document_url(document))
    client.get(letter_url(version))
    client.force_login(StaffFactory())
    staff_log = client.get(reverse("admin:amo_staffaccess_changelist"))
    letter_log = client.get(reverse("admin:applicants_letterfileaccess_changelist"))
    assert staff_log.context["cl"].result_count == letter_log.context["cl"].result_count == 1
    assert (
        coordinator.email in staff_log.content.decode() and coordinator.email in letter_log.content.decode()
    )
    # Found by who opened them; someone who opened nothing finds nothing.
    for url in [
        reverse("admin:amo_staffaccess_changelist"),
        reverse("admin:applicants_letterfileaccess_changelist"),
    ]:
        assert client.get(url, {"q": coordinator.email}).context["cl"].result_count == 1, url
        assert client.get(url, {"q": "nobody@example.test"}).context["cl"].result_count == 0, url


def test_no_other_admin_page_shows_a_document_or_letter_file_to_those_who_may_not_open_it(client, private):
    document, version, _ = private
    client.force_login(member_of(SUPPORT))
    pages = [
        reverse("admin:applicants_document_changelist"),
        reverse("admin:applicants_document_change", args=[document.pk]),
        reverse("admin:applicants_document_history", args=[document.pk]),
        reverse("admin:applicants_applicant_change", args=[document.applicant_id]),
    ]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert document_url(document) not in text, url
        assert document.file.name not in text, url  # where it is stored, on the history page
    assert _logged() == 0
    # A visa denial's letter is an applicant's document too.
    denial = _decided_visa_denial(StaffFactory())
    for url in [
        reverse("admin:applicants_visadenial_changelist"),
        reverse("admin:applicants_visadenial_change", args=[denial.pk]),
    ]:
        page = client.get(url)
        assert page.status_code == 200 and document_url(denial.letter) not in page.content.decode(), url
    # Nor a letter's: the letter request's page lists its versions without the link.
    letter_page = reverse("admin:applicants_letterrequest_change", args=[version.letter_request_id])
    page = client.get(letter_page)
    assert page.status_code == 200 and letter_url(version) not in page.content.decode()
    # A coordinator is shown the links (each logs when followed), and still not the stored name.
    client.force_login(member_of(PLACEMENT_COORDINATOR))
    assert letter_url(version) in client.get(letter_page).content.decode()
    assert document_url(document) in client.get(pages[0]).content.decode()
    assert document.file.name not in client.get(pages[2]).content.decode()
    assert _logged() == 0


# --- Support changes nothing ----------------------------------------------------------------------


def test_support_cannot_cancel_move_verify_record_money_or_change_anything_and_nothing_changes(client):
    booking = confirmed_booking()
    document = DocumentFactory(verification_status=Document.VerificationStatus.PENDING)
    organization = booking.block.rotation.organization
    member = MembershipFactory(organization=organization)
    client.force_login(member_of(SUPPORT))
    before = _state(booking, document, organization)

    for url, data in [
        (
            reverse("admin:applicants_application_cancel", args=[booking.pk]),
            {"reason": "x", "refund": "policy"},
        ),
        (reverse("admin:applicants_application_move", args=[booking.pk]), {"reason": "x"}),
        (
            reverse("admin:payments_payment_record_received", args=[booking.pk]),
            {"purpose": "balance", "method": "cash", "reference": "R1"},
        ),
        (
            reverse("admin:payments_ledgerentry_record_payout"),
            {"organization": organization.pk, "amount": "1"},
        ),
        (
            reverse("admin:hosts_organization_invite_member", args=[organization.pk]),
            {"email": "a@b.test", "role": "owner"},
        ),
        (reverse("admin:hosts_organization_change", args=[organization.pk]), {"name": "Renamed"}),
        (reverse("admin:applicants_application_change", args=[booking.pk]), {}),
        (reverse("admin:rotations_rotation_change", args=[booking.block.rotation_id]), {"title": "Renamed"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    for changelist, action, obj in [
        ("admin:applicants_document_changelist", "verify", document),
        ("admin:applicants_application_changelist", "cancel_booking", booking),
        ("admin:applicants_application_changelist", "move_booking", booking),
        ("admin:applicants_application_changelist", "record_payment_received", booking),
        ("admin:payments_payment_changelist", "refund", booking.payments.first()),
        ("admin:hosts_membership_changelist", "remove_member", member),
    ]:
        listed = client.get(reverse(changelist))
        assert listed.status_code == 200
        assert f'value="{action}"' not in listed.content.decode(), action
        client.post(reverse(changelist), {"action": action, "_selected_action": [obj.pk]})

    assert _state(booking, document, organization) == before


def _state(booking, document, organization) -> tuple:
    booking.refresh_from_db()
    document.refresh_from_db()
    organization.refresh_from_db()
    return (
        booking.status,
        booking.block_id,
        document.verification_status,
        organization.name,
        sorted(Payment.objects.values_list("pk", "status", "refunded_cents")),
        Refund.objects.count(),
        LedgerEntry.objects.count(),
        Membership.objects.count(),
        Invitation.objects.count(),
    )


# --- Money is finance's -------------------------------------------------------------------------------


def test_finance_records_money_received_and_payouts_and_a_coordinator_records_neither(client):
    booking = confirmed_booking()
    organization = booking.block.rotation.organization
    received = reverse("admin:payments_payment_record_received", args=[booking.pk])
    payout = reverse("admin:payments_ledgerentry_record_payout")
    balance = {"purpose": "balance", "method": "bank_transfer", "reference": "TRF 1"}
    entries = LedgerEntry.objects.count()

    client.force_login(member_of(PLACEMENT_COORDINATOR))
    listed = client.get(reverse("admin:applicants_application_changelist")).content.decode()
    assert 'value="record_payment_received"' not in listed
    assert client.post(received, balance).status_code == 403
    assert client.post(payout, {"organization": organization.pk, "amount": "1.00"}).status_code == 403
    assert not Payment.objects.filter(purpose=Payment.Purpose.BALANCE).exists()
    assert LedgerEntry.objects.count() == entries

    client.force_login(member_of(FINANCE))
    listed = client.get(reverse("admin:applicants_application_changelist")).content.decode()
    assert 'value="record_payment_received"' in listed
    assert client.post(received, balance).status_code == 302
    assert Payment.objects.get(purpose=Payment.Purpose.BALANCE).reference == "TRF 1"
    assert client.post(payout, {"organization": organization.pk, "amount": "1.00"}).status_code == 302
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYOUT, amount_cents=-100).exists()


ACTION_LINKS = {
    "Record verification…",
    "Invite a member…",
    "Refund…",
    "Send to Stripe again",
    "Record as paid back another way…",
    "Record a payout",
}


@pytest.mark.parametrize(
    ("group", "offered"),
    [
        (SUPPORT, set()),
        (PLACEMENT_COORDINATOR, set()),
        (FINANCE, {"Refund…", "Send to Stripe again", "Record as paid back another way…", "Record a payout"}),
        (None, ACTION_LINKS),  # a founder
    ],
)
def test_each_page_offers_only_the_actions_its_reader_may_take(client, group, offered):
    """A link that would answer 403 is not shown: each group sees the ones it may follow."""
    payment = Payment.objects.filter(application=confirmed_booking(), status=Payment.Status.SUCCEEDED)[0]
    failed = Refund.objects.create(
        payment=payment, amount_cents=100, reason="staff", status="failed", failure_message="Card expired."
    )
    organization = MembershipFactory().organization
    client.force_login(member_of(group) if group else StaffFactory())
    pages = [
        reverse("admin:hosts_organization_change", args=[organization.pk]),
        reverse("admin:payments_payment_change", args=[payment.pk]),
        reverse("admin:payments_refund_change", args=[failed.pk]),
        reverse("admin:payments_ledgerentry_changelist"),
    ]
    answers = [client.get(url) for url in pages]
    text = "".join(answer.content.decode() for answer in answers if answer.status_code == 200)
    assert {label for label in ACTION_LINKS if label in text} == offered
