"""Switching or postponing a booking moves its money, against the real localstripe: the payments stay
with the application and the new block's program fee is what counts. Paid above it is refunded, once
however often the approval is tried; owed joins the balance, or is charged at once to the saved card
when the balance was paid already or the new block's balance is due; the same price moves nothing;
the ledger records every charge and refund. Time is moved, not slept."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from amo.errors import DomainError
from amo.models import Notification
from amo.text import day_label
from applicants.models import Application, BlockChange
from applicants.services import block_change_decide, block_change_request
from hosts.models import Organization
from payments import tasks
from payments.models import LedgerEntry, Payment, Refund
from payments.selectors import amount_due, program_fee_paid_cents
from payments.services import (
    BALANCE_GRACE,
    balance_charge,
    balances_due_charge,
    payment_start,
    payment_sync,
    payments_reconcile,
)
from payments.stripe_client import stripe_client
from rotations.models import Block
from tests.factories import BlockFactory, MembershipFactory, OrganizationFactory, RotationFactory
from tests.hosts.conftest import login
from tests.payments.stripe_helpers import ALWAYS_AUTHENTICATES, booked_with_deposit, pay
from tests.waiting import run_at_once, wait_until

S = Application.Status
P = Payment.Purpose
K = LedgerEntry.Kind
DUE_IN_DAYS = 10  # the balance of a block made below is due this many days from today, unless told


def block(organization: Organization, *, fee: int = 250_000, deposit: int = 50_000, due_in_days=DUE_IN_DAYS):
    """A block of a new rotation of `organization` at `fee`, whose balance is due in `due_in_days`."""
    rotation = RotationFactory(
        organization=organization,
        program_fee_cents=fee,
        deposit_cents=deposit,
        balance_due_days_before_start=45,
    )
    return BlockFactory(rotation=rotation, start_date=date.today() + timedelta(days=45 + due_in_days))


def pay_balance(application: Application) -> Payment:
    """The applicant pays the balance early through the pay page."""
    payment = payment_start(application=application, purpose=P.BALANCE, actor=application.applicant.user)
    assert pay(payment) == "succeeded"
    return payment_sync(payment_id=payment.pk)


def paid_in_full(the_block: Block) -> tuple[Application, Payment, Payment]:
    application, deposit = booked_with_deposit(the_block)
    return application, deposit, pay_balance(application)


def host_of(organization: Organization):
    return MembershipFactory(organization=organization).user


def ask(application: Application, to_block: Block) -> BlockChange:
    return block_change_request(application=application, actor=application.applicant.user, to_block=to_block)


def move(application: Application, to_block: Block) -> BlockChange:
    """The applicant asks to move and the host approves."""
    change = ask(application, to_block)
    host = host_of(Organization.objects.get(pk=to_block.rotation.organization_id))
    return block_change_decide(block_change=change, actor=host, approve=True)


def approval_news(change: BlockChange) -> str:
    return Notification.objects.get(
        key=f"application:{change.application_id}:block-change:{change.pk}:approved"
    ).body


def ledger(application: Application, *kinds: str) -> int:
    """The sum of the application's ledger entries of these kinds (all kinds without any)."""
    entries = LedgerEntry.objects.filter(payment__application=application)
    if kinds:
        entries = entries.filter(kind__in=kinds)
    return entries.aggregate(s=Sum("amount_cents"))["s"] or 0


def off_session_balances(application: Application):
    return Payment.objects.filter(application=application, purpose=P.BALANCE, off_session=True)


# --- Cheaper: the excess goes back -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_cheaper_block_refunds_the_excess_exactly_once_however_often_the_approval_is_tried(celery_worker):
    organization = OrganizationFactory()
    application, deposit, balance = paid_in_full(block(organization))
    change = ask(application, block(organization, fee=180_000))
    host = host_of(organization)

    outcomes = run_at_once(
        [lambda: block_change_decide(block_change=change, actor=host, approve=True) for _ in range(2)]
    )
    assert sorted(type(outcome.error).__name__ for outcome in outcomes) == ["DomainError", "NoneType"]
    with pytest.raises(DomainError, match="already approved") as retried:
        block_change_decide(block_change=change, actor=host, approve=True)
    assert retried.value.status == 409

    refund = Refund.objects.get()  # one, on the newest payment
    assert (refund.payment_id, refund.amount_cents, refund.reason) == (balance.pk, 70_000, "price_difference")
    refund = wait_until(
        lambda: Refund.objects.filter(pk=refund.pk, status=Refund.Status.SUCCEEDED).first(),
        what="the worker sending the refund to Stripe",
    )
    sent = stripe_client().v1.refunds.retrieve(refund.stripe_refund_id)
    assert (sent.amount, sent.payment_intent) == (70_000, balance.payment_intent_id)
    assert program_fee_paid_cents(application) == 180_000
    application.refresh_from_db()
    assert amount_due(application, P.BALANCE) == 0
    assert "$700.00 is refunded to the card" in approval_news(change)

    # The ledger: charges less refunds are the new fee, and the commission follows it (15%).
    wait_until(
        lambda: LedgerEntry.objects.filter(refund=refund, kind=K.COMMISSION_REVERSAL).exists(),
        what="the refund's commission given back",
    )
    assert ledger(application, K.CHARGE, K.REFUND) == 180_000
    assert ledger(application, K.COMMISSION, K.COMMISSION_REVERSAL) == -27_000
    assert ledger(application) == 180_000 - 27_000


@pytest.mark.django_db
def test_an_excess_above_the_newest_payment_is_split_over_the_payments_newest_first():
    organization = OrganizationFactory()
    application, deposit, balance = paid_in_full(block(organization))
    move(application, block(organization, fee=30_000, deposit=10_000))
    written = list(Refund.objects.order_by("pk").values_list("payment_id", "amount_cents", "status"))
    assert written == [(balance.pk, 200_000, "pending"), (deposit.pk, 20_000, "pending")]

    # The worker was not told (no broker in this test): reconciliation sends what is pending.
    payments_reconcile()
    assert set(Refund.objects.values_list("status", flat=True)) == {Refund.Status.SUCCEEDED}
    assert program_fee_paid_cents(application) == 30_000
    assert ledger(application, K.CHARGE, K.REFUND) == 30_000
    payments_reconcile()
    assert Refund.objects.count() == 2


# --- Dearer: the difference is owed ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_dearer_block_before_the_balance_is_due_adds_the_difference_to_the_balance():
    organization = OrganizationFactory()
    application, deposit = booked_with_deposit(block(organization))
    dearer = block(organization, fee=300_000, due_in_days=40)
    change = move(application, dearer)

    assert balance_charge(application_id=application.pk) is None  # nothing is due now
    assert not Refund.objects.exists()
    assert list(Payment.objects.filter(application=application)) == [deposit]
    application.refresh_from_db()
    assert amount_due(application, P.BALANCE) == 250_000
    news = approval_news(change)
    assert f"the balance becomes $2,500.00, due on {day_label(date.today() + timedelta(days=40))}" in news

    with time_machine.travel(timezone.now() + timedelta(days=40), tick=False):
        assert balances_due_charge()["charged"] == 1
        balances_due_charge()
    charged = off_session_balances(application).get()
    assert (charged.status, charged.amount_cents, charged.due_key) == (
        "succeeded",
        250_000,
        f"block-change:{change.pk}",
    )
    assert program_fee_paid_cents(application) == 300_000


@pytest.mark.django_db
def test_a_dearer_block_after_the_whole_fee_was_paid_charges_the_difference_off_session_once():
    organization = OrganizationFactory()
    application, deposit, balance = paid_in_full(block(organization))
    change = move(application, block(organization, fee=300_000))
    assert "$500.00 is charged to the saved card at once" in approval_news(change)

    # What the worker does after the approval, run twice, then the daily task on top.
    first = balance_charge(application_id=application.pk)
    tasks.balance_charge(application.pk)
    counts = balances_due_charge()
    assert counts["charged"] == 0

    charged = off_session_balances(application).get()
    assert charged.pk == first.pk
    assert (charged.status, charged.amount_cents, charged.due_key) == (
        "succeeded",
        50_000,
        f"block-change:{change.pk}",
    )
    intent = stripe_client().v1.payment_intents.retrieve(charged.payment_intent_id)
    deposit_intent = stripe_client().v1.payment_intents.retrieve(deposit.payment_intent_id)
    assert (intent.status, intent.amount, intent.payment_method) == (
        "succeeded",
        50_000,
        deposit_intent.payment_method,
    )
    application.refresh_from_db()
    assert amount_due(application, P.BALANCE) == 0
    assert program_fee_paid_cents(application) == 300_000
    assert ledger(application, K.CHARGE) == 300_000
    assert LedgerEntry.objects.filter(payment=charged, kind=K.CHARGE).get().amount_cents == 50_000
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_a_card_failing_the_difference_sends_the_pay_link_with_7_days_and_paying_it_keeps_the_booking():
    organization = OrganizationFactory()
    application, _ = booked_with_deposit(block(organization), card=ALWAYS_AUTHENTICATES)
    # Its balance was due five days ago: what is owed on the new block is due at once.
    change = move(application, block(organization, fee=300_000, due_in_days=-5))
    with time_machine.travel(timezone.now(), tick=False):
        failed = balance_charge(application_id=application.pk)
        now = timezone.now()
    assert balance_charge(application_id=application.pk).pk == failed.pk  # tried once
    assert (failed.status, failed.amount_cents, failed.due_key) == (
        "failed",
        250_000,
        f"block-change:{change.pk}",
    )
    assert failed.balance_deadline == now + BALANCE_GRACE
    assert stripe_client().v1.payment_intents.retrieve(failed.payment_intent_id).status == "canceled"
    told = Notification.objects.get(key=f"payment:{failed.pk}:balance_unpaid")
    assert "$2,500.00" in told.body and "authentication" in told.body

    on_session = payment_start(application=application, purpose=P.BALANCE, actor=application.applicant.user)
    assert on_session.amount_cents == 250_000
    assert pay(on_session) == "succeeded"
    assert payment_sync(payment_id=on_session.pk).status == Payment.Status.SUCCEEDED
    with time_machine.travel(now + BALANCE_GRACE + timedelta(days=1), tick=False):
        assert balances_due_charge() == {"charged": 0, "failed": 0, "cancelled": 0, "errors": 0}
    assert Application.objects.get(pk=application.pk).status == S.CONFIRMED
    assert program_fee_paid_cents(application) == 300_000


@pytest.mark.django_db
def test_a_payment_failing_before_the_move_no_longer_cancels_a_booking_moved_to_a_later_block():
    organization = OrganizationFactory()
    application, _ = booked_with_deposit(block(organization), card=ALWAYS_AUTHENTICATES)
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=DUE_IN_DAYS), tick=False):
        assert balances_due_charge()["failed"] == 1  # the pay link, 7 days
    # Postponed to a block whose balance is due in a month: the old deadline cancels nothing.
    move(application, block(organization, due_in_days=DUE_IN_DAYS + 30))
    with time_machine.travel(start + timedelta(days=DUE_IN_DAYS + 8), tick=False):
        assert balances_due_charge()["cancelled"] == 0
    assert Application.objects.get(pk=application.pk).status == S.CONFIRMED
    with time_machine.travel(start + timedelta(days=DUE_IN_DAYS + 30), tick=False):
        assert balances_due_charge()["failed"] == 1  # tried again on the new due date, with 7 new days
    assert off_session_balances(application).count() == 2


# --- The same price ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_price_moves_no_money():
    organization = OrganizationFactory()
    application, deposit, balance = paid_in_full(block(organization))
    booked, _ = booked_with_deposit(block(organization))
    change = move(application, block(organization))
    move(booked, block(organization, due_in_days=20))

    assert balance_charge(application_id=application.pk) is None
    with time_machine.travel(timezone.now() + timedelta(days=DUE_IN_DAYS), tick=False):
        assert balances_due_charge()["charged"] == 0  # the deposit-only booking's balance is not due yet
    assert not Refund.objects.exists()
    assert set(Payment.objects.filter(application=application)) == {deposit, balance}
    assert ledger(application, K.CHARGE) == 250_000 and ledger(application, K.REFUND) == 0
    assert "nothing is charged or refunded" in approval_news(change)
    booked.refresh_from_db()
    assert amount_due(booked, P.BALANCE) == 200_000


# --- Paid twice ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_balance_that_gets_through_after_the_fee_was_paid_is_given_back_at_once():
    organization = OrganizationFactory()
    application, _, _ = paid_in_full(block(organization))
    # A second balance payment that reached Stripe anyway (the balance may now succeed more than once).
    second = Payment.objects.create(application=application, purpose=P.BALANCE, amount_cents=200_000)
    intent = stripe_client().v1.payment_intents.create(
        params={"amount": 200_000, "currency": "usd", "payment_method_types": ["card"]},
        options={"idempotency_key": second.idempotency_key},
    )
    Payment.objects.filter(pk=second.pk).update(payment_intent_id=intent.id, status="requires_payment")
    second.refresh_from_db()
    assert pay(second) == "succeeded"
    second = payment_sync(payment_id=second.pk)
    assert (second.status, second.refunded_cents) == ("succeeded", 200_000)
    refund = Refund.objects.get(payment=second)
    assert (refund.reason, refund.status) == ("duplicate", "succeeded")
    assert program_fee_paid_cents(application) == 250_000
    assert "$2,000.00 is refunded" in Notification.objects.get(key=f"payment:{second.pk}:overpaid").body


# --- Seen before the host decides ------------------------------------------------------------------


@pytest.mark.django_db
def test_both_sides_see_the_price_difference_before_the_host_decides(client):
    organization = OrganizationFactory()
    application, _, _ = paid_in_full(block(organization))
    cheaper = block(organization, fee=180_000)
    dearer = block(organization, fee=300_000)
    api = APIClient()
    api.force_authenticate(application.applicant.user)
    url = reverse("applicants_api:application_block_change", args=[application.pk])

    preview = api.post(f"{url}?preview=1", {"to_block": cheaper.pk}, format="json")
    assert preview.status_code == 200
    assert (preview.json()["refund_cents"], preview.json()["charge_cents"]) == (70_000, 0)
    assert not BlockChange.objects.exists()
    refused = api.post(f"{url}?preview=1", {"to_block": block(OrganizationFactory()).pk}, format="json")
    assert refused.status_code == 400 and not BlockChange.objects.exists()

    client.force_login(application.applicant.user)
    page = client.get(reverse("applicants:application_detail", args=[application.pk])).content.decode()
    assert "$700.00 refunded" in page and "$500.00 to pay now" in page

    host = MembershipFactory(organization=organization)
    created = api.post(url, {"to_block": dearer.pk}, format="json")
    assert created.status_code == 201
    difference = created.json()["block_changes"][0]["price_difference"]
    assert (difference["charge_cents"], difference["due_now"], difference["difference_cents"]) == (
        50_000,
        True,
        50_000,
    )
    change = BlockChange.objects.get()
    told = Notification.objects.get(
        key=f"application:{application.pk}:block-change:{change.pk}:member:{host.user_id}"
    )
    assert "If you approve: The program fee becomes $3,000.00 (was $2,500.00)" in told.body

    login(client, host)
    listed = client.get(reverse("hosts_api:block-change-list")).json()["results"]
    assert listed[0]["price_difference"]["charge_cents"] == 50_000
    host_page = client.get(reverse("hosts:block_changes")).content.decode()
    assert "If approved:" in host_page and "$500.00 is charged to the saved card" in host_page

    block_change_decide(block_change=change, actor=host.user, approve=True)
    assert client.get(reverse("hosts_api:block-change-list")).json()["results"][0]["price_difference"] is None
