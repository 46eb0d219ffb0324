"""Paying against the real localstripe the test run starts, and delivering Stripe's webhooks signed
as Stripe (and localstripe) sign them: `t=<timestamp>,v1=<HMAC-SHA256(secret, "<t>.<body>")>`."""

import contextlib
import hashlib
import hmac
import json
import time
import urllib.request
from collections.abc import Iterable
from datetime import date, timedelta

import requests
import stripe
from django.conf import settings
from django.utils import timezone

from applicants.models import Application
from payments.models import Payment
from payments.services import payment_start, payment_sync
from payments.stripe_client import stripe_client
from rotations.models import Block
from tests.factories import ApplicationFactory, BlockFactory

VISA = "4242424242424242"
# Stripe's "attaches, then the charge is declined" card; localstripe declines 4000000000000002 only on
# attaching it to a customer, this one on charging.
DECLINED = "4000000000000341"
# Stripe's "authentication required" card, on- and off-session: the deposit passes 3-D Secure, an
# off-session charge of the saved card fails.
ALWAYS_AUTHENTICATES = "4000002760003184"


def pay(payment: Payment, card: str = VISA) -> str:
    """Confirm the payment's PaymentIntent server-side with a test card, as the Payment Element
    would in the browser; returns the intent's status at Stripe."""
    client = stripe_client()
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    client.v1.payment_intents.update(payment.payment_intent_id, params={"payment_method": method.id})
    with contextlib.suppress(stripe.CardError):
        client.v1.payment_intents.confirm(payment.payment_intent_id)
    return client.v1.payment_intents.retrieve(payment.payment_intent_id).status


def authenticate(payment: Payment) -> None:
    """What Stripe.js does when the cardholder passes 3-D Secure (localstripe's own endpoint)."""
    request = urllib.request.Request(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{payment.payment_intent_id}/_authenticate?success=true",
        data=json.dumps({"key": "pk_test_localstripe", "client_secret": payment.client_secret}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["status"] == "succeeded"


def booked_with_deposit(block: Block, card: str | None = None) -> tuple[Application, Payment]:
    """An applicant who accepted an offer on `block` and paid the deposit (saving the card): a
    confirmed booking."""
    application = ApplicationFactory(block=block, status=Application.Status.AWAITING_PAYMENT)
    deposit = payment_start(
        application=application, purpose=Payment.Purpose.DEPOSIT, actor=application.applicant.user
    )
    if card is None:
        assert pay(deposit) == "succeeded"
    else:
        assert pay(deposit, card) == "requires_action"
        authenticate(deposit)
    assert payment_sync(payment_id=deposit.pk).status == Payment.Status.SUCCEEDED
    application.refresh_from_db()
    assert application.status == Application.Status.CONFIRMED
    return application, deposit


def paid(application: Application, purpose: str) -> Payment:
    """What `application` owes for `purpose`, started as its applicant, paid with a test card at
    localstripe and confirmed by a server-side fetch (as the webhook would)."""
    payment = payment_start(application=application, purpose=purpose, actor=application.applicant.user)
    assert pay(payment) == "succeeded"
    payment = payment_sync(payment_id=payment.pk)
    assert payment.status == Payment.Status.SUCCEEDED
    return payment


def confirmed_booking(
    block: Block | None = None,
    *,
    days_before_start: int = 45,
    application_fee: bool = False,
    balance: bool = False,
    **block_fields,
) -> Application:
    """A booking confirmed by its deposit, paid at localstripe: on `block`, or on a new block starting
    `days_before_start` days from today. Its application fee is paid first and its balance after,
    when asked (the rotation's fees are the factories': $100, and $500 of $2,500)."""
    if block is None:
        block = BlockFactory(start_date=date.today() + timedelta(days=days_before_start), **block_fields)
    application = ApplicationFactory(
        block=block, status=Application.Status.AWAITING_PAYMENT, submitted_at=timezone.now()
    )
    if application_fee:
        paid(application, Payment.Purpose.APPLICATION_FEE)
    paid(application, Payment.Purpose.DEPOSIT)
    if balance:
        paid(application, Payment.Purpose.BALANCE)
    application.refresh_from_db()
    assert application.status == Application.Status.CONFIRMED
    return application


def stripe_event(payment: Payment, event_type: str) -> str:
    """The raw JSON of the event Stripe (localstripe) recorded for the payment's intent."""
    return stripe_events([payment], event_type)[payment.pk]


def stripe_events(
    payments: Iterable[Payment], event_type: str, *, since: int | None = None
) -> dict[int, str]:
    """The raw JSON of the `event_type` event recorded for each payment's intent, by payment id:
    one walk through Stripe's event list for a crowd of payments, not one walk each; `since` (a
    Unix time) skips the events of earlier runs that localstripe keeps."""
    wanted = {payment.payment_intent_id: payment.pk for payment in payments}
    found: dict[int, str] = {}
    starting_after = None
    while len(found) < len(wanted):
        params = {
            "type": event_type,
            "limit": 100,
            **({"created[gte]": since} if since is not None else {}),
            **({"starting_after": starting_after} if starting_after else {}),
        }
        response = requests.get(
            f"{settings.STRIPE_API_BASE}/v1/events",
            params=params,
            headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"},
            timeout=10,
        )
        response.raise_for_status()
        page = response.json()
        for event in page["data"]:
            payment_id = wanted.get(event["data"]["object"]["id"])
            if payment_id is not None:
                found.setdefault(payment_id, json.dumps(event))
        if not page["has_more"] or not page["data"]:
            break
        starting_after = page["data"][-1]["id"]
    missing = [intent for intent, payment_id in wanted.items() if payment_id not in found]
    if missing:
        raise AssertionError(f"localstripe recorded no {event_type} for {', '.join(missing)}")
    return found


def signature(payload: str, *, at: float | None = None, secret: str | None = None) -> str:
    timestamp = int(time.time() if at is None else at)
    secret = settings.STRIPE_WEBHOOK_SECRET if secret is None else secret
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(live_server, payload: str, header: str | None) -> requests.Response:
    """POST the webhook to the live test server, as Stripe would."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return requests.post(
        f"{live_server.url}/payments/stripe/webhook/", data=payload.encode(), headers=headers, timeout=10
    )
