"""Stripe's webhook end to end: a real PaymentIntent paid at localstripe, its real event signed and
delivered to the live test server, processed by a real Celery worker."""

import json
import time

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from amo.money import commission_cents
from amo.views import server_error
from applicants.models import Application
from payments.models import LedgerEntry, Payment, StripeEvent
from payments.services import payment_start
from payments.views import CLOCK_SKEW
from rotations.models import SeatHold
from tests.factories import ApplicationFactory
from tests.payments.stripe_helpers import deliver, pay, signature, stripe_event
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
S = Application.Status


def awaiting_deposit() -> Application:
    return ApplicationFactory(status=S.AWAITING_PAYMENT)


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def test_a_deposit_paid_at_stripe_confirms_the_booking_once_its_signed_webhook_arrives(
    live_server, celery_worker
):
    application = awaiting_deposit()
    client = APIClient()
    client.force_authenticate(application.applicant.user)
    answer = client.post(
        f"/api/v1/applications/{application.pk}/payments/", {"purpose": "deposit"}, format="json"
    )
    assert answer.status_code == 201, answer.content
    started = answer.json()
    assert started["amount_cents"] == 50_000 and started["currency"] == "usd"
    assert started["payment_intent"].startswith("pi_") and started["client_secret"]
    assert started["publishable_key"]
    payment = Payment.objects.get(pk=started["id"])

    assert pay(payment) == "succeeded"
    assert status_of(application) == S.AWAITING_PAYMENT  # the browser's return counts for nothing
    event = stripe_event(payment, "payment_intent.succeeded")
    assert deliver(live_server, event, signature(event)).status_code == 200

    wait_until(lambda: status_of(application) == S.CONFIRMED, what="the booking's confirmation")
    assert SeatHold.objects.unreleased().get(application=application).kind == SeatHold.Kind.BOOKING
    wait_until(
        lambda: StripeEvent.objects.filter(processed_at__isnull=False).exists(), what="the event's processing"
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    commission = commission_cents(50_000, application.block.rotation.organization.commission_rate_bps)
    assert sorted(LedgerEntry.objects.values_list("kind", "amount_cents")) == [
        ("charge", 50_000),
        ("commission", -commission),
    ]

    # Stripe delivers at least once: the same event again answers 200 and does nothing more.
    again = deliver(live_server, event, signature(event))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert StripeEvent.objects.count() == 1
    assert LedgerEntry.objects.count() == 2
    assert application.transitions.filter(to_status=S.CONFIRMED).count() == 1


def _signed_event(application: Application) -> tuple[Payment, str]:
    payment = payment_start(application=application, purpose="deposit", actor=application.applicant.user)
    pay(payment)
    return payment, stripe_event(payment, "payment_intent.succeeded")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda event: (event.replace('"amount": 50000', '"amount": 1'), signature(event)), id="tampered"
        ),
        pytest.param(lambda event: (event, signature(event, secret="whsec_someone_else")), id="wrong-secret"),
        pytest.param(lambda event: (event, signature(event, at=time.time() - 301)), id="stale"),
        pytest.param(lambda event: (event, signature(event, at=time.time() + 3600)), id="far-future"),
        pytest.param(lambda event: (event, signature(event, at=time.time() + 60)), id="a-minute-ahead"),
        pytest.param(lambda event: (event, None), id="missing"),
        pytest.param(lambda event: (event, "t=abc,v1=zzz"), id="garbled"),
    ],
)
def test_a_webhook_without_a_good_recent_signature_is_refused_and_nothing_stored(live_server, forge):
    application = awaiting_deposit()
    _payment, event = _signed_event(application)
    assert '"amount": 50000' in event
    body, header = forge(event)
    answer = deliver(live_server, body, header)
    assert answer.status_code == 400
    assert answer.json()["message"]
    assert not StripeEvent.objects.exists()
    assert status_of(application) == S.AWAITING_PAYMENT


def test_a_signed_body_that_is_not_an_event_is_refused(live_server):
    body = json.dumps({"hello": "world"})
    assert deliver(live_server, body, signature(body)).status_code == 400
    assert not StripeEvent.objects.exists()


WEBHOOK = "/payments/stripe/webhook/"


def post_webhook(client, body: str, header: str | None):
    headers = {} if header is None else {"HTTP_STRIPE_SIGNATURE": header}
    return client.post(WEBHOOK, data=body, content_type="application/json", **headers)


def json_refusal(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"message", "extra"}
    return body["message"]


def test_a_webhook_signed_within_the_allowed_clock_skew_is_received(client):
    body = json.dumps({"id": "evt_skewed_clock", "type": "charge.updated", "data": {"object": {}}})
    answer = post_webhook(client, body, signature(body, at=time.time() + CLOCK_SKEW - 2))
    assert answer.status_code == 200, answer.content
    assert StripeEvent.objects.filter(event_id="evt_skewed_clock").exists()


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make-run"])
def test_a_webhook_body_past_the_upload_limit_is_a_json_413(client, settings, debug):
    settings.DEBUG = debug
    body = json.dumps({"id": "evt_huge", "type": "charge.updated", "padding": "x" * (20 * 1024 * 1024)})
    message = json_refusal(post_webhook(client, body, signature(body)), 413)
    assert message == "The request body is too large."
    assert not StripeEvent.objects.exists()


def test_the_webhook_answers_another_method_in_json(client):
    answer = client.get(WEBHOOK)
    assert json_refusal(answer, 405) == "This address takes POST only."
    assert answer["Allow"] == "POST"


def test_without_a_signing_secret_the_webhook_refuses_even_an_event_signed_with_the_empty_key(
    client, settings
):
    """HMAC under an empty key is something anyone can compute: no secret, no event."""
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": {}}})
    assert "no signing secret" in json_refusal(post_webhook(client, body, signature(body, secret="")), 503)
    assert not StripeEvent.objects.exists()


def test_a_server_error_in_the_webhook_is_answered_in_json():
    """Django's handler500, as it answers the webhook and the API: never the site's HTML page."""
    for path in (WEBHOOK, "/api/v1/rotations/"):
        response = server_error(RequestFactory().post(path))
        assert response.status_code == 500
        assert set(json.loads(response.content)) == {"message", "extra"}
    assert server_error(RequestFactory().get("/rotations/"))["Content-Type"].startswith("text/html")
