"""A walk through every admin page of every registered model, as a founder (a superuser with two
factors): each list and change page opens, no form edits a field a service owns (state, money,
seats, ownership), posting a change form back cannot change one, no inline adds or deletes rows a
service writes, and each of our actions, run where its service refuses, says so and changes nothing."""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.messages import ERROR, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import MultiWidget
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from amo.models import Notification
from applicants.lor_workflow import ActorRole
from applicants.models import Application, Document
from applicants.services import letter_withdraw, review_hide, visa_denial_refuse, visa_denial_submit
from hosts.models import Invitation, Membership
from payments.models import LedgerEntry, Payment, Refund
from rotations.models import Block, Rotation, SeatHold
from tests.factories import (
    PDF_BYTES,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    InvitationFactory,
    OwnerFactory,
    RotationFactory,
    completed_booking,
    letter_request,
    review_written,
)

pytestmark = pytest.mark.django_db
S = Application.Status

# Fields only a service writes: the state machines, money, seats, and whose row it is.
SERVICE_FIELD = re.compile(
    r"^(status|verification_status|application_fee_status|currency|capacity|seats_taken|user|organization|"
    r"application|applicant|block|recipient|payment|is_verified|is_staff|is_superuser|groups|"
    r"user_permissions|refunded_cents|is_applicant|is_host_member|email)$|_cents$|_bps$"
)
# Our apps: their admins are held to the rules; Django's and the libraries' own are walked for errors.
OUR_APPS = {"amo", "applicants", "hosts", "rotations", "payments"}
# Fields matching the pattern that are not a service's: rows made by staff themselves.
NOT_A_SERVICES = {
    # Who is staff, a superuser, or in which group: the founders (superusers, as this walk signs in)
    # change it; anyone else sees it read-only (tests/applicants/test_admin_bookings.py).
    ("amo.user", "is_staff"),
    ("amo.user", "is_superuser"),
    ("amo.user", "groups"),
    ("amo.user", "user_permissions"),
}


@pytest.fixture
def world():
    """One row of each of our models, made by the factories and the services."""
    booking = ApplicationFactory(status=S.CONFIRMED, submitted_at="2026-01-01T00:00Z")
    DocumentFactory(applicant=booking.applicant)
    review_written(completed_booking(), 5)
    letter_request()
    Notification.objects.create(key="walk", recipient=booking.applicant.user, subject="Hello", body="Hi.")
    OwnerFactory()
    Payment.objects.create(
        application=booking,
        purpose=Payment.Purpose.DEPOSIT,
        amount_cents=50_000,
        status=Payment.Status.SUCCEEDED,
        succeeded_at=timezone.now(),
    )
    return booking


def _registry():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _ours(model) -> bool:
    return model._meta.app_label in OUR_APPS


def _form_data(response) -> dict:
    """What the change page would post back as it stands: the form's and every inline's values."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for field in form:
            widget, value = field.field.widget, field.value()
            if value is None or value is False:
                continue
            if isinstance(widget, MultiWidget):
                parts = value if isinstance(value, list | tuple) else widget.decompress(value)
                for index, (part_widget, part) in enumerate(zip(widget.widgets, parts, strict=True)):
                    if part is not None:
                        data[f"{field.html_name}_{index}"] = part_widget.format_value(part)
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(item) for item in value]
            elif value is True:
                data[field.html_name] = "on"
            elif widget.format_value(value) is not None:
                data[field.html_name] = widget.format_value(value)
    return data


def _snapshot(model, pk) -> dict:
    return model_to_dict(model.objects.get(pk=pk))


def test_every_list_and_change_page_opens_and_no_form_edits_a_services_field(founder_client, world):
    editable_service_fields = []
    for model, _model_admin in _registry():
        assert founder_client.get(_url(model, "changelist")).status_code == 200, model
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue
        response = founder_client.get(_url(model, "change", obj.pk))
        assert response.status_code == 200, model
        if not _ours(model):
            continue
        form = response.context["adminform"].form
        label = model._meta.label_lower
        editable_service_fields += [
            f"{label}.{name}"
            for name in form.fields
            if SERVICE_FIELD.search(name) and (label, name) not in NOT_A_SERVICES
        ]
    assert editable_service_fields == []


def test_posting_a_change_form_back_with_services_fields_changed_changes_none_of_them(founder_client, world):
    other = ApplicationFactory(status=S.SUBMITTED)
    forged = {
        "status": "cancelled",
        "verification_status": "verified",
        "application_fee_status": "paid",
        "currency": "eur",
        "capacity": "99",
        "seats_taken": "99",
        "user": str(other.applicant.user_id),
        "applicant": str(other.applicant_id),
        "application": str(other.pk),
        "block": str(other.block_id),
        "organization": str(other.block.rotation.organization_id),
        "recipient": str(other.applicant.user_id),
        "is_verified": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "refunded_cents": "1",
    }
    walked = 0
    for model, _model_admin in _registry():
        if not _ours(model):
            continue
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue
        url = _url(model, "change", obj.pk)
        page = founder_client.get(url)
        data = _form_data(page)
        data.update(forged)
        for field in model._meta.concrete_fields:
            if field.name.endswith("_cents"):
                data[field.name] = "1"
        before = _snapshot(model, obj.pk)
        response = founder_client.post(url, data)
        assert response.status_code in (200, 302, 403), (model, response.status_code)
        after = _snapshot(model, obj.pk)
        changed = {name for name in before if before[name] != after[name] and SERVICE_FIELD.search(name)}
        changed -= {name for label, name in NOT_A_SERVICES if label == model._meta.label_lower}
        assert not changed, (model, changed)
        if model._meta.label_lower == "amo.user":
            assert not (after["is_staff"] and after["is_superuser"]) or before["is_superuser"]
        walked += 1
    assert walked >= 15


def test_no_inline_adds_or_deletes_rows_a_service_writes(founder_client, world):
    for model, model_admin in _registry():
        if not _ours(model):
            continue
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue
        request = founder_client.get(_url(model, "change", obj.pk)).wsgi_request
        for inline in model_admin.get_inline_instances(request, obj):
            name = f"{model._meta.label}: {type(inline).__name__}"
            assert not inline.has_add_permission(request, obj), name
            assert not inline.has_delete_permission(request, obj), name


# --- Each action where its service refuses -------------------------------------------------------


def _letter_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("denial.pdf", PDF_BYTES, content_type="application/pdf")


def _decided_visa_denial(staff):
    booking = ApplicationFactory(status=S.CONFIRMED)
    denial = visa_denial_submit(
        application=booking, actor=booking.applicant.user, uploaded_file=_letter_file()
    )
    return visa_denial_refuse(visa_denial=denial, actor=staff, reason="The letter is not from a consulate.")


def _hidden_review(staff):
    review = review_written(completed_booking(), 4)
    review_hide(review=review, actor=staff, reason="Names a patient.")
    return review


def _withdrawn_letter(staff):
    letter = letter_request()
    return letter_withdraw(letter=letter, actor=staff, role=ActorRole.STAFF)


def _two(factory):
    return lambda staff: [factory(), factory()]


# model label, action, the rows it acts on (made where the service refuses), extra POST data, and the
# words of the refusal (an error message, or the page asking again).
REFUSED_ACTIONS = [
    (
        "applicants.Document",
        "reject",
        lambda staff: [DocumentFactory()],
        {"reason": ""},
        "This field is required.",
    ),
    (
        "applicants.Application",
        "assign_advisor",
        lambda staff: [ApplicationFactory(status=S.SUBMITTED)],
        {"advisor": "STAFF"},
        "booking",
    ),
    (
        "applicants.Application",
        "record_payment_received",
        _two(ApplicationFactory),
        {},
        "Choose exactly one application.",
    ),
    (
        "applicants.Application",
        "write_as_advisor",
        _two(ApplicationFactory),
        {},
        "Choose exactly one booking.",
    ),
    ("applicants.Application", "cancel_booking", _two(ApplicationFactory), {}, "Choose exactly one booking."),
    ("applicants.Application", "move_booking", _two(ApplicationFactory), {}, "Choose exactly one booking."),
    ("applicants.VisaDenial", "accept", lambda staff: [_decided_visa_denial(staff)], {}, "already refused"),
    (
        "applicants.VisaDenial",
        "refuse",
        lambda staff: [_decided_visa_denial(staff)],
        {"reason": "No."},
        "already",
    ),
    (
        "applicants.LetterRequest",
        "send_author_link",
        lambda staff: [_withdrawn_letter(staff)],
        {},
        "none was sent",
    ),
    ("applicants.Review", "hide", lambda staff: [_hidden_review(staff)], {"reason": "Again."}, "hidden"),
    (
        "applicants.Review",
        "unhide",
        lambda staff: [review_written(completed_booking(), 3)],
        {},
        "not hidden",
    ),
    (
        "amo.Notification",
        "resend",
        lambda staff: [Notification.objects.create(key="unsent", recipient=staff, subject="S", body="B")],
        {},
        "not sent yet",
    ),
    (
        "hosts.Membership",
        "remove_member",
        lambda staff: [OwnerFactory()],
        {},
        "Nobody was removed.",
    ),
    (
        "hosts.Organization",
        "record_verification",
        lambda staff: [OwnerFactory().organization, OwnerFactory().organization],
        {},
        "Choose exactly one organization",
    ),
    (
        "hosts.Organization",
        "invite_member",
        lambda staff: [OwnerFactory().organization, OwnerFactory().organization],
        {},
        "Choose exactly one organization to invite a member to.",
    ),
    (
        "hosts.Invitation",
        "revoke",
        lambda staff: [InvitationFactory(accepted_at=timezone.now())],
        {},
        "Nothing was revoked.",
    ),
    (
        "rotations.Rotation",
        "publish",
        lambda staff: [
            BlockFactory(
                rotation__status=Rotation.Status.DRAFT, rotation__organization__is_verified=False
            ).rotation
        ],
        {},
        "not verified",
    ),
    (
        "rotations.Rotation",
        "unpublish",
        lambda staff: [RotationFactory(status=Rotation.Status.DRAFT)],
        {},
        "Only a published rotation can be unpublished.",
    ),
    (
        "payments.Payment",
        "refund",
        lambda staff: [
            Payment.objects.create(
                application=ApplicationFactory(),
                purpose="deposit",
                amount_cents=1,
                status="succeeded",
                succeeded_at=timezone.now(),
            ),
            Payment.objects.create(
                application=ApplicationFactory(),
                purpose="deposit",
                amount_cents=1,
                status="succeeded",
                succeeded_at=timezone.now(),
            ),
        ],
        {},
        "Choose exactly one payment to refund.",
    ),
]
# Actions that change nothing a service keeps or that succeed on any row: revoking a secret (done
# twice it stays revoked), verifying a document (verified twice, nothing changes and nobody is told
# again), and withdrawing a verification, which asks for a reason on its own page.
ALWAYS_ALLOWED = {
    ("applicants.Document", "verify"),
    ("amo.ApiToken", "revoke"),
    ("amo.CalendarFeed", "revoke"),
    ("hosts.Organization", "withdraw_verification"),
}
KEPT_TABLES = [
    Application,
    Payment,
    Refund,
    LedgerEntry,
    SeatHold,
    Block,
    Rotation,
    Membership,
    Invitation,
    Document,
]


def _tables() -> dict:
    return {model.__name__: sorted(map(repr, model.objects.values_list())) for model in KEPT_TABLES}


def test_every_action_of_ours_is_walked_where_its_service_refuses():
    walked = {(label, action) for label, action, *_ in REFUSED_ACTIONS} | ALWAYS_ALLOWED
    ours = {
        (model._meta.label, name)
        for model, model_admin in _registry()
        if _ours(model)
        for name in (model_admin.actions or [])
    }
    assert ours - walked == set()


@pytest.mark.parametrize(
    ("label", "action", "make", "extra", "words"),
    REFUSED_ACTIONS,
    ids=[f"{label}.{action}" for label, action, *_ in REFUSED_ACTIONS],
)
def test_an_action_its_service_refuses_says_so_and_changes_nothing(
    founder_client, label, action, make, extra, words
):
    model = apps.get_model(label)
    objects = make(founder_client.founder)
    extra = {
        key: str(founder_client.founder.pk) if value == "STAFF" else value for key, value in extra.items()
    }
    before = _tables()
    rows_before = {obj.pk: _snapshot(model, obj.pk) for obj in objects}
    response = founder_client.post(
        _url(model, "changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objects], **extra},
        follow=True,
    )
    said = [str(message) for message in get_messages(response.wsgi_request) if message.level == ERROR]
    assert any(words in message for message in said) or words in response.content.decode(), said
    assert not [str(message) for message in get_messages(response.wsgi_request) if message.level != ERROR]
    assert _tables() == before
    assert {obj.pk: _snapshot(model, obj.pk) for obj in objects} == rows_before
