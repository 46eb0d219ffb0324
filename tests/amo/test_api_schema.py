"""The API does what /api/schema/ says, for every operation and every kind of caller.

Schemathesis reads the live schema and sends each operation generated requests, valid and
invalid, in-process through the WSGI app, as an anonymous visitor, an applicant, a host
coordinator and a host owner (with two-factor authentication, as owners must have). A request
fails the suite when the answer is a server error, a status the operation does not document, a
body that breaks its own schema, a valid request refused, an invalid one accepted, or an error
message that quotes Python (a list's or a type's repr) instead of saying what is wrong.

Each session gets its own fresh data from the factories, so the order operations run in, and what
one operation's generated requests change, never decide another's result.
"""

import re
from datetime import date, timedelta
from itertools import count
from unittest.mock import ANY

import pytest
import schemathesis
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from amo.schema import SINGLE_LINE_PATTERN
from amo.services import api_token_create
from amo.text import breaks_one_line
from amo.validators import SINGLE_LINE_MESSAGE
from applicants.models import Application
from applicants.services.letters import enrollment_letter_follow
from hosts.models import Membership
from tests.factories import (
    PDF_BYTES,
    ApplicantFactory,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    MembershipFactory,
    OwnerFactory,
    RotationFactory,
    completed_booking,
    letter_request,
)
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db

# Bounded and seeded: the same requests on every run, two to four minutes for all four sessions
# on a shared 2-core machine.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 18,
        # No NUL in generated text: every text input refuses it, which no schema of ours states.
        "generation": {"max-examples": 8, "deterministic": True, "database": "none", "allow-x00": False},
        "phases": {phase: {"enabled": True} for phase in ("examples", "coverage", "fuzzing")},
    }
)
# What an error message must not contain: a Python list, dict or tuple repr, or a type's name as
# Python spells it ("got type "str"", "received list").
PYTHON_REPR = re.compile(
    r"""\[['"]|\{['"]|\(['"]|\b(?:str|int|list|dict|NoneType|bool|float)\b"|received \w+\."""
)
S = Application.Status


@schemathesis.check
def error_messages_are_plain_english(ctx, response, case):
    """Every API refusal says what is wrong in words, never by quoting a Python value."""
    if response.status_code < 400 or "json" not in response.headers.get("content-type", [""])[0]:
        return None
    message = response.json().get("message", "") if isinstance(response.json(), dict) else ""
    if PYTHON_REPR.search(message):
        raise AssertionError(f"The error message quotes Python: {message!r}")
    return None


# Rules a JSON schema cannot state, as they depend on today's date, on other fields or rows, or on
# a file's content: an offer's deadline, a block's start and last day to apply not in the past, a
# document not expired, dates within the window the platform accepts, the catalog's specialty one
# that exists, a block's capacity not below its seats taken, cross-field rules (a Step 1 date needs
# a result, a student's graduation year ahead, a certified applicant's ECFMG ID, a rotation open to
# students or graduates, a deposit not above the program fee), an upload that is a PDF, JPEG or
# PNG. A request refused for these inputs alone (400 naming them) is still right.
BEYOND_A_SCHEMA = {
    "expires_at",
    "expires_on",
    "start_date",
    "apply_by",
    "start_from",
    "start_to",
    "submitted_from",
    "submitted_to",
    "specialty",
    "graduation_year",
    "step1_date",
    "step2_score",
    "step2_date",
    "phone",
    "ecfmg_number",
    "training_status",
    "deposit_cents",
    "capacity",
    "accepts_students",
    "file",
    "date_to",  # a period that ends before it starts: a rule across two inputs
    "start_month",  # within the catalog's window, counted from today
    "page",  # within the first 10,000 rotations: how many pages that is depends on page_size
    "preceptor",  # a row that must exist, as a specialty
    # A letter of recommendation: due after today, submitted to ERAS not ahead and not before the
    # request, a Letter Request Form that is a PDF by its content, an author's address that is needed
    # only when their preceptor has no account, and names not blank once trimmed.
    "due_on",
    "eras_submitted_on",
    "request_form",
    "author_email",
    "author_title",
    "author_name",
}


@schemathesis.check
def valid_requests_are_accepted(ctx, response, case):
    """Schemathesis' positive_data_acceptance, but for a refusal of the inputs above alone, or of
    text that breaks the one-line pattern the schema states (schemathesis' coverage phase sends
    such text as if it were valid)."""
    if response.status_code == 400:
        refused = response.json().get("extra", {}).get("fields", {})
        body = case.body if isinstance(case.body, dict) else {}
        off_pattern = {
            name
            for name, messages in refused.items()
            if messages == [SINGLE_LINE_MESSAGE]
            and isinstance(body.get(name), str)
            and not re.fullmatch(SINGLE_LINE_PATTERN, body[name])
        }
        fields = set(refused) - off_pattern
        if refused and fields <= BEYOND_A_SCHEMA:
            return None
    return positive_data_acceptance(ctx, response, case)


def _sends_an_empty_form_value(case) -> bool:
    return "multipart" in (case.media_type or "") and isinstance(case.body, dict) and "" in case.body.values()


@schemathesis.check
def invalid_requests_are_refused(ctx, response, case):
    """Schemathesis' negative_data_rejection, but for a multipart body with an empty value:
    Werkzeug's test client encodes that part so that it never arrives (Django drops it), so what
    the server answered is for another request. test_an_upload_whose_expiry_is_empty_is_refused...
    sends it whole."""
    if _sends_an_empty_form_value(case):
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    invalid_requests_are_refused,
    valid_requests_are_accepted,
    error_messages_are_plain_english,
]


# Read from the live endpoint as a client would; making the schema reads no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


@pytest.fixture(autouse=True)
def requests_keep_the_test_transaction():
    """As Django's test client does: a request that ends must not close the connection that holds
    the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _host_data(organization) -> dict:
    """A verified organization's rotations, blocks and applications in the states a host acts on."""
    rotation = RotationFactory(organization=organization)
    RotationFactory(organization=organization, status="draft")
    block = BlockFactory(rotation=rotation, capacity=6)
    BlockFactory(rotation=rotation, start_date=date.today() + timedelta(days=120))
    applications = [
        ApplicationFactory(block=block, status=status, submitted_at=block.start_date - timedelta(days=60))
        for status in (S.SUBMITTED, S.UNDER_REVIEW, S.OFFERED, S.CONFIRMED, S.WAITLISTED)
    ]
    # Letters asked of the organization's preceptor, which its managers read but may not answer.
    ended = BlockFactory(
        rotation=rotation,
        start_date=date.today() - timedelta(days=40),
        apply_by=date.today() - timedelta(days=70),
    )
    letters = [
        letter_request(ApplicationFactory(block=ended, status=S.COMPLETED, submitted_at=timezone.now()))
        for _ in range(2)
    ]
    return {
        "/api/v1/host/rotations/": [rotation.pk],
        "/api/v1/host/blocks/": [block.pk],
        "/api/v1/host/applications/": [application.pk for application in applications],
        "/api/v1/host/letters/": [letter.pk for letter in letters],
        "/api/v1/organizations/": [organization.slug],
    }


def _applicant_data(applicant) -> dict:
    rotation = RotationFactory()
    block = BlockFactory(rotation=rotation, capacity=6)
    DocumentFactory(applicant=applicant)
    DocumentFactory(applicant=applicant, kind="passport", expires_on=date.today() + timedelta(days=900))
    applications = [ApplicationFactory(applicant=applicant, block=block, status=S.DRAFT)] + [
        ApplicationFactory(
            applicant=applicant,
            block=BlockFactory(rotation=rotation),
            status=status,
            submitted_at=date.today(),
        )
        for status in (S.SUBMITTED, S.OFFERED, S.CONFIRMED, S.WITHDRAWN)
    ]
    with transaction.atomic():
        enrollment_letter_follow(applications[3])  # the booking's letter, for its PDF download
    # A completed booking, which may ask for letters of recommendation, and two letters asked already.
    completed = completed_booking(applicant=applicant)
    letters = [
        letter_request(completed_booking(applicant=applicant), waived=waived) for waived in (True, False)
    ]
    applications.append(completed)
    return {
        "/api/v1/applications/": [application.pk for application in applications],
        "/api/v1/me/letters/": [letter.pk for letter in letters],
        "/api/v1/rotations/": [rotation.pk],
        "/api/v1/organizations/": [rotation.organization.slug],
    }


def _session(kind: str) -> dict:
    """The caller's headers, and the ids of the objects it may reach, made fresh for its test."""
    public = RotationFactory()
    BlockFactory(rotation=public)
    known = {"/api/v1/rotations/": [public.pk], "/api/v1/organizations/": [public.organization.slug]}
    headers = {}
    if kind == "applicant":
        applicant = ApplicantFactory()
        known.update(_applicant_data(applicant))
        user = applicant.user
    elif kind in ("coordinator", "owner"):
        member = OwnerFactory() if kind == "owner" else MembershipFactory(role=Membership.Role.COORDINATOR)
        known.update(_host_data(member.organization))
        headers["X-Organization"] = member.organization.slug
        user = member.user
    if kind != "anonymous":
        _, secret = api_token_create(user=user, name="conformance", lifetime_days=30)
        headers["Authorization"] = f"Token {secret}"
    return {"headers": headers, "known": known, "turn": count()}


# Schemathesis' lazy schema takes no parametrized fixture, so each session is a fixture of its own.
@pytest.fixture
def anonymous():
    return _session("anonymous")


@pytest.fixture
def applicant():
    return _session("applicant")


@pytest.fixture
def coordinator():
    return _session("coordinator")


@pytest.fixture
def owner():
    return _session("owner")


def _point_at_known_objects(case, session) -> None:
    """A valid request names an object of the session's data (a random id only finds a 404); an
    invalid one keeps the id it was generated with, which is part of what makes it invalid."""
    if not case.meta or not case.meta.generation.mode.is_positive or not case.path_parameters:
        return
    for prefix, ids in session["known"].items():
        if case.path.startswith(prefix):
            name = "slug" if "slug" in case.path_parameters else "id"
            case.path_parameters[name] = ids[next(session["turn"]) % len(ids)]
            return


def conforms(case, session) -> None:
    _point_at_known_objects(case, session)
    headers = dict(session["headers"])
    # The schema's optional header is generated too: a valid request names the member's own
    # organization, an invalid one keeps what was generated.
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if negative and "X-Organization" in (case.headers or {}):
        headers.pop("X-Organization", None)
    case.call_and_validate(headers=headers, checks=CHECKS)


BOUNDED = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)


@schema.parametrize()
@BOUNDED
def test_every_operation_answers_an_anonymous_caller_as_its_schema_says(case, anonymous):
    conforms(case, anonymous)


@schema.parametrize()
@BOUNDED
def test_every_operation_answers_an_applicant_as_its_schema_says(case, applicant):
    conforms(case, applicant)


@schema.parametrize()
@BOUNDED
def test_every_operation_answers_a_host_coordinator_as_its_schema_says(case, coordinator):
    conforms(case, coordinator)


@schema.parametrize()
@BOUNDED
def test_every_operation_answers_a_host_owner_as_its_schema_says(case, owner):
    conforms(case, owner)


# What the runs above found, each kept as a test of its own.


def _applicant_client():
    client = Client()
    client.force_login(ApplicantFactory().user)
    return client


def test_an_upload_whose_expiry_is_empty_is_refused_not_stored_without_one():
    response = _applicant_client().post(
        "/api/v1/me/documents/",
        {"kind": "cv", "file": SimpleUploadedFile("cv.pdf", PDF_BYTES), "expires_on": ""},
    )
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {"expires_on": [ANY]}


@pytest.mark.parametrize("query", ["submitted_to=", "submitted_from=", "status=", "block=", "rotation="])
def test_a_host_filter_sent_empty_is_refused_not_ignored(client, query):
    login(client, MembershipFactory())
    response = client.get(f"/api/v1/host/applications/?{query}")
    assert response.status_code == 400, response.content
    assert client.get("/api/v1/host/block-changes/?status=").status_code == 400


@pytest.mark.parametrize("query", ["from=", "to="])
def test_a_payout_period_sent_empty_is_refused_not_ignored(client, query):
    login(client, OwnerFactory())
    assert client.get(f"/api/v1/host/payouts/?{query}").status_code == 400


def test_each_applicant_list_documents_its_pages():
    operations = schema.raw_schema["paths"]
    for path in ("/api/v1/applications/", "/api/v1/me/documents/"):
        listed = operations[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert listed["$ref"].startswith("#/components/schemas/Paginated"), path


def test_every_operation_documents_the_refusals_every_request_can_meet():
    for path, operations in schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            assert {"401", "429"} <= set(answers), (method, path)
            assert "Retry-After" in answers["429"]["headers"], (method, path)
            if method in ("post", "patch"):
                assert {"400", "404", "409", "413", "415"} <= set(answers), (method, path)


def test_the_schemas_one_line_pattern_refuses_exactly_what_the_validator_refuses():
    """Every character of the Basic Multilingual Plane, and the astral planes' first characters: the
    pattern the schema states and amo.text.breaks_one_line agree on each."""
    pattern = re.compile(SINGLE_LINE_PATTERN)
    characters = [chr(code) for code in [*range(0x10000), *range(0x10000, 0x10100)]]
    disagree = [c for c in characters if bool(pattern.fullmatch(c)) == breaks_one_line(c)]
    assert disagree == []
    assert not pattern.fullmatch("Dr. Ada\nLovelace") and pattern.fullmatch("Dr. Ada Lovelace")
    assert not pattern.fullmatch("")  # blank is the schema's other choice where a field allows it
