"""The payments benchmark's stage, for `manage.py bench --only payments`: a crowd paying at once for
the last two seats of a book-now block.

The others of the block's seats are held by applicants still paying in time. The rest of the crowd
held a seat earlier, a block's worth at a time: each booked it now (application_book_now), started
paying (every other one the whole program fee instead of the deposit), and let the hold lapse (the
stage moves the round's deadlines into the past, as 30 minutes would); the sweep expired them all.
Then every PaymentIntent is paid at Stripe (localstripe), every tenth late one with a card the bank
declines, and Stripe's own event for each is read back, ready to be delivered.

Built on the holds stage (seeding/bench_holds.py) under its own prefix, `payments-bench-`. It is not
removed afterwards: its ledger entries are append-only (payments/migrations/0002); its rotation is
archived instead, so the catalog never lists it.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import stripe
from django.utils import timezone

from applicants.models import Applicant
from applicants.services import application_book_now, holds_sweep
from payments.models import Payment
from payments.services import payment_start
from payments.stripe_client import stripe_client
from rotations.models import Block, Rotation, SeatHold
from rotations.services import rotation_archive
from seeding.bench_holds import seed_holds_stage

PAYMENTS_SLUG_PREFIX = "payments-bench-"
LEFT_FOR_THE_CROWD = 2  # seats no one holds when the payments arrive
DECLINED_EVERY = 10
PURPOSES = ("deposit", "full")
# Stripe's test payment methods: one that pays, one whose charge the bank declines.
PAYS, DECLINES = "pm_card_visa", "pm_card_chargeCustomerFail"


@dataclass(frozen=True)
class PaymentsStage:
    block: Block
    # Payments made alone, one after the other, each for a seat of a block of their own: the baseline.
    baseline_payments: list[Payment]
    # The crowd's payments: those still holding a seat first, then the late ones.
    payments: list[Payment]
    declined: frozenset[int]
    # Stripe's event of each payment (payment_intent.succeeded or .payment_failed), as JSON, by id.
    events: dict[int, str]

    @property
    def in_time(self) -> list[Payment]:
        return self.payments[: self.block.capacity - LEFT_FOR_THE_CROWD]


def seed_payments_stage(*, applicants: int, seats: int, baseline: int) -> PaymentsStage:
    """`applicants` paying for a `seats`-seat block (seats - 2 of them in time), and `baseline` more
    each paying for a seat of another block. The applicants and blocks are bulk-inserted; the
    bookings, payments and expiries go through the services, the intents through Stripe."""
    if seats <= LEFT_FOR_THE_CROWD or applicants <= seats:
        raise ValueError(
            f"The payments stage needs more than {LEFT_FOR_THE_CROWD} seats and more applicants."
        )
    since = int(timezone.now().timestamp())
    stage = seed_holds_stage(
        applicants=applicants, seats=seats, warm_up_seats=baseline, prefix=PAYMENTS_SLUG_PREFIX
    )
    crowd = stage.applicants[baseline:]
    in_time, late = crowd[: seats - LEFT_FOR_THE_CROWD], crowd[seats - LEFT_FOR_THE_CROWD :]
    late_payments: list[Payment] = []
    for start in range(0, len(late), seats):
        round_payments = [
            book_and_start(stage.block, person, documents, PURPOSES[(start + i) % 2])
            for i, (person, documents) in enumerate(late[start : start + seats])
        ]
        SeatHold.objects.filter(
            application_id__in=[payment.application_id for payment in round_payments],
            released_at__isnull=True,
        ).update(expires_at=timezone.now() - timedelta(seconds=1))
        late_payments += round_payments
    holds_sweep()
    payments = [
        book_and_start(stage.block, person, documents, PURPOSES[i % 2])
        for i, (person, documents) in enumerate(in_time)
    ] + late_payments
    baseline_payments = [
        book_and_start(stage.warm_up_block, person, documents, "deposit")
        for person, documents in stage.applicants[:baseline]
    ]
    declined = frozenset(payment.pk for payment in late_payments[DECLINED_EVERY - 1 :: DECLINED_EVERY])
    paying = baseline_payments + payments
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda payment: pay_at_stripe(payment, declines=payment.pk in declined), paying))
    events = stripe_events([p for p in paying if p.pk not in declined], "payment_intent.succeeded", since)
    events |= stripe_events([p for p in paying if p.pk in declined], "payment_intent.payment_failed", since)
    return PaymentsStage(
        block=stage.block,
        baseline_payments=baseline_payments,
        payments=payments,
        declined=declined,
        events=events,
    )


def book_and_start(block: Block, person: Applicant, documents: list[int], purpose: str) -> Payment:
    """The applicant books a seat now (a 30-minute checkout hold) and starts paying for `purpose`."""
    application = application_book_now(
        applicant=person,
        block=block,
        personal_statement="I want U.S. clinical experience.",
        documents=documents,
    )
    return payment_start(application=application, purpose=purpose, actor=person.user)


def pay_at_stripe(payment: Payment, *, declines: bool = False) -> str:
    """Confirm the payment's intent with Stripe's test card, as the Payment Element does in the
    browser; returns the intent's status at Stripe."""
    try:
        intent = stripe_client().v1.payment_intents.confirm(
            payment.payment_intent_id, params={"payment_method": DECLINES if declines else PAYS}
        )
    except stripe.CardError:
        intent = stripe_client().v1.payment_intents.retrieve(payment.payment_intent_id)
    return intent.status


def stripe_events(payments: list[Payment], event_type: str, since: int) -> dict[int, str]:
    """Stripe's `event_type` event of each payment's intent since `since` (a Unix time), as JSON, by
    payment id: one walk through Stripe's event list."""
    wanted = {payment.payment_intent_id: payment.pk for payment in payments}
    found: dict[int, str] = {}
    listing = stripe_client().v1.events.list(
        params={"type": event_type, "created": {"gte": since}, "limit": 100}
    )
    for event in listing.auto_paging_iter():
        payment_id = wanted.get(event.data.object.id)
        if payment_id is not None:
            found.setdefault(payment_id, json.dumps(event.to_dict(for_json=True)))
    missing = [intent for intent, payment_id in wanted.items() if payment_id not in found]
    if missing:
        raise RuntimeError(f"Stripe recorded no {event_type} for {len(missing)} intents: {missing[:3]}")
    return found


def payments_stage_retire(stage: PaymentsStage) -> None:
    """Take the stage's rotation off the catalog for good (its rows stay: the ledger keeps them)."""
    rotation = Rotation.objects.get(pk=stage.block.rotation_id)
    if rotation.status != Rotation.Status.ARCHIVED:
        rotation_archive(rotation=rotation)
