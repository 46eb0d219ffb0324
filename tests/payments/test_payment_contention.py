"""200 applicants paying for the last seats of a 5-seat block at once, end to end.

Their PaymentIntents are paid at the real localstripe; Stripe's own events are signed and posted
to the live test server together, and a real Celery worker processes them while the sweep runs
beside it. Three applicants still hold a seat and pay in time; the other 197 held one earlier, a
block's worth at a time, and paid too late: their offer or checkout hold lapsed before Stripe took
the money (the sweep expired the first hundred before; it meets the others in the race). Every
tenth of them has a card the bank declines.

The two seats left go to two late payers, whoever is served first; everyone else who was charged
is refunded in full, and Stripe's books, the ledger and the block agree to the seat and the cent.
On the 2-core development machine the test takes about a minute quiet, two under other load.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from amo.errors import DomainError
from amo.models import Notification
from amo.money import commission_cents
from applicants.models import Application
from applicants.services import application_accept, holds_sweep
from payments.models import LedgerEntry, Payment, Refund, StripeEvent
from payments.selectors import organization_balance
from payments.services import payment_start, payment_sync, payments_reconcile
from payments.stripe_client import stripe_client
from rotations import locking
from rotations.models import Block, SeatHold
from rotations.selectors import blocks_out_of_step
from tests.factories import ApplicationFactory, BlockFactory
from tests.payments.stripe_helpers import DECLINED, VISA, deliver, pay, signature, stripe_events
from tests.waiting import run_at_once, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
S = Application.Status
K = LedgerEntry.Kind

CAPACITY = 5
PAYING_IN_TIME = 3
PAYING_LATE = 197
DECLINED_EVERY = 10  # the tenth, twentieth, ... late payer's bank declines: never charged
DUPLICATE_EVERY = 8  # Stripe delivers at least once: every eighth success arrives twice
# Threads posting the webhooks together, each its share in a row: Django's live server listens
# with a backlog of 10 connections.
DELIVERERS = 8
SWEPT_ROUNDS = 20  # the sweep expired the first 20 rounds' applications before the payments came
PURPOSES = ("deposit", "full")  # every other applicant pays the whole program fee at once
HOLD_FOR = timedelta(minutes=30)
ROUND_EVERY = timedelta(minutes=35)  # a round's holds have lapsed when the next round takes the seats


def _paying(block: Block, *, until: datetime, offered: bool, purpose: str) -> Payment:
    """An applicant holding a seat of `block` until `until` who started paying the deposit or the
    whole program fee: after accepting a host's offer, or in a book-now checkout."""
    if offered:
        application = ApplicationFactory(
            block=block, status=S.OFFERED, submitted_at=timezone.now(), seat=until
        )
        application_accept(application=application, actor=application.applicant.user)
    else:
        application = ApplicationFactory(
            block=block, status=S.AWAITING_PAYMENT, submitted_at=timezone.now(), seat=until
        )
    return payment_start(application=application, purpose=purpose, actor=application.applicant.user)


def _whose_holds_lapsed(block: Block, count: int, now: datetime) -> list[Payment]:
    """`count` applicants who held the block's seats in turn over the last day, CAPACITY at a time
    (a round in four by a host's offer they accepted, the others by a book-now checkout), started
    paying (every other one the whole program fee) and let the hold lapse: each round's seat_take
    released the round before's lapsed holds. The sweep ran once, halfway, and expired the first
    half; it meets the rest in the race."""
    rounds = -(-count // CAPACITY)
    payments: list[Payment] = []
    for index in range(rounds):
        at = now - (rounds - index) * ROUND_EVERY
        with time_machine.travel(at, tick=False):
            if index == SWEPT_ROUNDS:
                holds_sweep()
            for _ in range(min(CAPACITY, count - len(payments))):
                purpose = PURPOSES[len(payments) % 2]
                payments.append(_paying(block, until=at + HOLD_FOR, offered=index % 4 == 0, purpose=purpose))
    return payments


def _deliverer(live_server, events: list[str]):
    """Post these events, signed now, one after the other; returns (event id, status, duplicate)."""

    def post_all() -> list[tuple[str, int, bool | None]]:
        answers = []
        for event in events:
            answer = deliver(live_server, event, signature(event))
            answers.append((json.loads(event)["id"], answer.status_code, answer.json().get("duplicate")))
        return answers

    return post_all


def _at_stripe(payment: Payment) -> tuple[str, int, list[tuple[str, int]]]:
    """What Stripe holds for the payment's intent: its status, what its charge took, and the
    refunds given on that charge (id, amount)."""
    intent = stripe_client().v1.payment_intents.retrieve(
        payment.payment_intent_id, params={"expand": ["latest_charge"]}
    )
    charge = intent.latest_charge
    if charge is None or charge.status != "succeeded":
        return intent.status, 0, []
    return intent.status, charge.amount, sorted((refund.id, refund.amount) for refund in charge.refunds.data)


def _settled(payment_ids: list[int]) -> bool:
    return not (
        Payment.objects.filter(pk__in=payment_ids, status__in=Payment.OPEN).exists()
        or StripeEvent.objects.filter(processed_at__isnull=True).exists()
        or Refund.objects.filter(status=Refund.Status.PENDING).exists()
    )


def test_two_hundred_payments_for_the_last_seats_make_five_bookings_and_every_loser_gets_all_back(
    live_server, celery_worker, monkeypatch
):
    # The sweeps and the worker queue for the block's lock on a shared 2-core machine: longer than
    # production's 3 s "busy, try again", so the test judges seats and money only (that refusal has
    # its own test below).
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", "20s")
    block = BlockFactory(capacity=CAPACITY)
    organization = block.rotation.organization
    now = timezone.now()
    late = _whose_holds_lapsed(block, PAYING_LATE, now)
    in_time = [
        _paying(block, until=now + HOLD_FOR, offered=i % 2 == 0, purpose=PURPOSES[i % 2])
        for i in range(PAYING_IN_TIME)
    ]
    declined = late[DECLINED_EVERY - 1 :: DECLINED_EVERY]
    payments = in_time + late
    assert len(payments) == 200 and len(declined) == 19
    assert Application.objects.filter(block=block, status=S.EXPIRED).count() == SWEPT_ROUNDS * CAPACITY
    assert SeatHold.objects.unreleased().filter(block=block).count() == PAYING_IN_TIME

    # Everyone pays at Stripe; the browser's return counts for nothing, so nothing changes here yet.
    cards = [DECLINED if payment in declined else VISA for payment in payments]
    with ThreadPoolExecutor(max_workers=8) as pool:
        at_stripe = list(pool.map(pay, payments, cards))
    assert Counter(at_stripe) == {"succeeded": 181, "requires_payment_method": 19}
    charged = [payment for payment in payments if payment not in declined]
    since = int(now.timestamp())
    events = stripe_events(charged, "payment_intent.succeeded", since=since)
    events |= stripe_events(declined, "payment_intent.payment_failed", since=since)
    deliveries = list(events.values())
    deliveries += [events[payment.pk] for payment in charged[::DUPLICATE_EVERY]]
    random.Random(CAPACITY).shuffle(deliveries)

    crowd = {f"webhooks {i}": _deliverer(live_server, deliveries[i::DELIVERERS]) for i in range(DELIVERERS)}
    crowd |= {"the sweep": holds_sweep, "the sweep again": holds_sweep}

    outcomes = run_at_once(crowd, timeout=120)

    assert [f"{o.name}: {o.error!r}" for o in outcomes if o.error] == []
    answers = [answer for o in outcomes if o.name.startswith("webhooks") for answer in o.result]
    assert len(answers) == len(deliveries) == 223
    assert {status for _, status, _ in answers} == {200}
    first_deliveries = Counter(event_id for event_id, _, duplicate in answers if not duplicate)
    assert first_deliveries == Counter({json.loads(event)["id"]: 1 for event in events.values()})
    payment_ids = [payment.pk for payment in payments]
    wait_until(
        lambda: _settled(payment_ids),
        what="every payment settled, every event processed and every refund sent",
        timeout=120,
    )
    # Nothing left behind for the sweep or the daily reconciliation to repair.
    assert holds_sweep().expired == 0
    repairs = {"payments": 0, "refunds": 0, "events": 0, "open_reviewed": 0, "errors": 0, "events_fetched": 0}
    assert payments_reconcile() == repairs

    # The block: exactly its five seats, each a booking of a confirmed application, and the three
    # who paid in time among them.
    block.refresh_from_db()
    held = SeatHold.objects.unreleased().filter(block=block)
    assert held.count() == block.seats_taken == CAPACITY
    assert set(held.values_list("kind", flat=True)) == {SeatHold.Kind.BOOKING}
    confirmed = set(Application.objects.filter(block=block, status=S.CONFIRMED).values_list("pk", flat=True))
    assert set(held.values_list("application_id", flat=True)) == confirmed
    assert len(confirmed) == CAPACITY
    assert {payment.application_id for payment in in_time} <= confirmed
    assert blocks_out_of_step() == []
    assert not Application.objects.filter(block=block).exclude(pk__in=confirmed).exclude(status=S.EXPIRED)
    assert StripeEvent.objects.count() == len(events)
    assert not StripeEvent.objects.exclude(error="").exists()

    # Each payment: won and kept, declined and never charged, or charged and refunded in full once.
    outcome, amount = {}, {}
    for payment in Payment.objects.filter(pk__in=payment_ids).prefetch_related("refunds"):
        amount[payment.pk] = payment.amount_cents
        refunds = [(r.status, r.reason, r.amount_cents) for r in payment.refunds.all()]
        if payment.application_id in confirmed:
            assert (payment.status, payment.refunded_cents, refunds) == ("succeeded", 0, []), payment
            outcome[payment.pk] = "won"
        elif payment.status == Payment.Status.FAILED:
            assert refunds == [], payment
            outcome[payment.pk] = "never charged"
        else:
            assert payment.status == Payment.Status.SUCCEEDED, payment
            assert payment.refunded_cents == payment.amount_cents
            assert refunds == [("succeeded", Refund.Reason.LATE_PAYMENT, payment.amount_cents)], payment
            outcome[payment.pk] = "refunded"
    assert Counter(outcome.values()) == {"won": 5, "never charged": 19, "refunded": 176}
    assert {outcome[payment.pk] for payment in declined} == {"never charged"}
    assert set(amount.values()) == {50_000, 250_000}  # the deposit, the whole program fee
    refunded = [pk for pk, what in outcome.items() if what == "refunded"]
    assert Notification.objects.filter(
        key__in=[f"payment:{pk}:refunded_in_full" for pk in refunded]
    ).count() == len(refunded)

    # Stripe agrees: the winners' charges stand, each refunded charge carries the one refund we
    # recorded, for all of it, and the declined intents took nothing and are cancelled.
    with ThreadPoolExecutor(max_workers=8) as pool:
        stripe_says = dict(zip(payment_ids, pool.map(_at_stripe, payments), strict=True))
    refund_ids = dict(
        Refund.objects.filter(payment__in=payment_ids).values_list("payment_id", "stripe_refund_id")
    )
    expected = {
        "won": lambda pk: ("succeeded", amount[pk], []),
        "refunded": lambda pk: ("succeeded", amount[pk], [(refund_ids[pk], amount[pk])]),
        "never charged": lambda pk: ("canceled", 0, []),
    }
    assert stripe_says == {pk: expected[outcome[pk]](pk) for pk in payment_ids}

    # The ledger balances to the cent: charges less refunds is what Stripe holds for these intents
    # (the five winners' payments), each refund gave back its payment's whole commission, and the
    # host's balance is the winners' payments less their commission.
    held_at_stripe = sum(
        taken - sum(given for _, given in refunds) for _, taken, refunds in stripe_says.values()
    )
    won = [pk for pk in payment_ids if outcome[pk] == "won"]
    assert held_at_stripe == sum(amount[pk] for pk in won)
    per_payment = defaultdict(Counter)
    for payment_id, kind, cents in LedgerEntry.objects.filter(payment__in=payment_ids).values_list(
        "payment_id", "kind", "amount_cents"
    ):
        per_payment[payment_id][kind] += cents
    rate = organization.commission_rate_bps
    assert rate > 0
    for payment_id in payment_ids:
        entries = dict(per_payment[payment_id])
        if outcome[payment_id] == "won":
            assert entries == {
                K.CHARGE: amount[payment_id],
                K.COMMISSION: -commission_cents(amount[payment_id], rate),
            }
        elif outcome[payment_id] == "refunded":
            assert entries[K.CHARGE] == -entries[K.REFUND] == amount[payment_id]
            assert entries[K.COMMISSION] + entries[K.COMMISSION_REVERSAL] == 0
        else:
            assert entries == {}
    ledger = LedgerEntry.objects.filter(payment__in=payment_ids)
    charges_less_refunds = sum(
        cents for kind, cents in ledger.values_list("kind", "amount_cents") if kind in (K.CHARGE, K.REFUND)
    )
    assert charges_less_refunds == held_at_stripe
    assert ledger.filter(kind=K.REFUND).count() == len(refunded)
    assert organization_balance(organization=organization) == sum(
        amount[pk] - commission_cents(amount[pk], rate) for pk in won
    )


def test_a_payment_whose_confirmation_finds_the_block_busy_is_neither_kept_nor_refunded(monkeypatch):
    """Under contention the block's lock may not be had in time (rotations.locking: "busy, try
    again"). That says nothing about the seat: the payment's sync rolls back whole and raises, so
    the event's retry decides, and the applicant whose seat is still held keeps it and pays once."""
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", "200ms")
    block = BlockFactory(capacity=1)
    payment = _paying(block, until=timezone.now() + HOLD_FOR, offered=False, purpose="deposit")
    assert pay(payment) == "succeeded"
    locked = threading.Event()
    done = threading.Event()

    def hold_the_block():
        with transaction.atomic():
            locking.lock_block(block.pk)
            locked.set()
            done.wait(timeout=20)

    def sync_meanwhile():
        try:
            assert locked.wait(timeout=20)
            return payment_sync(payment_id=payment.pk)
        finally:
            done.set()

    outcomes = run_at_once({"holder": hold_the_block, "sync": sync_meanwhile}, timeout=30)

    assert outcomes[0].error is None
    refusal = outcomes[1].error
    assert isinstance(refusal, DomainError) and refusal.status == 503, outcomes[1]
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_cents) == (Payment.Status.REQUIRES_PAYMENT, 0)
    assert not Refund.objects.exists() and not LedgerEntry.objects.exists()
    assert Application.objects.get(pk=payment.application_id).status == S.AWAITING_PAYMENT

    payment = payment_sync(payment_id=payment.pk)  # the retry, the block free again
    assert (payment.status, payment.refunded_cents) == (Payment.Status.SUCCEEDED, 0)
    assert Application.objects.get(pk=payment.application_id).status == S.CONFIRMED
    assert not Refund.objects.exists()
