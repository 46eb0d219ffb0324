"""Money that finishes, against the real localstripe: a refund Stripe refuses for good is failed
with Stripe's reason and staff send it again or record it paid back another way; a refund Stripe
never answers is tried a bounded number of times; an event for a PaymentIntent that is not ours is
recorded and left; reconciliation reads only its window; a pay-link payment already paid is said
to be paid, never "Payments are unavailable"."""

from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from applicants.models import Application
from payments.models import LedgerEntry, Payment, Refund, StripeCustomer, StripeEvent
from payments.services import (
    RECONCILE_WINDOW,
    REFUND_MAX_ATTEMPTS,
    balance_charge,
    payment_start,
    payments_reconcile,
    refund_create,
    refund_paid_elsewhere,
    refund_retry,
    refund_send,
    stripe_event_process,
    stripe_event_receive,
)
from payments.stripe_client import stripe_client
from tests.factories import ApplicationFactory, BlockFactory, RotationFactory, StaffFactory
from tests.payments.stripe_helpers import confirmed_booking, pay

pytestmark = pytest.mark.django_db
P = Payment.Purpose


def deposit_of(application: Application) -> Payment:
    return Payment.objects.get(application=application, purpose=P.DEPOSIT)


def refused_refund() -> Refund:
    """A refund Stripe refuses for good: the PaymentIntent it names is unknown to the account (as
    after a mix-up of Stripe accounts), which no resend changes."""
    deposit = deposit_of(confirmed_booking(days_before_start=75))
    Payment.objects.filter(pk=deposit.pk).update(payment_intent_id="pi_unknown_here")
    return refund_create(payment=deposit, amount_cents=10_000, reason=Refund.Reason.STAFF)


def test_a_refund_stripe_refuses_for_good_is_failed_with_stripes_reason_and_books_nothing():
    refund = refused_refund()
    assert refund.status == Refund.Status.FAILED
    assert refund.failure_message.startswith("Stripe refused it: ")
    assert not LedgerEntry.objects.filter(refund=refund).exists()
    # Still owed to the applicant: it stays in what was given back of the payment.
    assert Payment.objects.get(pk=refund.payment_id).refunded_cents == 10_000
    # A failed refund is not sent again by itself.
    assert payments_reconcile()["refunds"] == 0
    assert refund_send(refund_id=refund.pk).status == Refund.Status.FAILED


def test_a_refund_stripe_never_answers_is_failed_after_a_bounded_number_of_tries(settings):
    deposit = deposit_of(confirmed_booking(days_before_start=75))
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    refund = refund_create(payment=deposit, amount_cents=10_000, reason=Refund.Reason.STAFF)
    for _ in range(REFUND_MAX_ATTEMPTS - 2):
        refund = refund_send(refund_id=refund.pk)
    assert (refund.status, refund.attempts) == (Refund.Status.PENDING, REFUND_MAX_ATTEMPTS - 1)
    refund = refund_send(refund_id=refund.pk)
    assert refund.status == Refund.Status.FAILED
    assert f"Stripe did not take it after {REFUND_MAX_ATTEMPTS} tries" in refund.failure_message


def test_staff_send_a_failed_refund_again_and_stripe_takes_it_once_it_can():
    deposit = deposit_of(confirmed_booking(days_before_start=75))
    intent = deposit.payment_intent_id
    Payment.objects.filter(pk=deposit.pk).update(payment_intent_id="pi_unknown_here")
    refund = refund_create(payment=deposit, amount_cents=10_000, reason=Refund.Reason.STAFF)
    assert refund.status == Refund.Status.FAILED
    Payment.objects.filter(pk=deposit.pk).update(payment_intent_id=intent)  # the mix-up is solved

    retried = refund_retry(refund=refund, actor=StaffFactory())

    assert retried.status == Refund.Status.SUCCEEDED and retried.stripe_key != refund.stripe_key
    at_stripe = stripe_client().v1.refunds.list(params={"payment_intent": intent})
    assert [(r.id, r.amount) for r in at_stripe.data] == [(retried.stripe_refund_id, 10_000)]
    assert LedgerEntry.objects.filter(refund=refund, kind="refund").get().amount_cents == -10_000


def test_staff_record_a_failed_refund_as_paid_back_another_way_and_the_ledger_books_it():
    refund = refused_refund()
    staff = StaffFactory()
    done = refund_paid_elsewhere(refund=refund, method="Bank transfer", reference="TR-2026-0042", actor=staff)
    assert (done.status, done.method, done.reference, done.stripe_refund_id) == (
        Refund.Status.SUCCEEDED,
        "Bank transfer",
        "TR-2026-0042",
        None,
    )
    kinds = dict(LedgerEntry.objects.filter(refund=refund).values_list("kind", "amount_cents"))
    assert kinds["refund"] == -10_000 and kinds["commission_reversal"] > 0
    with pytest.raises(DomainError, match="not failed"):
        refund_paid_elsewhere(refund=refund, method="Cheque", reference="1", actor=staff)


def test_only_staff_act_on_a_failed_refund_and_they_say_how_it_was_paid_back():
    refund = refused_refund()
    applicant = Payment.objects.get(pk=refund.payment_id).application.applicant.user
    with pytest.raises(DomainError, match="Only staff"):
        refund_retry(refund=refund, actor=applicant)
    with pytest.raises(DomainError, match="Say how"):
        refund_paid_elsewhere(refund=refund, method=" ", reference="TR-1", actor=StaffFactory())
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.FAILED


def test_staff_find_failed_refunds_in_the_admin_and_act_on_them_there():
    refund = refused_refund()
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    listed = client.get(reverse("admin:payments_refund_changelist"), {"status__exact": "failed"})
    assert refund.failure_message in listed.content.decode()
    page = client.get(reverse("admin:payments_refund_change", args=[refund.pk])).content.decode()
    assert reverse("admin:payments_refund_retry", args=[refund.pk]) in page
    assert reverse("admin:payments_refund_paid_elsewhere", args=[refund.pk]) in page
    response = client.post(
        reverse("admin:payments_refund_paid_elsewhere", args=[refund.pk]),
        {"method": "Cheque", "reference": "CH-77"},
    )
    assert response.status_code == 302
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.SUCCEEDED


# --- Stripe's events ----------------------------------------------------------------------------


def foreign_event(event_id: str) -> dict:
    """An event for a PaymentIntent another integration on the same Stripe account made."""
    intent = stripe_client().v1.payment_intents.create(params={"amount": 1_234, "currency": "usd"})
    return {"id": event_id, "type": "payment_intent.created", "data": {"object": intent.to_dict()}}


def test_an_event_for_a_payment_intent_that_is_not_ours_is_recorded_and_left_alone():
    payload = foreign_event("evt_not_ours")
    stripe_event_receive(event_id="evt_not_ours", event_type=payload["type"], payload=payload)
    event = stripe_event_process(event_id="evt_not_ours")  # no raise, so no retry
    assert event.processed_at is not None
    assert event.error.startswith("Not ours: no payment has the PaymentIntent")
    assert not Payment.objects.exists()
    assert payments_reconcile()["events"] == 0


def test_an_event_for_our_payment_not_yet_stored_is_retried_until_it_is():
    application = confirmed_booking(days_before_start=75)
    payment = Payment.objects.create(application=application, purpose=P.BALANCE, amount_cents=200_000)
    intent = stripe_client().v1.payment_intents.create(
        params={
            "amount": 200_000,
            "currency": "usd",
            "metadata": {"payment_id": str(payment.pk), "application_id": str(application.pk)},
        }
    )
    payload = {"id": "evt_ours_early", "type": "payment_intent.created", "data": {"object": intent.to_dict()}}
    stripe_event_receive(event_id="evt_ours_early", event_type=payload["type"], payload=payload)
    with pytest.raises(LookupError):
        stripe_event_process(event_id="evt_ours_early")
    Payment.objects.filter(pk=payment.pk).update(payment_intent_id=intent.id, status="requires_payment")
    assert stripe_event_process(event_id="evt_ours_early").error == ""


def test_reconciliation_processes_only_the_events_of_its_window():
    payload = foreign_event("evt_old")
    with time_machine.travel(timezone.now() - RECONCILE_WINDOW - timedelta(days=1)):
        stripe_event_receive(event_id="evt_old", event_type=payload["type"], payload=payload)
    assert payments_reconcile()["events"] == 0
    assert StripeEvent.objects.get(event_id="evt_old").processed_at is None


# --- What Stripe said, said as such -------------------------------------------------------------


def test_a_balance_the_pay_link_already_paid_is_recorded_as_paid_and_nothing_more_is_charged():
    block = BlockFactory(
        rotation=RotationFactory(balance_due_days_before_start=45),
        start_date=date.today() + timedelta(days=55),
    )
    application = confirmed_booking(block)
    by_link = payment_start(application=application, purpose=P.BALANCE, actor=application.applicant.user)
    assert pay(by_link) == "succeeded"  # paid through the link; no event has arrived yet
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        charged = balance_charge(application_id=application.pk)  # the due date: the saved card's turn
    # The pay link's payment is read from Stripe first and recorded: nothing is left to charge.
    assert charged is None
    assert Payment.objects.get(pk=by_link.pk).status == Payment.Status.SUCCEEDED
    assert not Payment.objects.filter(application=application, purpose=P.BALANCE, off_session=True).exists()
    assert Payment.objects.filter(application=application, purpose=P.BALANCE).count() == 1


def test_a_start_stripe_refuses_says_stripe_refused_it_not_that_payments_are_unavailable():
    application = ApplicationFactory(status=Application.Status.AWAITING_PAYMENT)
    # The applicant's Stripe customer is unknown to the account: Stripe refuses the deposit's intent.
    StripeCustomer.objects.create(applicant=application.applicant, customer_id="cus_unknown_here")
    with pytest.raises(DomainError) as refused:
        payment_start(application=application, purpose=P.DEPOSIT, actor=application.applicant.user)
    assert refused.value.status == 502
    assert refused.value.message.startswith("Stripe refused this payment: ")
    assert "unavailable" not in refused.value.message
