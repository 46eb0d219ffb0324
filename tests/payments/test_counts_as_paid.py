"""What counts as paid, against the real localstripe: money refunded in full (a duplicate, a payment
that arrived after its application ended) never counts; an open payment nothing is due for any more
is cancelled at Stripe; a payment that arrives anyway goes back under its true reason."""

from datetime import date, timedelta

import pytest
import stripe
import time_machine
from django.utils import timezone

from amo.models import Notification
from applicants.models import Application
from applicants.services import application_withdraw
from payments.models import Payment, Refund
from payments.selectors import amount_due, program_fee_paid_cents
from payments.services import payment_start, payments_open_cancel, payments_reconcile
from payments.stripe_client import stripe_client
from payments.tasks import balances_charge
from tests.factories import ApplicationFactory, BlockFactory, RotationFactory
from tests.payments.stripe_helpers import deliver, paid, pay, signature, stripe_event
from tests.waiting import wait_until

S = Application.Status
P = Payment.Purpose
DUE_IN_DAYS = 75  # the balance of the block below is due this many days from today


def awaiting(**fields) -> Application:
    block = BlockFactory(
        rotation=RotationFactory(balance_due_days_before_start=45),
        start_date=date.today() + timedelta(days=45 + DUE_IN_DAYS),
    )
    return ApplicationFactory(block=block, status=S.AWAITING_PAYMENT, submitted_at=timezone.now(), **fields)


def started(application: Application, purpose: str) -> Payment:
    return payment_start(application=application, purpose=purpose, actor=application.applicant.user)


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


@pytest.mark.django_db(transaction=True)
def test_a_whole_fee_paid_after_the_deposit_is_refunded_and_the_balance_still_waits_for_its_due_date(
    live_server, celery_worker
):
    application = awaiting()
    deposit, full = started(application, P.DEPOSIT), started(application, P.FULL)
    assert pay(deposit) == "succeeded" and pay(full) == "succeeded"  # both taken at Stripe
    for payment in (deposit, full):
        payload = stripe_event(payment, "payment_intent.succeeded")
        assert deliver(live_server, payload, signature(payload)).status_code == 200
        wait_until(
            lambda payment=payment: Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCEEDED,
            what="the worker applying Stripe's event",
        )
    wait_until(
        lambda: Refund.objects.filter(payment=full, status=Refund.Status.SUCCEEDED).exists(),
        what="the duplicate refunded at Stripe",
    )
    assert status_of(application) == S.CONFIRMED
    refund = Refund.objects.get(payment=full)
    assert (refund.reason, refund.amount_cents) == (Refund.Reason.DUPLICATE, 250_000)
    # The whole fee went back: only the deposit counts, and the balance is still to come.
    assert program_fee_paid_cents(application) == 50_000
    application.refresh_from_db()
    assert amount_due(application, P.BALANCE) == 200_000

    counts = balances_charge()  # the daily beat task, as the worker runs it

    assert counts["charged"] == 0
    assert not Payment.objects.filter(application=application, purpose=P.BALANCE).exists()
    # On its due date the balance is charged, once, to the deposit's card.
    with time_machine.travel(timezone.now() + timedelta(days=DUE_IN_DAYS), tick=False):
        assert balances_charge()["charged"] == 1
    balance = Payment.objects.get(application=application, purpose=P.BALANCE)
    assert (balance.status, balance.amount_cents) == (Payment.Status.SUCCEEDED, 200_000)


@pytest.mark.django_db
def test_a_payment_refunded_in_full_counts_for_no_purpose():
    application = awaiting()
    deposit = paid(application, P.DEPOSIT)
    application.refresh_from_db()
    assert amount_due(application, P.BALANCE) == 200_000
    # Given back in full (as a duplicate is): the program fee holds nothing of it.
    Payment.objects.filter(pk=deposit.pk).update(refunded_cents=deposit.amount_cents)
    assert program_fee_paid_cents(application) == 0
    assert Payment.objects.paid().filter(application=application).count() == 0
    assert amount_due(application, P.BALANCE) == 250_000


@pytest.mark.django_db(transaction=True)
def test_an_application_that_ends_has_its_open_payment_cancelled_at_stripe(celery_worker):
    application = awaiting()
    deposit = started(application, P.DEPOSIT)
    application_withdraw(application=application, actor=application.applicant.user)
    wait_until(
        lambda: Payment.objects.get(pk=deposit.pk).status == Payment.Status.CANCELED,
        what="the worker cancelling the open payment",
    )
    assert stripe_client().v1.payment_intents.retrieve(deposit.payment_intent_id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError, match="status canceled"):
        pay(deposit)  # the applicant's card can no longer be taken


@pytest.mark.django_db
def test_a_payment_that_arrives_after_the_application_ended_goes_back_as_such():
    application = awaiting()
    deposit = started(application, P.DEPOSIT)
    assert pay(deposit) == "succeeded"  # taken at Stripe; no event has arrived yet
    application_withdraw(application=application, actor=application.applicant.user)

    assert payments_open_cancel(application_id=application.pk) == 0  # Stripe took it: synced instead

    deposit.refresh_from_db()
    refund = Refund.objects.get(payment=deposit)
    assert (refund.reason, refund.amount_cents, refund.status) == (
        Refund.Reason.APPLICATION_ENDED,
        50_000,
        Refund.Status.SUCCEEDED,
    )
    assert refund.get_reason_display() == "Paid after the application ended"
    told = Notification.objects.get(key=f"payment:{deposit.pk}:refunded_in_full")
    assert "arrived after your application had ended, so it is refunded" in told.body
    assert status_of(application) == S.WITHDRAWN


@pytest.mark.django_db
def test_reconciliation_cancels_an_open_payment_whose_application_ended_while_the_broker_was_down():
    application = awaiting()
    deposit = started(application, P.DEPOSIT)
    # The withdrawal commits, but its after-commit task is never run (as with Redis down).
    application_withdraw(application=application, actor=application.applicant.user)
    assert Payment.objects.get(pk=deposit.pk).status == Payment.Status.REQUIRES_PAYMENT

    assert payments_reconcile()["errors"] == 0

    assert Payment.objects.get(pk=deposit.pk).status == Payment.Status.CANCELED
    assert stripe_client().v1.payment_intents.retrieve(deposit.payment_intent_id).status == "canceled"
