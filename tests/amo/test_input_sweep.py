"""No input from anyone gives a 500: extreme values thrown at every page form and every API input.

The page forms are found by crawling each role's pages and reading their <form>s; the API's inputs
come from its OpenAPI schema (every operation, every query parameter and body property). Each
request keeps the other inputs valid and swaps one or two for extreme values (huge and negative
numbers, year 9999 and year 1, NUL bytes, very long text, nested lists...), so the extreme value
reaches the services and the database rather than stopping at the first invalid field.

A new page or endpoint is swept without being listed here; the coverage tests fail when a URL of
ours is neither crawled nor reached by a form, or when an API operation has no objects to ask for.
Hypothesis runs derandomized (a fixed seed), so CI sees the same examples every time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from amo.services import notification_send
from amo.validators import MAX_DESCRIPTION_CHARS, MAX_REASON_CHARS
from applicants.letter_links import letter_author_token
from applicants.lor_workflow import ActorRole
from applicants.models import Application, Document
from applicants.services import MAX_MESSAGE_CHARS, MAX_STATEMENT_CHARS, booking_advisor_assign, letter_accept
from applicants.services.letters import enrollment_letter_follow
from hosts.models import Membership
from payments.models import Payment
from rotations.models import Rotation
from rotations.services import first_day_update
from tests.factories import (
    ApplicantFactory,
    ApplicationFactory,
    BlockChangeFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    InvitationFactory,
    MembershipFactory,
    OwnerFactory,
    PreceptorFactory,
    RotationFactory,
    StaffFactory,
    completed_booking,
    letter_request,
    review_written,
)
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db

TODAY = date.today()

# Values that broke or could break something: out of every range, past every calendar, not text.
EXTREMES = [
    "",
    " ",
    "0",
    "-1",
    "40000",
    "2147483648",
    "9223372036854775808",
    "1" * 5000,
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "0.000000001",
    "9999-12-31",
    "9999-12",
    "0001-01-01",
    "0001-01",
    "10000-01-01",
    "2026-02-30",
    "9999-12-31T23:59:59",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\U0001f642" * 300,
    "x" * 100_000,
    "true",
    "null",
    "[]",
    (TODAY - timedelta(days=1)).isoformat(),
    (TODAY + timedelta(days=3 * 366)).isoformat(),
]
TEXT = st.one_of(
    st.sampled_from(EXTREMES),
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(date.isoformat),
)
JSON_SCALAR = st.one_of(
    TEXT,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
JSON_VALUE = st.one_of(
    JSON_SCALAR,
    st.lists(JSON_SCALAR, max_size=3),
    st.dictionaries(st.text(max_size=5), JSON_SCALAR, max_size=2),
    st.just([[[[[[[[[[[]]]]]]]]]]]),
)

# Each input in turn meets the values of its kind that once answered 500 (the others kept valid):
# the walk that guarantees every input is tried; Hypothesis then mixes further.
KILLERS = {
    "number": ["40000", "9223372036854775808", "1e309", "-1", "\u00b2"],
    "date": ["9999-12-31", "0001-01-01", "2026-02-30"],
    "month": ["9999-12", "0001-01"],
    "datetime-local": ["9999-12-31T23:59", "0001-01-01T00:00"],
    "text": [
        "a\x00b",
        "x" * 100_000,
        "9223372036854775808",
        "9999-12-31",
        "\u00b2",
    ],  # ² is a digit to isdigit()
    "choice": ["a\x00b", "9223372036854775808", "\u00b2"],  # anything not an option is refused alike
}
JSON_KILLERS = {
    "integer": [40000, 2**63, -1, "x"],
    "number": [1e308, -1, "NaN"],
    "date": ["9999-12-31", "0001-01-01"],
    "date-time": ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"],
    "string": ["a\x00b", "x" * 100_000, 2**63],
    "array": [[[[[[[[[[[[[1]]]]]]]]]]]], [2**63], "x"],
    "boolean": ["a\x00b", {"a": [1]}],
}

SWEEP = settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)

# A valid value for an input the page leaves empty, so that the extreme one reaches the service.
FILL = {
    "start_date": (TODAY + timedelta(days=90)).isoformat(),
    "apply_by": (TODAY + timedelta(days=60)).isoformat(),
    "weeks": "4",
    "capacity": "3",
    "title": "Sweep rotation",
    "description": "Sweeping.",
    "application_fee": "50",
    "program_fee": "1000",
    "deposit": "100",
    "email": "invitee@example.test",
    "full_name": "Dr. Sweep",
    "reason": "Because.",
    "message": "Hello.",
    "body": "Hello.",
    "personal_statement": "Why this rotation.",
    "name": "Sweep Clinic",
    "city": "Chicago",
    "zip_code": "60601",
    "address_line": "1 Main Street",
    "expires_at": (TODAY + timedelta(days=5)).isoformat() + "T12:00",
}


# --- The world every role acts in ------------------------------------------------------------


@dataclass
class World:
    owner: Membership
    rotation: Rotation
    draft_rotation: Rotation
    application: Application  # submitted, on the owner's rotation
    applicant_application: Application  # the applicant's own, submitted
    draft: Application
    document: Document
    open_block_id: int
    paths: dict[str, list[str]] = field(default_factory=dict)
    block_change_id: int = 0  # a booking's date change waiting for the owner's answer
    review_id: int = 0  # a review of the owner's rotation, waiting for their answer
    letter_id: int = 0  # the applicant's letter request, open
    host_letter_id: int = 0  # a letter request the owner answers as its author


@pytest.fixture
def world(db) -> World:
    owner = OwnerFactory()
    organization = owner.organization
    MembershipFactory(organization=organization, role=Membership.Role.COORDINATOR)
    PreceptorFactory(organization=organization)
    InvitationFactory(organization=organization, invited_by=owner.user)
    rotation = RotationFactory(organization=organization)
    block = BlockFactory(rotation=rotation)
    draft_rotation = RotationFactory(organization=organization, status=Rotation.Status.DRAFT)
    BlockFactory(rotation=draft_rotation)
    open_block = BlockFactory(rotation=RotationFactory())
    application = ApplicationFactory(
        block=block, status=Application.Status.SUBMITTED, submitted_at=timezone.now()
    )
    application.documents.add(DocumentFactory(applicant=application.applicant))
    # A completed booking whose evaluation is to write (before the bookings below that the hourly
    # advance, which completes it, would start).
    completed = completed_booking(block__rotation=rotation)

    applicant = ApplicantFactory()
    EmailAddressFactory(user=applicant.user)
    document = DocumentFactory(applicant=applicant)
    applicant_application = ApplicationFactory(
        applicant=applicant,
        block=BlockFactory(),
        status=Application.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    draft = ApplicationFactory(applicant=applicant, block=BlockFactory())
    draft.documents.add(document)
    notification_send(recipient=applicant.user, key="sweep", subject="Welcome", body="Hello.")
    # The applicant's completed bookings (one to ask a letter on, one to review), another one of the
    # rotation to review, and two of other applicants whose letters an author answers: made before
    # the confirmed bookings below, which their advance would start.
    letter_booking, to_review, reviewed, for_waiting, for_accepted = (
        completed_booking(applicant=applicant),
        completed_booking(applicant=applicant),
        completed_booking(rotation),
        completed_booking(),
        completed_booking(),
    )
    # The booking pages: an offer to answer, a booking with documents due and another block to move
    # to, and a book-now block.
    offer = ApplicationFactory(
        applicant=applicant, status=Application.Status.OFFERED, submitted_at=timezone.now()
    )
    booking = ApplicationFactory(
        applicant=applicant,
        status=Application.Status.CONFIRMED,
        submitted_at=timezone.now(),
        documents_due_at=timezone.now() + timedelta(days=7),
    )
    BlockFactory(rotation=booking.block.rotation, start_date=TODAY + timedelta(days=120))
    with transaction.atomic():
        letter = enrollment_letter_follow(booking)  # its public verify page
    # The booking's first day and its advisor, whom the applicant writes to from its page.
    first_day_update(rotation=booking.block.rotation, arrival_time="07:30", where_to_go="Room 301.")
    staff = StaffFactory()
    booking_advisor_assign(application=booking, advisor=staff, actor=staff)
    book_now_block = BlockFactory(rotation=RotationFactory(booking_mode=Rotation.BookingMode.BOOK_NOW))
    MembershipFactory(user=owner.user, role=Membership.Role.COORDINATOR)  # a second organization to switch to
    # Bookings on a block that started today (a no-show may be recorded), one under way, and a date change.
    started = BlockFactory(rotation=rotation, start_date=TODAY, apply_by=TODAY - timedelta(days=7))
    started_booking, running = (
        ApplicationFactory(block=started, status=status, submitted_at=timezone.now())
        for status in (Application.Status.CONFIRMED, Application.Status.IN_PROGRESS)
    )
    change = BlockChangeFactory(application=started_booking, from_block=started, to_block=block)
    # Paying: a seat awaiting its deposit (its pay page starts the payment at localstripe), and a
    # deposit Stripe took (its return page and receipt).
    awaiting = ApplicationFactory(
        applicant=applicant, status=Application.Status.AWAITING_PAYMENT, submitted_at=timezone.now()
    )
    paid = Payment.objects.create(
        application=ApplicationFactory(
            applicant=applicant, status=Application.Status.CONFIRMED, submitted_at=timezone.now()
        ),
        purpose=Payment.Purpose.DEPOSIT,
        amount_cents=50_000,
        status=Payment.Status.SUCCEEDED,
        succeeded_at=timezone.now(),
        payment_intent_id="pi_sweep",
    )
    # Letters of recommendation: the author's pages of a request waiting for an answer (accept,
    # decline) and of one accepted (decline, upload, confirm).
    waiting, accepted = letter_request(for_waiting), letter_request(for_accepted)
    letter_accept(letter=accepted, actor=None, role=ActorRole.AUTHOR_LINK)
    # The applicant's completed booking with a letter asked (its request form, its withdrawal), and
    # two letters the owner answers on the dashboard as their author (one to accept or decline, one
    # accepted to upload and confirm).
    applicant_letter = letter_request(letter_booking, author_email="author@example.test")
    authored_rotation = RotationFactory(
        organization=organization, preceptor=PreceptorFactory(organization=organization, user=owner.user)
    )
    ended = BlockFactory(
        rotation=authored_rotation, start_date=TODAY - timedelta(days=40), apply_by=TODAY - timedelta(days=70)
    )
    to_answer, answered = (
        letter_request(
            ApplicationFactory(block=ended, status=Application.Status.COMPLETED, submitted_at=timezone.now())
        )
        for _ in range(2)
    )
    letter_accept(letter=answered, actor=owner.user, role=ActorRole.AUTHOR)
    # Reviews: the applicant's completed booking to review, and a review of the owner's rotation to
    # answer (both shown on the rotation's page, with its host's and preceptor's pages).
    review = review_written(reviewed, 4)
    world = World(
        owner, rotation, draft_rotation, application, applicant_application, draft, document, open_block.pk
    )
    world.review_id = review.pk
    world.paths = {
        "anonymous": [
            "/",
            "/rotations/",
            f"/rotations/{rotation.slug}/",
            f"/rotations/{book_now_block.rotation.slug}/",
            f"/verify/{letter.code_display}/",
            f"/letters/author/{letter_author_token(waiting)}/",
            f"/letters/author/{letter_author_token(accepted)}/",
            f"/hosts/{rotation.organization.slug}/",
            f"/hosts/{rotation.organization.slug}/preceptors/{rotation.preceptor_id}/",
        ],
        "applicant": [
            "/me/",
            "/me/profile/",
            "/me/documents/",
            f"/me/applications/{draft.pk}/",
            f"/me/applications/{applicant_application.pk}/",
            f"/apply/{open_block.pk}/",
            f"/me/applications/{offer.pk}/",
            f"/me/applications/{booking.pk}/",
            f"/me/applications/{booking.pk}/cancel/",
            f"/me/applications/{booking.pk}/visa-denial/",
            f"/me/applications/{to_review.pk}/",
            f"/book/{book_now_block.pk}/",
            f"/me/applications/{awaiting.pk}/pay/deposit/",
            f"/me/payments/{paid.pk}/return/",
            f"/me/payments/{paid.pk}/receipt/",
            f"/me/applications/{letter_booking.pk}/",
            f"/me/applications/{letter_booking.pk}/letters/new/",
            "/me/letter-waiver/",
        ],
        "owner": [
            "/host/",
            "/host/applications/",
            f"/host/applications/{application.pk}/",
            "/host/rotations/",
            "/host/rotations/new/",
            f"/host/rotations/{draft_rotation.pk}/",
            f"/host/rotations/{rotation.pk}/",
            f"/host/rotations/{rotation.pk}/edit/",
            f"/host/rotations/{rotation.pk}/first-day/",
            f"/host/blocks/{block.pk}/edit/",
            f"/host/applications/{started_booking.pk}/",
            f"/host/applications/{running.pk}/",
            f"/host/applications/{completed.pk}/",
            f"/host/applications/{completed.pk}/evaluation/",
            "/host/block-changes/",
            "/host/roster/",
            "/host/calendar/",
            "/host/members/",
            "/host/preceptors/",
            "/host/payouts/",
            "/host/payouts/report.csv",
            "/host/letters/",
            f"/host/letters/{to_answer.pk}/",
            f"/host/letters/{answered.pk}/",
            "/host/reviews/",
        ],
    }
    world.block_change_id = change.pk
    world.letter_id = applicant_letter.pk
    world.host_letter_id = to_answer.pk
    return world


def client_for(role: str, world: World) -> Client:
    client = Client()
    if role == "owner":
        login(client, world.owner)
    elif role == "applicant":
        client.force_login(world.draft.applicant.user)
    return client


# --- Reading the forms of a page ---------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    inputs: dict[str, list[str]]  # name -> the values a person could send (first: what the page has)
    multipart: bool
    kinds: dict[str, str] = field(default_factory=dict)  # name -> a key of KILLERS

    @property
    def key(self) -> tuple:
        return (resolve(self.action).url_name, self.method, tuple(sorted(self.inputs)))


class FormReader(HTMLParser):
    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = urlsplit(attrs.get("action") or self.page).path
            multipart = attrs.get("enctype") == "multipart/form-data"
            self.form = Form(action, (attrs.get("method") or "get").lower(), {}, multipart)
        elif tag == "option" and self.select and self.form is not None:
            options = self.form.inputs[self.select]
            value = attrs.get("value", "")
            options.insert(0, value) if "selected" in attrs else options.append(value)
        elif self.form is None or "name" not in attrs:
            return
        elif tag == "input" and attrs.get("name") != "csrfmiddlewaretoken":
            kind = attrs.get("type", "text")
            values = self.form.inputs.setdefault(attrs["name"], [])
            self.form.kinds[attrs["name"]] = (
                "choice" if kind in ("checkbox", "radio") else kind if kind in KILLERS else "text"
            )
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    values.insert(0, attrs.get("value", "on"))
                else:
                    values.append(attrs.get("value", "on"))
            elif kind != "file":
                values.insert(0, attrs.get("value") or FILL.get(attrs["name"], ""))
        elif tag == "button":  # a named button sends its value (the vault's Delete sends the id)
            self.form.inputs.setdefault(attrs["name"], []).insert(0, attrs.get("value", ""))
            self.form.kinds[attrs["name"]] = "text"
        elif tag == "select":
            self.select = attrs["name"]
            self.form.inputs.setdefault(self.select, [])
            self.form.kinds[self.select] = "choice"
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.form.inputs.setdefault(self.textarea, [FILL.get(self.textarea, "")])

    def handle_data(self, data):
        if self.textarea and data.strip() and self.form is not None:
            self.form.inputs[self.textarea][0] = data

    def handle_endtag(self, tag):
        if tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None
        elif tag == "select":
            options = self.form.inputs[self.select] if self.form and self.select else []
            if options and not options[0]:  # "Any …" first: a real choice reaches further
                options.append(options.pop(0))
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def forms_on(client: Client, path: str) -> list[Form]:
    response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    reader = FormReader(path)
    reader.feed(response.content.decode())
    return reader.forms


# --- What every answer must be -------------------------------------------------------------------


@cache
def constraint_names() -> frozenset[str]:
    from django.apps import apps

    return frozenset(c.name for model in apps.get_models() for c in model._meta.constraints)


def assert_answered(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"
    text = response.content.decode(errors="replace")
    assert "ErrorDetail(" not in text, f"{what}: a Python repr in {text[:300]}"
    if response.status_code >= 400:
        leaked = [name for name in constraint_names() if name in text]
        assert not leaked, f"{what}: constraint names {leaked} in the answer"
    if response.request["PATH_INFO"].startswith("/api/") and response.status_code >= 400:
        body = response.json()
        assert isinstance(body["message"], str) and body["message"], f"{what}: {body}"


# What people write is bounded (amo.validators, applicants.services); only what AMO writes itself
# (a notification quoting a message) may be longer.
LONGEST_TEXT = max(MAX_DESCRIPTION_CHARS, MAX_MESSAGE_CHARS, MAX_STATEMENT_CHARS, MAX_REASON_CHARS)
WRITTEN_BY_AMO = {("amo", "notification", "body")}


def assert_no_oversized_text_stored() -> None:
    """No text anyone sent (100,000 characters among the extremes) was stored past its bound."""
    from django.apps import apps
    from django.db.models import CharField, TextField
    from django.db.models.functions import Length

    for model in apps.get_models():
        if model._meta.app_label not in ("amo", "applicants", "hosts", "rotations"):
            continue
        for db_field in model._meta.concrete_fields:
            key = (model._meta.app_label, model._meta.model_name, db_field.name)
            if not isinstance(db_field, CharField | TextField) or key in WRITTEN_BY_AMO:
                continue
            longest = db_field.max_length or LONGEST_TEXT
            oversized = model._default_manager.annotate(n=Length(db_field.name)).filter(n__gt=longest)
            assert not oversized.exists(), f"{key}: text longer than {longest} characters was stored"


def perturbed(data, baseline: dict, names: list[str], values) -> dict:
    """The baseline with one or two inputs swapped for extreme values (or left out)."""
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True), label="inputs")
    sent = dict(baseline)
    for name in chosen:
        value = data.draw(st.one_of(st.just(None), values(name)), label=name)
        if value is None:
            sent.pop(name, None)
        else:
            sent[name] = value
    return sent


def send(client: Client, method: str, path: str, payload: dict, *, as_json: bool = False, multipart=False):
    with transaction.atomic():  # a failing request rolls back alone, so shrinking sees the same world
        # The sweep's own savepoint, as a test case's wrapper is: not a transaction of the app's, so
        # payments.stripe_client's refusal to call Stripe inside one does not count it.
        connection.atomic_blocks[-1]._from_testcase = True
        if method == "get":
            return client.get(path, payload)
        if as_json:
            return getattr(client, method)(path, json.dumps(payload), content_type="application/json")
        if method == "post" and multipart:
            return client.post(path, payload)
        return getattr(client, method)(path, payload)


# --- Page forms ---------------------------------------------------------------------------------

OUR_NAMESPACES = ("rotations", "applicants", "hosts")
# Sent last: they end what the others act on (a withdrawn application, an archived rotation).
ENDING = ("withdraw", "archive", "member_remove", "unpublish", "switch_organization")


def page_forms(client: Client, paths: list[str]) -> list[Form]:
    found: dict[tuple, Form] = {}
    for path in paths:
        for form in forms_on(client, path):
            # Ours only: allauth's (log out, for one) are not swept here.
            if resolve(form.action).namespace in OUR_NAMESPACES:
                found.setdefault(form.key, form)
    return sorted(found.values(), key=lambda form: any(word in form.action for word in ENDING))


def walk_inputs(client: Client, method: str, path: str, baseline: dict, killers: dict, **how) -> None:
    """Each input (name -> its killers) in turn, the others as in `baseline`."""
    for name, values in killers.items():
        for value in values:
            sent = {**baseline, name: value}
            response = send(client, method, path, sent, **how)
            assert_answered(response, f"{method.upper()} {path} {name}={value!r:.60}")


def sweep_form(client: Client, form: Form) -> None:
    baseline = {name: values[0] for name, values in form.inputs.items() if values}
    names = sorted(form.inputs) or ["unknown"]
    killers = {name: KILLERS[form.kinds.get(name, "text")] for name in names}
    walk_inputs(client, form.method, form.action, baseline, killers, multipart=form.multipart)

    def values(name):
        options = form.inputs.get(name) or []
        return st.one_of(st.sampled_from(options), TEXT) if options else TEXT

    @SWEEP
    @given(st.data())
    def run(data):
        sent = perturbed(data, baseline, names, values)
        response = send(client, form.method, form.action, sent, multipart=form.multipart)
        assert_answered(response, f"{form.method.upper()} {form.action} {sent!r:.300}")

    run()


@pytest.mark.parametrize("role", ["anonymous", "applicant", "owner"])
def test_no_page_form_answers_500_whatever_is_typed(world, role):
    client = client_for(role, world)
    forms = page_forms(client, world.paths[role])
    assert forms
    for form in forms:
        sweep_form(client, form)
    assert_no_oversized_text_stored()


def our_page_url_names() -> set[str]:
    names = set()

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in OUR_NAMESPACES:
                    walk(pattern.url_patterns, pattern.namespace)
            elif namespace:
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


# Reached with a link rather than a form, or needing a secret, and taking no input but the URL.
NOT_FORMS = {
    "applicants:document_file": "a file download by id",
    "applicants:application_enrollment_letter": "a PDF download by id",
    "applicants:application_certificate": "a PDF download by id",
    "hosts:application_document": "a file download by id",
    "applicants:letter_file": "a PDF download by id",
    "hosts:letter_version_file": "a PDF download by id and version number",
    "hosts:invitation_accept": "the invitation's signed token is its only input",
    "hosts:onboarding": "only for someone without an organization; its form is the organization form",
    "applicants:letter_author_request_form": "a PDF download by the author's signed token",
    "applicants:letter_author_version": "a PDF download by the author's signed token and its number",
    "applicants:letter_author_fresh_link": "a button on a refused link's page; the token is its only input",
}


def test_every_page_of_ours_is_crawled_or_reached_by_a_swept_form(world):
    reached = set()
    for role, paths in world.paths.items():
        client = client_for(role, world)
        reached |= {f"{resolve(path).namespace}:{resolve(path).url_name}" for path in paths}
        for form in page_forms(client, paths):
            match = resolve(form.action)
            reached.add(f"{match.namespace}:{match.url_name}")
    missing = our_page_url_names() - reached - set(NOT_FORMS)
    assert not missing, f"add a page or object to World so these are swept: {sorted(missing)}"


def test_the_onboarding_form_answers_no_500(db):
    user = MembershipFactory().user
    Membership.objects.filter(user=user).delete()
    EmailAddressFactory(user=user)
    client = Client()
    client.force_login(user)
    forms = forms_on(client, "/host/onboarding/")
    assert forms, "the onboarding page has a form to sweep"
    for form in forms:
        sweep_form(client, form)
    assert_no_oversized_text_stored()


# --- The API, from its schema -------------------------------------------------------------------


def multipart_operations() -> set[tuple[str, str]]:
    """(method, path template) of the operations whose body is a form with a file (multipart only)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if list(operation.get("requestBody", {}).get("content", {})) == ["multipart/form-data"]
    }


def api_operations() -> list[tuple[str, str, dict, dict]]:
    """(method, path template, parameters, body schema) of every operation, $refs resolved."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def resolve_ref(node):
        if isinstance(node, dict) and "$ref" in node:
            return resolve_ref(components[node["$ref"].rsplit("/", 1)[1]])
        if isinstance(node, dict) and "allOf" in node:
            return resolve_ref(node["allOf"][0])
        return node

    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            body = resolve_ref(next(iter(content.values()))["schema"]) if content else {}
            properties = {
                name: resolve_ref(spec)
                for name, spec in body.get("properties", {}).items()
                if not spec.get("readOnly")
            }
            parameters = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
            operations.append((method, path, parameters, properties))
    return operations


def api_valid_value(name: str, spec: dict, world: World):
    ids = {
        "rotation": world.rotation.pk,
        "block": world.open_block_id,
        "specialty": world.rotation.specialty_id,
        "preceptor": world.rotation.preceptor_id,
        "applications": [world.application.pk],
        "documents": [world.document.pk],
    }
    if name in ids:
        return ids[name]
    if name in FILL:
        return FILL[name]
    if "enum" in spec:
        return spec["enum"][0]
    kind = spec.get("type")
    if spec.get("format") == "date":
        return FILL["start_date"]
    return {"integer": 1, "boolean": True, "array": [], "number": 1}.get(kind, "Sweep")


def api_path(template: str, world: World) -> str:
    ids = {
        "/api/v1/applications/": world.applicant_application.pk,
        "/api/v1/host/applications/": world.application.pk,
        "/api/v1/host/blocks/": world.rotation.blocks.first().pk,
        "/api/v1/host/block-changes/": world.block_change_id,
        "/api/v1/host/reviews/": world.review_id,
        "/api/v1/host/letters/": world.host_letter_id,
        "/api/v1/me/letters/": world.letter_id,
        "/api/v1/host/rotations/": world.rotation.pk,
        "/api/v1/rotations/": world.rotation.pk,
    }
    if "{slug}" in template:
        return template.replace("{slug}", world.rotation.organization.slug)
    if "{id}" in template:
        prefix = template.split("{id}")[0]
        return template.replace("{id}", str(ids[prefix]))
    return template


def api_client(path: str, world: World) -> Client:
    return client_for("owner" if path.startswith("/api/v1/host/") else "applicant", world)


def json_kind(spec: dict) -> str:
    if spec.get("format") in ("date", "date-time"):
        return spec["format"]
    kind = spec.get("type", "string")
    return kind if kind in JSON_KILLERS else "string"


def query_kind(spec: dict) -> str:
    spec = spec.get("schema", spec)
    if "enum" in spec:
        return "choice"
    if spec.get("format") == "date":
        return "date"
    if spec.get("type") in ("integer", "number"):
        return "number"
    return "month" if "\\d{4}-\\d{2}" in spec.get("pattern", "") else "text"


def spec_is_text(spec: dict) -> bool:
    """Whether a form input is sent as text (a file is not)."""
    return spec.get("format") != "binary"


def sweep_api(
    client: Client,
    method: str,
    path: str,
    baseline: dict,
    killers: dict,
    values: dict,
    multipart: bool = False,
) -> None:
    """`multipart`: the operation takes a form with a file only; its other inputs are swept as text."""
    names = sorted(values) or ["unknown"]
    how = {} if method == "get" else {"multipart": True} if multipart else {"as_json": True}
    walk_inputs(client, method, path, baseline, killers, **how)

    @SWEEP
    @given(st.data())
    def run(data):
        sent = perturbed(data, baseline, names, lambda name: values.get(name, TEXT))
        if multipart:
            sent = {k: v if isinstance(v, str) else json.dumps(v) for k, v in sent.items() if v is not None}
        response = send(client, method, path, sent, **how)
        assert_answered(response, f"{method.upper()} {path} {sent!r:.300}")

    run()


def test_no_api_input_answers_500_whatever_is_sent(world):
    operations = api_operations()
    assert len(operations) > 20, "the schema lists the API's operations to sweep"
    forms = multipart_operations()
    assert ("post", "/api/v1/me/documents/") in forms
    for method, template, parameters, properties in operations:
        path = api_path(template, world)
        multipart = (method, template) in forms
        if method == "get":
            baseline = {}
            killers = {name: KILLERS[query_kind(spec)] for name, spec in parameters.items()}
            values = dict.fromkeys(parameters, TEXT)
        elif template == "/api/v1/me/documents/":
            baseline = {"kind": "cv"}
            killers = {
                name: KILLERS["date" if "date" in name or "expires" in name else "text"]
                for name in properties
            }
            values = dict.fromkeys(properties, TEXT)
        elif multipart:
            # A form's values are text: the other inputs valid, as text, the file left out.
            valid = {name: api_valid_value(name, spec, world) for name, spec in properties.items()}
            baseline = {name: str(value) for name, value in valid.items() if spec_is_text(properties[name])}
            killers = {
                name: KILLERS["date" if properties[name].get("format") == "date" else "text"]
                for name in baseline
            }
            values = dict.fromkeys(baseline, TEXT)
        else:
            baseline = {name: api_valid_value(name, spec, world) for name, spec in properties.items()}
            killers = {name: JSON_KILLERS[json_kind(spec)] for name, spec in properties.items()}
            values = dict.fromkeys(properties, JSON_VALUE)
        sweep_api(api_client(path, world), method, path, baseline, killers, values, multipart=multipart)
    assert_no_oversized_text_stored()


@pytest.mark.parametrize("bad_id", ["0", "2147483648", "9223372036854775808", "9" * 40])
def test_no_api_path_answers_500_for_an_id_out_of_range(world, bad_id):
    with_id = [(method, template) for method, template, _, _ in api_operations() if "{id}" in template]
    assert with_id, "the API has operations on one object to sweep"
    for method, template in with_id:
        path = template.replace("{id}", bad_id)
        response = send(api_client(path, world), method, path, {}, as_json=method != "get")
        assert_answered(response, f"{method.upper()} {path}")
        assert response.status_code in (400, 404, 405), f"{path}: {response.status_code}"


def test_an_error_message_names_the_input_in_words(world):
    client = client_for("applicant", world)
    response = client.post(
        "/api/v1/applications/",
        {"block": world.open_block_id, "documents": ["a", 1]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Documents[0]: A valid integer is required."
    assert not re.search(r"ErrorDetail|\{0:", response.content.decode())


@pytest.mark.parametrize("slug", ["a\x00b", "x" * 10_000, "\u00b2", "../other"])
def test_no_organization_named_by_a_client_answers_500(world, slug):
    client = client_for("owner", world)
    api = client.get("/api/v1/host/rotations/", headers={"X-Organization": slug})
    assert api.status_code in (403, 404), api.status_code
    page = client.post("/host/switch/", {"organization": slug})
    assert page.status_code == 404
