"""Payments through the services against the real localstripe: what is due, starting, syncing what
Stripe says (in any order, late, or never told), refunds and the ledger. Time is moved, not slept."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from amo.errors import DomainError
from amo.models import Notification
from applicants.models import Application
from applicants.services import holds_sweep
from payments.models import LedgerEntry, Payment, Refund, StripeEvent
from payments.selectors import amount_due
from payments.services import (
    payment_start,
    payment_sync,
    payments_reconcile,
    refund_create,
    stripe_event_process,
)
from tests.factories import ApplicationFactory, BlockFactory, take_seat
from tests.payments.stripe_helpers import DECLINED, pay
from tests.waiting import run_at_once

S = Application.Status
P = Payment.Purpose


def awaiting_deposit(**fields) -> Application:
    return ApplicationFactory(status=S.AWAITING_PAYMENT, **fields)


def start(application: Application, purpose: str = P.DEPOSIT) -> Payment:
    return payment_start(application=application, purpose=purpose, actor=application.applicant.user)


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def ledger_total(application: Application) -> int:
    return (
        LedgerEntry.objects.filter(payment__application=application).aggregate(s=Sum("amount_cents"))["s"]
        or 0
    )


@pytest.mark.django_db
def test_what_is_due_follows_the_application():
    application = awaiting_deposit()
    assert amount_due(application, P.DEPOSIT) == 50_000
    assert amount_due(application, P.FULL) == 250_000
    assert amount_due(application, P.BALANCE) == 0
    assert amount_due(application, P.APPLICATION_FEE) == 10_000
    offered = ApplicationFactory(status=S.OFFERED)
    assert amount_due(offered, P.DEPOSIT) == 0


@pytest.mark.django_db
def test_starting_twice_resumes_the_open_payment_with_one_intent():
    application = awaiting_deposit()
    first = start(application)
    second = start(application)
    assert first.pk == second.pk and first.payment_intent_id == second.payment_intent_id
    assert first.status == Payment.Status.REQUIRES_PAYMENT and first.client_secret


@pytest.mark.django_db
def test_nothing_due_is_refused_with_409_and_writes_nothing():
    application = ApplicationFactory(status=S.OFFERED)
    with pytest.raises(DomainError) as refusal:
        start(application)
    assert refusal.value.status == 409
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_another_applicants_application_is_not_found():
    application = awaiting_deposit()
    stranger = ApplicationFactory().applicant.user
    with pytest.raises(DomainError) as refusal:
        payment_start(application=application, purpose=P.DEPOSIT, actor=stranger)
    assert refusal.value.status == 404


@pytest.mark.django_db
def test_a_paid_application_fee_marks_the_fee_paid():
    application = ApplicationFactory(status=S.SUBMITTED, application_fee_status=Application.FeeStatus.DUE)
    payment = start(application, P.APPLICATION_FEE)
    assert payment.amount_cents == 10_000
    pay(payment)
    assert payment_sync(payment_id=payment.pk).status == Payment.Status.SUCCEEDED
    application.refresh_from_db()
    assert application.application_fee_status == Application.FeeStatus.PAID
    assert amount_due(application, P.APPLICATION_FEE) == 0


@pytest.mark.django_db
def test_a_declined_card_is_recorded_with_stripes_message_and_a_new_attempt_is_a_new_payment():
    application = awaiting_deposit()
    payment = start(application)
    assert pay(payment, DECLINED) == "requires_payment_method"
    payment = payment_sync(payment_id=payment.pk)
    assert payment.status == Payment.Status.FAILED
    assert payment.failure_message
    assert status_of(application) == S.AWAITING_PAYMENT
    retry = start(application)
    assert retry.pk != payment.pk and retry.payment_intent_id != payment.payment_intent_id


@pytest.mark.django_db
def test_a_failed_event_after_the_success_leaves_the_payment_succeeded():
    application = awaiting_deposit()
    payment = start(application)
    pay(payment)
    for number, event_type in enumerate(["payment_intent.succeeded", "payment_intent.payment_failed"]):
        StripeEvent.objects.create(
            event_id=f"evt_order_{payment.pk}_{number}",
            type=event_type,
            payload={
                "id": f"evt_{number}",
                "type": event_type,
                "data": {"object": {"id": payment.payment_intent_id}},
            },
        )
        stripe_event_process(event_id=f"evt_order_{payment.pk}_{number}")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert status_of(application) == S.CONFIRMED
    assert LedgerEntry.objects.filter(payment=payment, kind="charge").count() == 1


def _paid_after_the_hold_lapsed(block) -> tuple[Application, Payment]:
    application = awaiting_deposit(block=block, seat=timezone.now() + timedelta(minutes=30))
    payment = start(application)
    pay(payment)
    return application, payment


@pytest.mark.django_db
def test_a_payment_after_its_hold_expired_with_no_seat_left_is_refunded_in_full_and_the_applicant_told():
    block = BlockFactory(capacity=1)
    application, payment = _paid_after_the_hold_lapsed(block)
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        holds_sweep()
        assert status_of(application) == S.EXPIRED
        take_seat(block)  # the seat went to someone else meanwhile
        payment = payment_sync(payment_id=payment.pk)
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.refunded_cents == payment.amount_cents
    refund = Refund.objects.get(payment=payment)
    assert (refund.reason, refund.status, refund.amount_cents) == ("late_payment", "succeeded", 50_000)
    assert refund.stripe_refund_id.startswith("re_")
    assert status_of(application) == S.EXPIRED
    assert block.seat_holds.unreleased().count() == 1  # no overbooking
    assert Notification.objects.filter(
        recipient=application.applicant.user, key=f"payment:{payment.pk}:refunded_in_full"
    ).exists()
    assert ledger_total(application) == 0


@pytest.mark.django_db
def test_a_payment_after_its_hold_expired_confirms_when_a_seat_is_still_free():
    block = BlockFactory(capacity=2)
    application, payment = _paid_after_the_hold_lapsed(block)
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        holds_sweep()
        assert status_of(application) == S.EXPIRED
        payment = payment_sync(payment_id=payment.pk)
    assert payment.status == Payment.Status.SUCCEEDED and payment.refunded_cents == 0
    assert status_of(application) == S.CONFIRMED
    assert block.seat_holds.unreleased().get().kind == "booking"


@pytest.mark.django_db
def test_reconciliation_repairs_a_dropped_webhook():
    application = awaiting_deposit()
    payment = start(application)
    pay(payment)  # Stripe took the money; its webhook never arrived
    counts = payments_reconcile()
    assert counts["payments"] >= 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert status_of(application) == S.CONFIRMED


@pytest.mark.django_db
def test_reconciliation_fetches_our_events_stripe_could_not_deliver_and_only_ours():
    application = awaiting_deposit()
    payment = start(application)
    pay(payment)  # localstripe recorded payment_intent.succeeded; no webhook reached us
    counts = payments_reconcile()
    assert counts["errors"] == 0
    event = StripeEvent.objects.get(type="payment_intent.succeeded")
    assert event.payload["data"]["object"]["id"] == payment.payment_intent_id
    assert event.processed_at is not None
    # Stripe's events of intents that are not ours (earlier runs, other integrations) stay there.
    assert StripeEvent.objects.exclude(payload__data__object__id=payment.payment_intent_id).count() == 0
    assert status_of(application) == S.CONFIRMED
    assert payments_reconcile()["events_fetched"] == 0  # stored once, however often it runs


@pytest.mark.django_db
def test_reconciliation_processes_an_event_left_unprocessed():
    application = awaiting_deposit()
    payment = start(application)
    pay(payment)
    StripeEvent.objects.create(
        event_id=f"evt_left_{payment.pk}",
        type="payment_intent.succeeded",
        payload={"data": {"object": {"id": payment.payment_intent_id}}},
    )
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(days=10))
    payments_reconcile()
    assert StripeEvent.objects.get(event_id=f"evt_left_{payment.pk}").processed_at is not None
    assert status_of(application) == S.CONFIRMED


def _succeeded(application: Application) -> Payment:
    payment = start(application)
    pay(payment)
    return payment_sync(payment_id=payment.pk)


@pytest.mark.django_db
def test_partial_refunds_add_up_to_at_most_what_was_paid_and_the_ledger_nets_to_zero():
    application = awaiting_deposit()
    payment = _succeeded(application)
    refund_create(payment=payment, amount_cents=20_001, reason="staff")
    with pytest.raises(DomainError):
        refund_create(payment=payment, amount_cents=30_000, reason="staff")
    with pytest.raises(DomainError):
        refund_create(payment=payment, amount_cents=0, reason="staff")
    refund_create(payment=payment, amount_cents=29_999, reason="staff")
    payment.refresh_from_db()
    assert payment.refunded_cents == 50_000
    assert ledger_total(application) == 0


@pytest.mark.django_db
def test_the_database_refuses_refunds_above_the_payment():
    application = awaiting_deposit()
    payment = _succeeded(application)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(refunded_cents=50_001)


@pytest.mark.django_db
def test_ledger_entries_cannot_be_changed_or_removed():
    application = awaiting_deposit()
    _succeeded(application)
    entry = LedgerEntry.objects.first()
    for statement in [
        "UPDATE payments_ledgerentry SET amount_cents = 1 WHERE id = %s",
        "DELETE FROM payments_ledgerentry WHERE id = %s",
    ]:
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])


@pytest.mark.django_db(transaction=True)
def test_two_refunds_at_once_never_give_back_more_than_was_paid():
    application = awaiting_deposit()
    payment = _succeeded(application)
    outcomes = run_at_once(
        [lambda: refund_create(payment=payment.pk, amount_cents=30_000, reason="staff") for _ in range(2)]
    )
    assert sorted(type(outcome.error).__name__ for outcome in outcomes) == ["DomainError", "NoneType"]
    payment.refresh_from_db()
    assert payment.refunded_cents == 30_000
    assert Refund.objects.filter(payment=payment).count() == 1


@pytest.mark.django_db
def test_the_api_starts_and_lists_payments_with_their_refunds_in_few_queries(django_assert_max_num_queries):
    application = awaiting_deposit()
    payment = _succeeded(application)
    refund_create(payment=payment, amount_cents=1_000, reason="staff")
    client = APIClient()
    client.force_authenticate(application.applicant.user)
    url = f"/api/v1/applications/{application.pk}/payments/"
    assert client.post(url, {"purpose": "deposit"}, format="json").status_code == 409
    # The applicant and their application (as every applicant endpoint), then payments and refunds:
    # the same count for any number of refunds.
    refund_create(payment=payment, amount_cents=500, reason="staff")
    with django_assert_max_num_queries(9):
        listed = client.get(url)
    refund_create(payment=payment, amount_cents=500, reason="staff")
    with django_assert_max_num_queries(9):
        client.get(url)
    assert listed.status_code == 200
    (row,) = listed.json()
    assert (row["purpose"], row["status"], row["amount_cents"], row["refunded_cents"]) == (
        "deposit",
        "succeeded",
        50_000,
        1_500,
    )
    assert [r["amount_cents"] for r in row["refunds"]] == [1_000, 500]

    stranger = APIClient()
    stranger.force_authenticate(ApplicationFactory().applicant.user)
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {"purpose": "deposit"}, format="json").status_code == 404
