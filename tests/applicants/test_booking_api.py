"""The applicant's booking API: accept, decline, cancel (with a refund preview), date changes, late
documents and book now. Another applicant's application is a 404; a refusal changes nothing."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from applicants.models import Application, BlockChange
from rotations.models import Block, Rotation, SeatHold
from tests.applicants.test_apply import STATEMENT, _ready_applicant_and_block
from tests.factories import (
    ApplicationFactory,
    BlockChangeFactory,
    BlockFactory,
    DocumentFactory,
    MembershipFactory,
    take_seat,
)

pytestmark = pytest.mark.django_db
S = Application.Status


def api_as(application_or_user) -> APIClient:
    user = getattr(getattr(application_or_user, "applicant", None), "user", application_or_user)
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(application: Application, action: str) -> str:
    return f"/api/v1/applications/{application.pk}/{action}/"


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def seats_taken(block: Block) -> int:
    return Block.objects.values_list("seats_taken", flat=True).get(pk=block.pk)


def test_accepting_an_offer_answers_the_application_awaiting_its_deposit():
    application = ApplicationFactory(status=S.OFFERED)
    response = api_as(application).post(url(application, "accept"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == S.AWAITING_PAYMENT
    assert body["hold_kind"] == SeatHold.Kind.OFFER
    assert body["hold_expires_at"] is not None


def test_accepting_an_expired_offer_is_409_and_changes_nothing():
    application = ApplicationFactory(status=S.OFFERED, seat=timezone.now() + timedelta(minutes=1))
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        response = api_as(application).post(url(application, "accept"))
    assert response.status_code == 409
    assert "expired" in response.json()["message"]
    assert status_of(application) == S.OFFERED


def test_accepting_what_is_not_an_offer_is_409():
    application = ApplicationFactory(status=S.SUBMITTED, submitted_at=timezone.now())
    response = api_as(application).post(url(application, "accept"))
    assert response.status_code == 409
    assert status_of(application) == S.SUBMITTED


def test_declining_keeps_the_reason_and_frees_the_seat():
    application = ApplicationFactory(status=S.OFFERED)
    response = api_as(application).post(
        url(application, "decline"), {"reason": "Found another"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == S.DECLINED
    assert seats_taken(application.block) == 0


def test_a_reason_too_long_is_400_and_declines_nothing():
    application = ApplicationFactory(status=S.OFFERED)
    response = api_as(application).post(url(application, "decline"), {"reason": "x" * 5000}, format="json")
    assert response.status_code == 400
    assert status_of(application) == S.OFFERED


def test_another_applicants_application_is_404_on_every_booking_endpoint():
    application = ApplicationFactory(status=S.CONFIRMED, submitted_at=timezone.now())
    intruder = api_as(ApplicationFactory(status=S.SUBMITTED))
    for action in ("accept", "decline", "cancel", "block-change", "documents"):
        assert intruder.post(url(application, action), {}, format="json").status_code == 404
    assert intruder.post(url(application, "cancel") + "?preview=1").status_code == 404
    assert status_of(application) == S.CONFIRMED


def _confirmed() -> Application:
    return ApplicationFactory(
        status=S.CONFIRMED,
        submitted_at=timezone.now(),
        block__start_date=date.today() + timedelta(days=45),
        block__rotation__cancellation_policy=Rotation.CancellationPolicy.MODERATE,
    )


def test_the_cancel_preview_answers_the_refund_and_changes_nothing():
    application = _confirmed()
    response = api_as(application).post(url(application, "cancel") + "?preview=1")
    assert response.status_code == 200
    quote = response.json()
    # Moderate policy, 45 days before the start: 50% of the program fee paid.
    assert quote["refund_percent"] == 50
    assert quote["program_fee_refund_cents"] == quote["program_fee_paid_cents"] * 50 // 100
    assert quote["application_fee_refund_cents"] == 0
    assert quote["schedule"][0]["refund_percent"] == 50
    assert status_of(application) == S.CONFIRMED
    assert seats_taken(application.block) == 1


def test_cancelling_a_booking_frees_its_seat_and_answers_the_application():
    application = _confirmed()
    response = api_as(application).post(url(application, "cancel"), {"reason": "Visa refused"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == S.CANCELLED
    assert seats_taken(application.block) == 0


def test_cancelling_an_offer_is_409():
    application = ApplicationFactory(status=S.OFFERED)
    assert api_as(application).post(url(application, "cancel")).status_code == 409
    assert status_of(application) == S.OFFERED


def test_a_date_change_is_asked_and_listed_on_the_application():
    application = _confirmed()
    later = BlockFactory(
        rotation=application.block.rotation, start_date=application.block.start_date + timedelta(days=60)
    )
    response = api_as(application).post(
        url(application, "block-change"), {"to_block": later.pk, "reason": "Exam"}, format="json"
    )
    assert response.status_code == 201, response.json()
    [change] = response.json()["block_changes"]
    assert (change["to_block"]["id"], change["status"]) == (later.pk, BlockChange.Status.REQUESTED)


def test_a_date_change_to_another_organizations_block_is_400_and_a_second_one_409():
    application = _confirmed()
    client = api_as(application)
    response = client.post(url(application, "block-change"), {"to_block": BlockFactory().pk}, format="json")
    assert response.status_code == 400
    assert not BlockChange.objects.exists()
    assert client.post(url(application, "block-change"), {"to_block": "x"}, format="json").status_code == 400
    later = BlockFactory(rotation=application.block.rotation)
    assert (
        client.post(url(application, "block-change"), {"to_block": later.pk}, format="json").status_code
        == 201
    )
    other = BlockFactory(rotation=application.block.rotation)
    assert (
        client.post(url(application, "block-change"), {"to_block": other.pk}, format="json").status_code
        == 409
    )


def test_documents_sent_to_a_booking_complete_it():
    applicant, block, (cv, tb) = _ready_applicant_and_block()
    application = ApplicationFactory(
        applicant=applicant,
        block=block,
        status=S.CONFIRMED,
        submitted_at=timezone.now(),
        documents_due_at=timezone.now() + timedelta(days=7),
    )
    application.documents.set([cv])
    response = api_as(application).post(url(application, "documents"), {"documents": [tb.pk]}, format="json")
    assert response.status_code == 200
    assert response.json()["documents_due_at"] is None
    assert sorted(response.json()["documents"]) == sorted([cv.pk, tb.pk])


def test_documents_of_another_vault_are_404_and_none_at_all_400():
    application = _confirmed()
    client = api_as(application)
    foreign = DocumentFactory()
    assert (
        client.post(url(application, "documents"), {"documents": [foreign.pk]}, format="json").status_code
        == 404
    )
    assert client.post(url(application, "documents"), {"documents": []}, format="json").status_code == 400
    assert not application.documents.exists()


def test_book_now_answers_201_with_the_checkout_hold():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW
    )
    response = api_as(applicant.user).post(
        "/api/v1/applications/book-now/",
        {"block": block.pk, "personal_statement": STATEMENT, "documents": [d.pk for d in documents]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["hold_kind"]) == (S.AWAITING_PAYMENT, SeatHold.Kind.CHECKOUT)
    assert seats_taken(block) == 1


def test_book_now_on_a_full_block_is_409_with_nothing_written():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, capacity=1
    )
    take_seat(block)
    response = api_as(applicant.user).post(
        "/api/v1/applications/book-now/",
        {"block": block.pk, "personal_statement": STATEMENT, "documents": [d.pk for d in documents]},
        format="json",
    )
    assert response.status_code == 409
    assert not Application.objects.filter(applicant=applicant).exists()
    assert SeatHold.objects.filter(block=block).count() == 1


def test_book_now_of_an_unknown_block_is_404():
    applicant, _, _ = _ready_applicant_and_block()
    response = api_as(applicant.user).post("/api/v1/applications/book-now/", {"block": 0}, format="json")
    assert response.status_code == 404
    assert not Application.objects.exists()


def test_the_list_costs_the_same_queries_for_many_seated_applications(django_assert_max_num_queries):
    application = ApplicationFactory(status=S.OFFERED)
    applicant, client = application.applicant, api_as(application)
    client.get("/api/v1/applications/")
    with django_assert_max_num_queries(20) as few:
        assert client.get("/api/v1/applications/").status_code == 200
    for status in (S.AWAITING_PAYMENT, S.CONFIRMED, S.CONFIRMED, S.OFFERED):
        seated = ApplicationFactory(applicant=applicant, status=status, submitted_at=timezone.now())
        if status == S.CONFIRMED:
            BlockChangeFactory(application=seated, to_block=BlockFactory(rotation=seated.block.rotation))
    with django_assert_max_num_queries(len(few)):
        response = client.get("/api/v1/applications/")
    results = response.json()["results"]
    assert len(results) == 5
    assert sum(1 for r in results if r["hold_expires_at"]) == 3
    assert sum(len(r["block_changes"]) for r in results) == 2


def test_the_schema_documents_every_booking_endpoint_and_the_cancel_preview():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for action in ("accept", "decline", "cancel", "block-change", "documents"):
        assert "post" in paths[f"/api/v1/applications/{{id}}/{action}/"], action
    assert "post" in paths["/api/v1/applications/book-now/"]
    cancel = paths["/api/v1/applications/{id}/cancel/"]["post"]
    assert "preview" in {parameter["name"] for parameter in cancel["parameters"]}
    components = schema["components"]["schemas"]
    assert "RefundQuote" in components
    assert "requestBody" in paths["/api/v1/applications/book-now/"]["post"]
    assert {"hold_kind", "hold_expires_at", "block_changes"} <= set(components["Application"]["properties"])


# --- Found by QA on the running stack ------------------------------------------------------------


@pytest.mark.parametrize("status", [S.OFFERED, S.AWAITING_PAYMENT, S.CANCELLED, S.NO_SHOW])
def test_the_cancel_preview_of_what_cannot_be_cancelled_is_409_as_on_the_cancel_page(status):
    application = ApplicationFactory(status=status, submitted_at=timezone.now())
    response = api_as(application).post(url(application, "cancel") + "?preview=1")
    assert response.status_code == 409
    assert response.json()["message"] == "Only a confirmed booking can be cancelled."
    assert status_of(application) == status


def test_accepting_twice_says_the_offer_was_already_answered_and_changes_nothing():
    application = ApplicationFactory(status=S.OFFERED)
    client = api_as(application)
    assert client.post(url(application, "accept")).status_code == 200
    hold_before = list(SeatHold.objects.filter(application=application).values())

    again = client.post(url(application, "accept"))
    decline = client.post(url(application, "decline"), {}, format="json")

    assert (again.status_code, decline.status_code) == (409, 409)
    assert again.json()["message"] == (
        "There is no open offer to accept. This application is waiting for its deposit."
    )
    assert decline.json()["message"] == (
        "There is no open offer to decline. This application is waiting for its deposit."
    )
    assert status_of(application) == S.AWAITING_PAYMENT
    assert list(SeatHold.objects.filter(application=application).values()) == hold_before


def test_book_now_of_a_block_already_booked_says_so_and_changes_nothing():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, rotation__deposit_cents=0
    )
    body = {"block": block.pk, "personal_statement": STATEMENT, "documents": [d.pk for d in documents]}
    client = api_as(applicant.user)
    assert client.post("/api/v1/applications/book-now/", body, format="json").status_code == 201

    again = client.post("/api/v1/applications/book-now/", body, format="json")

    assert again.status_code == 409
    assert again.json()["message"] == "You already have an application for this block."
    assert Application.objects.filter(applicant=applicant).count() == 1
    assert seats_taken(block) == 1


def test_documents_sent_to_an_ended_booking_are_refused_in_words_that_read():
    application = ApplicationFactory(status=S.NO_SHOW, submitted_at=timezone.now())
    document = DocumentFactory(applicant=application.applicant)
    response = api_as(application).post(
        url(application, "documents"), {"documents": [document.pk]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["message"] == (
        "Documents can be sent only to a booking still to come or under way. "
        "This booking was marked as not attended."
    )
    assert not application.documents.filter(pk=document.pk).exists()


def test_a_step_the_workflow_does_not_allow_is_refused_in_words_that_read():
    application = ApplicationFactory(status=S.CONFIRMED, submitted_at=timezone.now())
    member = MembershipFactory(organization=application.block.rotation.organization)
    host = APIClient()
    host.force_authenticate(member.user)
    response = host.post(
        f"/api/v1/host/applications/{application.pk}/end-early/", {"reason": "Left"}, format="json"
    )
    assert response.status_code == 409
    assert (
        response.json()["message"] == "This booking is confirmed, so you cannot end this rotation early yet."
    )
    assert status_of(application) == S.CONFIRMED
