"""The tenant isolation matrix: every host page and host API endpoint, asked by a member of
organization A for organization B's objects, answers 404 and changes nothing.

The URLs come from the URL configuration: a new endpoint under /host/ or /api/v1/host/ without a
case in CASES fails `test_every_host_endpoint_has_an_isolation_case`.
"""

import ast
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from amo.models import Notification
from amo.services import api_token_create
from applicants.models import (
    Application,
    ApplicationMessage,
    ApplicationTransition,
    BlockChange,
    CompletionCertificate,
    Evaluation,
    LetterFileAccess,
    LetterRequest,
    LetterTransition,
    LetterVersion,
    Review,
)
from hosts.models import Invitation, Membership, Organization, Preceptor
from hosts.services import invitation_token, membership_remove
from hosts.tenancy import SESSION_KEY
from payments.models import LedgerEntry, Payment
from rotations.models import Block, FirstDayInformation, Rotation, SeatHold
from tests.applicants.letters import Booking, letter_requested, letter_uploaded
from tests.factories import ApplicationFactory, BlockChangeFactory, completed_booking, review_written
from tests.hosts.conftest import login
from tests.hosts.test_evaluations import api_data

pytestmark = pytest.mark.django_db
HOST_PREFIXES = ("host/", "api/v1/host/")


def host_url_names() -> set[str]:
    """The namespaced name of every URL pattern under the host prefixes, found by walking the resolver."""
    names = set()

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif (prefix + str(pattern.pattern)).startswith(HOST_PREFIXES):
                assert pattern.name, f"unnamed host URL {prefix}{pattern.pattern}"
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, "", "")
    return names


def snapshot() -> dict:
    """Every row an isolation breach could change."""
    return {
        "organizations": list(Organization.objects.order_by("pk").values_list("pk", "is_verified")),
        "rotations": list(Rotation.objects.order_by("pk").values_list()),
        "first_days": list(FirstDayInformation.objects.order_by("pk").values_list()),
        "blocks": list(Block.objects.order_by("pk").values_list()),
        "applications": list(
            Application.objects.order_by("pk").values_list("pk", "status", "block_id", "documents_due_at")
        ),
        "holds": list(SeatHold.objects.order_by("pk").values_list()),
        "block_changes": list(BlockChange.objects.order_by("pk").values_list()),
        "transitions": ApplicationTransition.objects.count(),
        "messages": ApplicationMessage.objects.count(),
        "memberships": list(Membership.objects.order_by("pk").values_list()),
        "invitations": list(Invitation.objects.order_by("pk").values_list()),
        "preceptors": list(Preceptor.objects.order_by("pk").values_list()),
        "notifications": Notification.objects.count(),
        "letters": list(LetterRequest.objects.order_by("pk").values_list()),
        "letter_versions": LetterVersion.objects.count(),
        "letter_transitions": LetterTransition.objects.count(),
        "letter_accesses": LetterFileAccess.objects.count(),
        "reviews": list(Review.objects.order_by("pk").values_list()),
        "evaluations": Evaluation.objects.count(),
        "certificates": CompletionCertificate.objects.count(),
    }


@dataclass(frozen=True)
class Objects:
    """Requests for B's objects: each method must answer 404."""

    kwargs: Callable
    methods: tuple[str, ...]
    data: Callable = lambda a, b: {}


@dataclass(frozen=True)
class Check:
    """An endpoint without object ids in its path: a custom check that B stays invisible."""

    run: Callable


def send(client, method: str, url: str, data: dict, api: bool):
    if method == "get":
        return client.get(url, data)
    if api:
        return getattr(client, method)(url, data, content_type="application/json")
    return getattr(client, method)(url, data)


def _page_hides_b(name: str) -> Check:
    def run(client, a, b):
        response = client.get(reverse(name))
        assert response.status_code == 200
        text = response.content.decode()
        assert a.organization.name in text
        for marker in [
            b.organization.name,
            b.rotation.title,
            b.application.applicant.legal_name,
            b.owner.user.email,
        ]:
            assert marker not in text

    return Check(run)


def _api_list_hides_b(name: str, query: Callable, filters: bool = True) -> Check:
    def run(client, a, b):
        response = client.get(reverse(name))
        assert response.status_code == 200
        ids = {row["id"] for row in response.json()["results"]}
        assert ids and not ids & query(b)
        assert ids <= query(a)
        if not filters:
            return
        filtered = client.get(reverse(name), {"rotation": b.rotation.pk, "block": b.block.pk})
        assert filtered.status_code in (200, 400, 404)
        if filtered.status_code == 200:
            assert filtered.json()["results"] == []

    return Check(run)


def _switch(client, a, b):
    response = client.post(reverse("hosts:switch_organization"), {"organization": b.organization.slug})
    assert response.status_code == 404
    assert client.session[SESSION_KEY] == a.organization.pk


def _invite_as_b_preceptor(client, a, b):
    response = client.post(
        reverse("hosts:invitation_create"),
        {"email": "new@example.test", "role": "preceptor", "preceptor": b.preceptor.pk},
    )
    assert response.status_code == 400


def _create_rotation_with_b_preceptor(client, a, b):
    data = rotation_form_data(a)
    data["preceptor"] = b.preceptor.pk
    response = client.post(reverse("hosts:rotation_create"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def _bulk(client, a, b):
    data = {"action": "waitlist", "applications": [a.application.pk, b.application.pk]}
    assert client.post(reverse("hosts:applications_bulk"), data).status_code == 404


def _api_bulk(client, a, b):
    data = {"action": "waitlist", "applications": [a.application.pk, b.application.pk]}
    url = reverse("hosts_api:application-bulk")
    assert client.post(url, data, content_type="application/json").status_code == 404


def _onboarding(client, a, b):
    # Not tenant-scoped: it only ever creates a new organization owned by the requester.
    response = client.get(reverse("hosts:onboarding"))
    assert response.status_code == 200
    assert b.organization.name not in response.content.decode()


def _accept_b_invitation(client, a, b):
    # Bound to the invited address: someone else's link is refused and changes nothing.
    url = reverse("hosts:invitation_accept", kwargs={"token": invitation_token(b.invitation)})
    assert client.post(url).status_code == 403


def _api_create_rotation_with_b_preceptor(client, a, b):
    data = {**api_rotation_data(a), "preceptor": b.preceptor.pk}
    response = client.post(reverse("hosts_api:rotation-list"), data, content_type="application/json")
    assert response.status_code == 404
    assert "preceptor" in response.json()["extra"]["fields"]


def _api_create_block_on_b_rotation(client, a, b):
    data = {
        "rotation": b.rotation.pk,
        "start_date": BLOCK_DATA["start_date"],
        "weeks": 4,
        "capacity": 2,
        "apply_by": BLOCK_DATA["apply_by"],
    }
    response = client.post(reverse("hosts_api:block-list"), data, content_type="application/json")
    assert response.status_code == 404
    assert list(response.json()["extra"]["fields"]) == ["rotation"]


def rotation_form_data(tenant) -> dict:
    return {
        "title": "Changed title",
        "specialty": tenant.rotation.specialty_id,
        "preceptor": tenant.rotation.preceptor_id,
        "rotation_type": "observership",
        "setting": "outpatient",
        "description": "Changed.",
        "accepts_students": "on",
        "accepts_graduates": "on",
        "balance_due_days_before_start": 30,
        "cancellation_policy": "moderate",
        "weekly_hours": 40,
        "booking_mode": "host_review",
        "application_fee": "50.00",
        "program_fee": "1000.00",
        "deposit": "100.00",
    }


def api_rotation_data(tenant) -> dict:
    return {
        "title": "API rotation",
        "specialty": tenant.rotation.specialty_id,
        "rotation_type": "research",
        "setting": "outpatient",
        "description": "Research.",
        "program_fee_cents": 100_000,
        "deposit_cents": 10_000,
    }


# Valid dates (a block starts from today on, at most three years ahead): only the scope refuses.
BLOCK_DATA = {
    "start_date": (date.today() + timedelta(days=90)).isoformat(),
    "weeks": 4,
    "capacity": 0,
    "apply_by": (date.today() + timedelta(days=60)).isoformat(),
}
rotation = lambda a, b: {"pk": b.rotation.pk}  # noqa: E731
first_day = lambda a, b: {"where_to_go": "Taken over.", "ask_for": "Mallory"}  # noqa: E731
application = lambda a, b: {"pk": b.application.pk}  # noqa: E731
booking = lambda a, b: {"pk": b.booking.pk}  # noqa: E731
block_change = lambda a, b: {"pk": b.block_change.pk}  # noqa: E731
letter = lambda a, b: {"pk": b.letter.pk}  # noqa: E731
submitted_on = lambda a, b: {"eras_submitted_on": date.today().isoformat()}  # noqa: E731
review = lambda a, b: {"pk": b.review.pk}  # noqa: E731
reason = lambda a, b: {"reason": "Taken over."}  # noqa: E731

evaluation = lambda a, b: api_data()  # noqa: E731  a whole, valid evaluation: only the scope refuses it


@pytest.fixture
def bookings(tenant_a, tenant_b):
    """Each tenant also has a confirmed booking (on its other block) with a date change asked for,
    and a review of a completed booking: the objects the booking actions, date-change and review
    endpoints act on."""
    for tenant in (tenant_a, tenant_b):
        name = tenant.organization.name
        tenant.booking = ApplicationFactory(
            block=tenant.other_block,
            status=Application.Status.CONFIRMED,
            submitted_at=timezone.now(),
            applicant__legal_name=f"{name} Booked Applicant",
        )
        tenant.block_change = BlockChangeFactory(
            application=tenant.booking, from_block=tenant.other_block, to_block=tenant.block, reason="Exams."
        )
        tenant.review = review_written(completed_booking(tenant.rotation), 4, text=f"{name} was a fine host.")


@pytest.fixture
def letters(tenant_a, tenant_b):
    """Each tenant's preceptor was asked for a letter by an applicant who completed their rotation,
    accepted and uploaded it: what the letter pages and their actions reach."""
    for tenant in (tenant_a, tenant_b):
        completed = ApplicationFactory(
            block=tenant.block,
            status=Application.Status.COMPLETED,
            submitted_at=timezone.now(),
            applicant__legal_name=f"{tenant.organization.name} Letter Applicant",
        )
        booking = Booking(application=completed, author=tenant.preceptor_member)
        tenant.letter = letter_requested(booking)
        letter_uploaded(booking, tenant.letter, texts=[f"{tenant.organization.name} letter"])


def _letters_page_hides_b(client, a, b):
    _page_hides_b("hosts:letters").run(client, a, b)
    response = client.get(reverse("hosts:letters"))
    assert [letter.pk for letter in response.context["object_list"]] == [a.letter.pk]
    assert b.letter.eras_letter_id not in response.content.decode()


def _block_changes_page_hides_b(client, a, b):
    _page_hides_b("hosts:block_changes").run(client, a, b)
    response = client.get(reverse("hosts:block_changes"))
    assert [change.pk for change in response.context["object_list"]] == [a.block_change.pk]
    assert b.booking.applicant.legal_name not in response.content.decode()


def _reviews_page_hides_b(client, a, b):
    _page_hides_b("hosts:reviews").run(client, a, b)
    response = client.get(reverse("hosts:reviews"))
    assert [shown.pk for shown in response.context["object_list"]] == [a.review.pk]
    assert b.review.text not in response.content.decode()


def _payouts_show_only_a(name: str) -> Check:
    """The payouts page, its CSV and the API show A's ledger only, whatever B's holds."""

    def run(client, a, b):
        for tenant, cents in [(a, 40_000), (b, 90_000)]:
            payment = Payment.objects.create(
                application=tenant.booking,
                purpose=Payment.Purpose.DEPOSIT,
                amount_cents=cents,
                status=Payment.Status.SUCCEEDED,
                succeeded_at=timezone.now(),
            )
            LedgerEntry.objects.create(
                organization=tenant.organization,
                payment=payment,
                kind="charge",
                amount_cents=cents,
                currency="usd",
            )
        response = client.get(reverse(name))
        assert response.status_code == 200
        if name == "hosts_api:payouts":
            body = response.json()
            assert body["balance_cents"] == 40_000
            assert {line["application"] for line in body["lines"]} == {a.booking.pk}
            return
        text = response.content.decode()
        assert b.booking.applicant.legal_name not in text and "900.00" not in text
        assert a.booking.applicant.legal_name in text
        if name == "hosts:payouts":
            _page_hides_b("hosts:payouts").run(client, a, b)

    return Check(run)


CASES: dict[str, Objects | Check] = {
    # Pages under /host/
    "hosts:dashboard": Check(lambda client, a, b: _dashboard_counts_only_a(client, a, b)),
    "hosts:onboarding": Check(_onboarding),
    "hosts:switch_organization": Check(_switch),
    "hosts:members": _page_hides_b("hosts:members"),
    "hosts:member_remove": Objects(lambda a, b: {"pk": b.coordinator.pk}, ("post",)),
    "hosts:invitation_create": Check(_invite_as_b_preceptor),
    "hosts:invitation_revoke": Objects(lambda a, b: {"pk": b.invitation.pk}, ("post",)),
    "hosts:invitation_accept": Check(_accept_b_invitation),
    "hosts:preceptor_create": _page_hides_b("hosts:preceptor_create"),
    "hosts:rotations": _page_hides_b("hosts:rotations"),
    "hosts:rotation_create": Check(_create_rotation_with_b_preceptor),
    "hosts:rotation_detail": Objects(rotation, ("get",)),
    "hosts:rotation_update": Objects(rotation, ("get", "post"), lambda a, b: rotation_form_data(b)),
    "hosts:rotation_first_day": Objects(rotation, ("get", "post"), first_day),
    "hosts:rotation_publish": Objects(rotation, ("post",)),
    "hosts:rotation_unpublish": Objects(rotation, ("post",)),
    "hosts:rotation_archive": Objects(rotation, ("post",)),
    "hosts:block_create": Objects(rotation, ("post",), lambda a, b: {**BLOCK_DATA, "capacity": 2}),
    "hosts:block_update": Objects(lambda a, b: {"pk": b.block.pk}, ("get", "post"), lambda a, b: BLOCK_DATA),
    "hosts:applications": _page_hides_b("hosts:applications"),
    "hosts:applications_bulk": Check(_bulk),
    "hosts:application_detail": Objects(application, ("get",)),
    "hosts:application_start_review": Objects(application, ("post",)),
    "hosts:application_offer": Objects(application, ("post",)),
    "hosts:application_reject": Objects(application, ("post",), lambda a, b: {"reason": "No."}),
    "hosts:application_waitlist": Objects(application, ("post",)),
    "hosts:application_request_info": Objects(application, ("post",), lambda a, b: {"message": "Hi"}),
    "hosts:application_cancel": Objects(booking, ("post",), reason),
    "hosts:application_no_show": Objects(booking, ("post",), reason),
    "hosts:application_end_early": Objects(booking, ("post",), reason),
    "hosts:application_evaluation": Objects(booking, ("get", "post"), evaluation),
    "hosts:block_changes": Check(_block_changes_page_hides_b),
    "hosts:block_change_approve": Objects(block_change, ("post",)),
    "hosts:block_change_decline": Objects(block_change, ("post",), lambda a, b: {"answer": "No."}),
    "hosts:application_document": Objects(
        lambda a, b: {"pk": b.application.pk, "document_id": b.document.pk}, ("get",)
    ),
    "hosts:letters": Check(_letters_page_hides_b),
    "hosts:letter_detail": Objects(letter, ("get",)),
    "hosts:letter_accept": Objects(letter, ("post",)),
    "hosts:letter_decline": Objects(letter, ("post",), reason),
    "hosts:letter_upload": Objects(letter, ("post",)),
    "hosts:letter_confirm": Objects(letter, ("post",), submitted_on),
    "hosts:letter_version_file": Objects(lambda a, b: {"pk": b.letter.pk, "number": 1}, ("get",)),
    "hosts:reviews": Check(_reviews_page_hides_b),
    "hosts:review_answer": Objects(review, ("post",), lambda a, b: {"answer": "Taken over."}),
    "hosts:roster": _page_hides_b("hosts:roster"),
    "hosts:calendar": _page_hides_b("hosts:calendar"),
    "hosts:payouts": _payouts_show_only_a("hosts:payouts"),
    "hosts:payouts_csv": _payouts_show_only_a("hosts:payouts_csv"),
    # The API under /api/v1/host/
    "hosts_api:rotation-list": Check(
        lambda client, a, b: (
            _api_list_hides_b(
                "hosts_api:rotation-list", lambda t: {t.rotation.pk, t.other_rotation.pk}, filters=False
            ).run(client, a, b),
            _api_create_rotation_with_b_preceptor(client, a, b),
        )
    ),
    "hosts_api:rotation-detail": Objects(rotation, ("get", "patch"), lambda a, b: {"title": "Taken over"}),
    "hosts_api:rotation-first-day": Objects(rotation, ("get", "patch"), first_day),
    "hosts_api:rotation-publish": Objects(rotation, ("post",)),
    "hosts_api:rotation-unpublish": Objects(rotation, ("post",)),
    "hosts_api:rotation-archive": Objects(rotation, ("post",)),
    "hosts_api:block-list": Check(
        lambda client, a, b: (
            _api_list_hides_b(
                "hosts_api:block-list",
                lambda t: {t.block.pk, t.other_block.pk, t.review.application.block_id},
            ).run(client, a, b),
            _api_create_block_on_b_rotation(client, a, b),
        )
    ),
    "hosts_api:block-detail": Objects(
        lambda a, b: {"pk": b.block.pk}, ("get", "patch"), lambda a, b: {"capacity": 0}
    ),
    "hosts_api:application-list": _api_list_hides_b(
        "hosts_api:application-list",
        lambda t: {
            t.application.pk,
            t.other_application.pk,
            t.booking.pk,
            t.letter.application_id,
            t.review.application_id,
        },
    ),
    "hosts_api:application-detail": Objects(application, ("get",)),
    "hosts_api:application-start-review": Objects(application, ("post",)),
    "hosts_api:application-offer": Objects(application, ("post",)),
    "hosts_api:application-reject": Objects(application, ("post",), lambda a, b: {"reason": "No."}),
    "hosts_api:application-waitlist": Objects(application, ("post",)),
    "hosts_api:application-request-info": Objects(application, ("post",), lambda a, b: {"message": "Hi"}),
    "hosts_api:application-bulk": Check(_api_bulk),
    "hosts_api:application-cancel": Objects(booking, ("post",), reason),
    "hosts_api:application-no-show": Objects(booking, ("post",), reason),
    "hosts_api:application-end-early": Objects(booking, ("post",), reason),
    "hosts_api:application-evaluation": Objects(booking, ("get", "post"), evaluation),
    "hosts_api:block-change-list": _api_list_hides_b(
        "hosts_api:block-change-list", lambda t: {t.block_change.pk}, filters=False
    ),
    "hosts_api:block-change-approve": Objects(block_change, ("post",)),
    "hosts_api:block-change-decline": Objects(block_change, ("post",), lambda a, b: {"answer": "No."}),
    "hosts_api:payouts": _payouts_show_only_a("hosts_api:payouts"),
    "hosts_api:letter-list": _api_list_hides_b(
        "hosts_api:letter-list", lambda t: {t.letter.pk}, filters=False
    ),
    "hosts_api:letter-detail": Objects(letter, ("get",)),
    "hosts_api:letter-accept": Objects(letter, ("post",)),
    "hosts_api:letter-decline": Objects(letter, ("post",), reason),
    "hosts_api:letter-upload": Objects(letter, ("post",)),
    "hosts_api:letter-confirm-submission": Objects(letter, ("post",), submitted_on),
    "hosts_api:review-list": _api_list_hides_b(
        "hosts_api:review-list", lambda t: {t.review.pk}, filters=False
    ),
    "hosts_api:review-answer": Objects(review, ("post",), lambda a, b: {"answer": "Taken over."}),
}


def _dashboard_counts_only_a(client, a, b):
    response = client.get(reverse("hosts:dashboard"))
    assert response.status_code == 200
    # A has two submitted applications; B's two must not be counted.
    assert response.context["counts"].new_applications == 2


def test_every_host_endpoint_has_an_isolation_case():
    missing = host_url_names() - set(CASES)
    assert not missing, f"new endpoint without an isolation case: {sorted(missing)}"
    assert not set(CASES) - host_url_names(), "isolation case for an endpoint that no longer exists"


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_member_of_a_cannot_see_or_change_organization_b(
    client, tenant_a, tenant_b, bookings, letters, name
):
    login(client, tenant_a.owner)
    before = snapshot()
    case = CASES[name]
    if isinstance(case, Check):
        case.run(client, tenant_a, tenant_b)
    else:
        url = reverse(name, kwargs=case.kwargs(tenant_a, tenant_b))
        for method in case.methods:
            response = send(
                client, method, url, case.data(tenant_a, tenant_b), api=name.startswith("hosts_api:")
            )
            assert response.status_code == 404, (method, url, response.status_code)
    assert snapshot() == before


def test_a_document_not_assigned_to_the_application_is_404_even_in_ones_own_organization(
    client, tenant_a, tenant_b
):
    login(client, tenant_a.owner)
    own = reverse(
        "hosts:application_document",
        kwargs={"pk": tenant_a.application.pk, "document_id": tenant_a.document.pk},
    )
    response = client.get(own)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    foreign = reverse(
        "hosts:application_document",
        kwargs={"pk": tenant_a.application.pk, "document_id": tenant_b.document.pk},
    )
    assert client.get(foreign).status_code == 404


def test_a_preceptor_sees_only_the_rotations_they_supervise_and_cannot_decide(client, tenant_a):
    login(client, tenant_a.preceptor_member)
    queue = client.get(reverse("hosts:applications"))
    assert queue.status_code == 200
    assert list(queue.context["object_list"]) == [tenant_a.application]
    assert client.get(reverse("hosts:application_detail", args=[tenant_a.application.pk])).status_code == 200
    assert (
        client.get(reverse("hosts:application_detail", args=[tenant_a.other_application.pk])).status_code
        == 404
    )
    roster = client.get(reverse("hosts:roster"))
    assert {block.pk for block in roster.context["object_list"]} == {tenant_a.block.pk}
    api = client.get(reverse("hosts_api:application-list"))
    assert [row["id"] for row in api.json()["results"]] == [tenant_a.application.pk]

    before = snapshot()
    own = tenant_a.application.pk
    assert client.post(reverse("hosts:application_offer", args=[own])).status_code == 403
    assert (
        client.post(reverse("hosts:application_waitlist", args=[tenant_a.other_application.pk])).status_code
        == 403
    )
    assert client.post(reverse("hosts_api:application-waitlist", args=[own])).status_code == 403
    assert client.post(reverse("hosts:rotation_archive", args=[tenant_a.rotation.pk])).status_code == 403
    assert client.get(reverse("hosts:members")).status_code == 403
    assert snapshot() == before


def test_a_removed_member_loses_access_on_the_next_request(client, tenant_a):
    coordinator = tenant_a.coordinator
    login(client, coordinator)
    detail = reverse("hosts:application_detail", args=[tenant_a.application.pk])
    api = reverse("hosts_api:application-detail", args=[tenant_a.application.pk])
    assert client.get(detail).status_code == 200
    assert client.get(api).status_code == 200

    membership_remove(membership=coordinator)

    response = client.get(detail)
    assert response.status_code == 302
    assert response["Location"] == reverse("hosts:onboarding")
    assert client.get(api).status_code == 403
    before = snapshot()
    assert (
        client.post(reverse("hosts:application_waitlist", args=[tenant_a.application.pk])).status_code == 302
    )
    assert snapshot() == before


def test_a_member_of_two_organizations_switches_and_sees_only_the_chosen_one(client, tenant_a, tenant_b):
    both = tenant_a.coordinator.user
    Membership.objects.create(organization=tenant_b.organization, user=both, role=Membership.Role.COORDINATOR)
    login(client, tenant_a.coordinator)
    b_detail = reverse("hosts:application_detail", args=[tenant_b.application.pk])
    assert client.get(b_detail).status_code == 404
    response = client.post(reverse("hosts:switch_organization"), {"organization": tenant_b.organization.slug})
    assert response.status_code == 302
    assert client.get(b_detail).status_code == 200
    assert client.get(reverse("hosts:application_detail", args=[tenant_a.application.pk])).status_code == 404
    # API clients name the organization in a header, checked the same way.
    api = reverse("hosts_api:application-detail", args=[tenant_a.application.pk])
    assert client.get(api, headers={"X-Organization": tenant_a.organization.slug}).status_code == 200
    assert client.get(api, headers={"X-Organization": "not-mine"}).status_code == 403


# --- Zulip-style lint: host views never query a host-owned model outside `scoped(...)` ---------------

HOST_OWNED = {
    "Rotation",
    "FirstDayInformation",
    "Block",
    "Application",
    "BlockChange",
    "Preceptor",
    "Membership",
    "Invitation",
    "Document",
    "LetterRequest",
    "LetterVersion",
}
ROOT = Path(__file__).resolve().parents[2]
SCANNED = sorted(
    str(path.relative_to(ROOT))
    for path in [
        *(ROOT / "hosts" / "views").glob("*.py"),
        ROOT / "hosts" / "api.py",
        ROOT / "hosts" / "serializers.py",
    ]
)


def unscoped_queries(source: str) -> list[int]:
    """Line numbers where `<HostOwnedModel>.objects` is used other than inside `scoped(...)`."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    offending = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr == "objects"):
            continue
        if not (isinstance(node.value, ast.Name) and node.value.id in HOST_OWNED):
            continue
        ancestor, inside_scoped = node, False
        while ancestor in parents and not isinstance(ancestor, ast.stmt):
            ancestor = parents[ancestor]
            func = getattr(ancestor, "func", None)
            if isinstance(ancestor, ast.Call) and getattr(func, "attr", None) in {"scoped", "scoped_get"}:
                inside_scoped = True
                break
        if not inside_scoped:
            offending.append(node.lineno)
    return offending


def test_the_unscoped_query_lint_catches_an_unscoped_query():
    assert unscoped_queries("x = Rotation.objects.filter(pk=1)\ny = self.scoped(Block.objects.all())\n") == [
        1
    ]


@pytest.mark.parametrize("path", SCANNED)
def test_host_views_query_host_owned_models_only_through_the_tenant_scope(path):
    source = (ROOT / path).read_text()
    assert unscoped_queries(source) == [], f"{path}: query host-owned models through self.scoped(...)"


def test_token_clients_choose_one_of_their_organizations_by_header(client, tenant_a, tenant_b):
    _, secret = api_token_create(user=tenant_a.coordinator.user, name="sync", lifetime_days=30)
    auth = {"Authorization": f"Token {secret}"}
    url = reverse("hosts_api:application-list")
    rows = client.get(url, headers=auth).json()["results"]
    assert {row["id"] for row in rows} == {tenant_a.application.pk, tenant_a.other_application.pk}
    mine = client.get(url, headers={**auth, "X-Organization": tenant_a.organization.slug})
    assert mine.status_code == 200
    theirs = client.get(url, headers={**auth, "X-Organization": tenant_b.organization.slug})
    assert theirs.status_code == 403
    assert client.get(url).status_code == 401  # anonymous: asked for a token
