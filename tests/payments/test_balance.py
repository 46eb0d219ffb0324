"""The balance, against the real localstripe: the deposit saves the card, the balance is charged to
it off-session on its due date (once), a failed charge sends the pay link with a 7-day deadline, and
a booking still unpaid after it is cancelled with its seat offered to the waitlist. Time is moved."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from amo.models import Notification
from applicants.models import Application, ApplicationTransition
from payments.models import LedgerEntry, Payment, Refund, StripeCustomer
from payments.selectors import amount_due
from payments.services import BALANCE_GRACE, NO_SAVED_CARD, balances_due_charge, payment_start, payment_sync
from payments.stripe_client import stripe_client
from payments.tasks import balances_charge
from tests.factories import ApplicationFactory, BlockFactory, MembershipFactory, RotationFactory
from tests.payments.stripe_helpers import ALWAYS_AUTHENTICATES, booked_with_deposit, pay
from tests.waiting import wait_until

S = Application.Status
P = Payment.Purpose
DUE_IN_DAYS = 10  # the balance of the blocks below is due this many days from today


def block(**fields):
    rotation = RotationFactory(balance_due_days_before_start=45)
    return BlockFactory(
        rotation=rotation, start_date=date.today() + timedelta(days=45 + DUE_IN_DAYS), **fields
    )


def on_the_due_date():
    return time_machine.travel(timezone.now() + timedelta(days=DUE_IN_DAYS), tick=False)


def saved_cards(application: Application) -> list[str]:
    customer = StripeCustomer.objects.get(applicant=application.applicant)
    listed = stripe_client().v1.payment_methods.list(
        params={"customer": customer.customer_id, "type": "card"}
    )
    return [card.id for card in listed.data]


def balance_payments(application: Application):
    return Payment.objects.filter(application=application, purpose=P.BALANCE)


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


@pytest.mark.django_db
def test_the_deposit_saves_its_card_to_the_applicants_one_stripe_customer():
    application, deposit = booked_with_deposit(block())
    intent = stripe_client().v1.payment_intents.retrieve(deposit.payment_intent_id)
    customer = StripeCustomer.objects.get(applicant=application.applicant)
    assert intent.customer == customer.customer_id
    assert intent.setup_future_usage == "off_session"
    assert saved_cards(application) == [intent.payment_method]
    # Another deposit of the same applicant uses the same customer.
    other = ApplicationFactory(applicant=application.applicant, block=block(), status=S.AWAITING_PAYMENT)
    again = payment_start(application=other, purpose=P.DEPOSIT, actor=other.applicant.user)
    assert (
        stripe_client().v1.payment_intents.retrieve(again.payment_intent_id).customer == customer.customer_id
    )
    assert StripeCustomer.objects.count() == 1


@pytest.mark.django_db
def test_the_balance_is_charged_off_session_on_its_due_date_once_however_often_the_task_runs():
    application, deposit = booked_with_deposit(block())
    assert balances_due_charge()["charged"] == 0  # not due yet
    assert not balance_payments(application).exists()
    with on_the_due_date():
        balances_charge()  # the beat task
        balances_due_charge()  # run twice the same day
    payment = balance_payments(application).get()
    assert (payment.status, payment.off_session, payment.amount_cents) == ("succeeded", True, 200_000)
    intent = stripe_client().v1.payment_intents.retrieve(payment.payment_intent_id)
    assert intent.status == "succeeded" and intent.amount == 200_000
    assert intent.payment_method == saved_cards(application)[0]
    assert LedgerEntry.objects.filter(payment=payment, kind="charge").get().amount_cents == 200_000
    assert amount_due(application, P.BALANCE) == 0
    assert status_of(application) == S.CONFIRMED


@pytest.mark.django_db
def test_a_card_asking_for_authentication_fails_the_balance_and_sends_the_pay_link_with_a_7_day_deadline():
    application, _ = booked_with_deposit(block(), card=ALWAYS_AUTHENTICATES)
    with on_the_due_date():
        counts = balances_due_charge()
        balances_due_charge()
        now = timezone.now()
    assert counts["failed"] == 1
    payment = balance_payments(application).get()
    assert payment.status == Payment.Status.FAILED and payment.off_session
    assert "authentication" in payment.failure_message
    assert payment.balance_deadline == now + BALANCE_GRACE
    assert stripe_client().v1.payment_intents.retrieve(payment.payment_intent_id).status == "canceled"
    told = Notification.objects.get(key=f"payment:{payment.pk}:balance_unpaid")
    assert told.recipient == application.applicant.user
    # The pay link lands on the balance's pay page.
    assert told.link == reverse(
        "applicants:application_pay", kwargs={"pk": application.pk, "purpose": "balance"}
    )
    assert "authentication" in told.body
    assert status_of(application) == S.CONFIRMED
    # The pay link's page starts a new, on-session balance payment.
    assert amount_due(application, P.BALANCE) == 200_000


@pytest.mark.django_db
def test_a_balance_still_unpaid_7_days_later_cancels_the_booking_and_offers_the_seat_to_the_waitlist():
    the_block = block(capacity=1)
    application, _ = booked_with_deposit(the_block, card=ALWAYS_AUTHENTICATES)
    host = MembershipFactory(organization=the_block.rotation.organization).user
    waiting = ApplicationFactory(
        block=the_block, status=S.WAITLISTED, submitted_at=timezone.now(), seat=False
    )
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=DUE_IN_DAYS), tick=False):
        balances_due_charge()
    with time_machine.travel(start + timedelta(days=DUE_IN_DAYS + 6), tick=False):
        assert balances_due_charge()["cancelled"] == 0
    assert status_of(application) == S.CONFIRMED
    with time_machine.travel(start + timedelta(days=DUE_IN_DAYS + 7, minutes=1), tick=False):
        assert balances_due_charge()["cancelled"] == 1
        assert balances_due_charge()["cancelled"] == 0
    assert (status_of(application), status_of(waiting)) == (S.CANCELLED, S.OFFERED)
    cancelled = ApplicationTransition.objects.filter(application=application, to_status=S.CANCELLED).get()
    assert (cancelled.actor, cancelled.actor_role) == (None, "system")
    assert "balance" in cancelled.reason
    assert Notification.objects.filter(
        recipient=application.applicant.user, key__contains="cancelled"
    ).exists()
    assert Notification.objects.filter(recipient=host, key__contains="cancelled").exists()


@pytest.mark.django_db
def test_a_balance_paid_through_the_link_before_the_deadline_keeps_the_booking():
    application, _ = booked_with_deposit(block(), card=ALWAYS_AUTHENTICATES)
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=DUE_IN_DAYS), tick=False):
        balances_due_charge()
        on_session = payment_start(
            application=application, purpose=P.BALANCE, actor=application.applicant.user
        )
        assert pay(on_session) == "succeeded"
        assert payment_sync(payment_id=on_session.pk).status == Payment.Status.SUCCEEDED
    with time_machine.travel(start + timedelta(days=DUE_IN_DAYS + 8), tick=False):
        assert balances_due_charge()["cancelled"] == 0
    assert status_of(application) == S.CONFIRMED


@pytest.mark.django_db
def test_a_booking_without_a_saved_card_gets_the_pay_link_on_the_due_date_without_a_charge():
    application = ApplicationFactory(block=block(), status=S.CONFIRMED)
    with on_the_due_date():
        counts = balances_due_charge()
        balances_due_charge()
        now = timezone.now()
    assert counts["failed"] == 1
    payment = balance_payments(application).get()
    assert (payment.status, payment.payment_intent_id, payment.failure_message) == (
        "failed",
        None,
        NO_SAVED_CARD,
    )
    assert payment.amount_cents == 250_000 and payment.balance_deadline == now + BALANCE_GRACE
    told = Notification.objects.get(key=f"payment:{payment.pk}:balance_unpaid")
    assert "no card was saved" in told.body
    assert status_of(application) == S.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_a_deposit_paid_inside_the_balance_window_has_the_balance_charged_right_after(celery_worker):
    late = BlockFactory(
        rotation=RotationFactory(balance_due_days_before_start=45),
        start_date=date.today() + timedelta(days=20),  # its balance was due 25 days ago
    )
    later, _ = booked_with_deposit(block())  # its balance is still to come: nothing more now
    application, _ = booked_with_deposit(late)
    wait_until(
        lambda: balance_payments(application).filter(status=Payment.Status.SUCCEEDED).exists(),
        what="the balance charged by the worker",
    )
    payment = balance_payments(application).get()
    assert (payment.off_session, payment.amount_cents) == (True, 200_000)
    assert amount_due(application, P.BALANCE) == 0
    assert not balance_payments(later).exists()


@pytest.mark.django_db
def test_paying_the_whole_fee_cancels_the_open_deposit_attempt_at_stripe(django_capture_on_commit_callbacks):
    application = ApplicationFactory(block=block(), status=S.AWAITING_PAYMENT)
    deposit = payment_start(application=application, purpose=P.DEPOSIT, actor=application.applicant.user)
    full = payment_start(application=application, purpose=P.FULL, actor=application.applicant.user)
    assert pay(full) == "succeeded"
    # The deposit's intent is cancelled at Stripe once the success has committed, not under its locks.
    with django_capture_on_commit_callbacks(execute=True):
        assert payment_sync(payment_id=full.pk).status == Payment.Status.SUCCEEDED
    deposit.refresh_from_db()
    assert deposit.status == Payment.Status.CANCELED
    assert stripe_client().v1.payment_intents.retrieve(deposit.payment_intent_id).status == "canceled"
    assert status_of(application) == S.CONFIRMED


@pytest.mark.django_db
def test_a_given_up_attempt_that_stripe_took_anyway_is_recorded_and_given_back_in_full(
    django_capture_on_commit_callbacks,
):
    """Both attempts paid before either was read: the whole fee confirms the booking and gives up
    the deposit; Stripe refuses to cancel a paid intent, so the deposit is read again, recorded as
    taken, and refunded in full as paid twice."""
    application = ApplicationFactory(block=block(), status=S.AWAITING_PAYMENT)
    deposit = payment_start(application=application, purpose=P.DEPOSIT, actor=application.applicant.user)
    full = payment_start(application=application, purpose=P.FULL, actor=application.applicant.user)
    assert pay(full) == pay(deposit) == "succeeded"

    with django_capture_on_commit_callbacks(execute=True):
        payment_sync(payment_id=full.pk)

    deposit.refresh_from_db()
    assert (deposit.status, deposit.refunded_cents) == (Payment.Status.SUCCEEDED, deposit.amount_cents)
    assert [(refund.reason, refund.status) for refund in deposit.refunds.all()] == [
        (Refund.Reason.DUPLICATE, Refund.Status.SUCCEEDED)
    ]
    assert payment_sync(payment_id=deposit.pk).refunded_cents == deposit.amount_cents  # read again: no change
    assert status_of(application) == S.CONFIRMED
    assert amount_due(application, P.BALANCE) == 0
