"""Asking Stripe twice never charges or refunds twice: a create whose answer was lost is asked again
with the same idempotency key (our row's), and Stripe (localstripe) answers with what it made the
first time. Against the real localstripe; nothing of ours is replaced."""

import pytest

from applicants.models import Application
from payments.models import Payment, Refund
from payments.selectors import amount_due
from payments.services import payment_start, payment_sync, refund_create, refund_send
from payments.stripe_client import stripe_client
from tests.factories import ApplicationFactory
from tests.payments.stripe_helpers import pay

pytestmark = pytest.mark.django_db
S = Application.Status
P = Payment.Purpose


def intents_for(payment: Payment, since: int) -> list[str]:
    """Every PaymentIntent Stripe made since `since` (epoch seconds) for our payment row, by the
    metadata we send with it (localstripe keeps earlier runs' intents, whose row ids repeat)."""
    found, after = [], None
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        page = stripe_client().v1.payment_intents.list(params=params)
        found += [
            intent.id
            for intent in page.data
            if intent.created >= since
            and intent.metadata
            and intent.metadata.to_dict().get("payment_id") == str(payment.pk)
        ]
        if not page.has_more or not page.data:
            return found
        after = page.data[-1].id


def test_a_start_whose_answer_was_lost_asks_again_with_its_key_and_charges_once():
    application = ApplicationFactory(status=S.AWAITING_PAYMENT)
    payment = payment_start(application=application, purpose=P.DEPOSIT, actor=application.applicant.user)
    first_intent = payment.payment_intent_id
    # The create reached Stripe but its answer never came back: the row has no intent yet.
    Payment.objects.filter(pk=payment.pk).update(payment_intent_id=None, client_secret="")

    again = payment_start(application=application, purpose=P.DEPOSIT, actor=application.applicant.user)

    assert again.pk == payment.pk
    assert again.payment_intent_id == first_intent
    created = stripe_client().v1.payment_intents.retrieve(first_intent).created
    assert intents_for(payment, since=created) == [first_intent]
    assert pay(again) == "succeeded"
    assert payment_sync(payment_id=payment.pk).status == Payment.Status.SUCCEEDED
    assert intents_for(payment, since=created) == [first_intent]  # one intent, so one charge


def test_a_refund_sent_again_after_its_answer_was_lost_refunds_once():
    application = ApplicationFactory(status=S.AWAITING_PAYMENT)
    payment = payment_start(application=application, purpose=P.DEPOSIT, actor=application.applicant.user)
    pay(payment)
    payment_sync(payment_id=payment.pk)
    refund = refund_create(payment=payment, amount_cents=12_345, reason=Refund.Reason.STAFF)
    assert refund.status == Refund.Status.SUCCEEDED
    # As if Stripe's answer had been lost: the refund is still pending here and is sent again.
    Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.PENDING, stripe_refund_id="")

    resent = refund_send(refund_id=refund.pk)

    assert resent.stripe_refund_id == refund.stripe_refund_id
    at_stripe = stripe_client().v1.refunds.list(params={"payment_intent": payment.payment_intent_id})
    assert [(r.id, r.amount) for r in at_stripe.data] == [(refund.stripe_refund_id, 12_345)]


def test_paying_the_whole_program_fee_confirms_and_leaves_no_balance():
    application = ApplicationFactory(status=S.AWAITING_PAYMENT)
    payment = payment_start(application=application, purpose=P.FULL, actor=application.applicant.user)
    assert payment.amount_cents == 250_000
    pay(payment)
    assert payment_sync(payment_id=payment.pk).status == Payment.Status.SUCCEEDED
    application.refresh_from_db()
    assert application.status == S.CONFIRMED
    assert amount_due(application, P.BALANCE) == 0
    assert amount_due(application, P.DEPOSIT) == 0
