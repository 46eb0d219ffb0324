"""A slow Stripe never holds a block: Stripe is called before a service locks its rows or after it
commits, never while they are locked, so a booking beside a payment that waits for Stripe is not
refused as busy. localstripe (tools/localstripe_server.py) is made to answer one intent's requests
slowly; the control holds the block through the same slow call, as the code once did, and the
booking beside it is refused."""

import time
from datetime import date, timedelta

import pytest
import requests
from django.conf import settings
from django.db import transaction

from amo.errors import DomainError
from applicants.models import Application
from applicants.services import application_payment_confirm, block_change_decide, block_change_request
from payments.models import Payment
from payments.services import payment_start, payment_sync
from payments.stripe_client import StripeInsideTransaction, _client, stripe_client
from rotations import locking
from tests.factories import ApplicationFactory, BlockFactory, MembershipFactory, RotationFactory, StaffFactory
from tests.payments.stripe_helpers import booked_with_deposit, pay
from tests.waiting import run_at_once, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
S = Application.Status
P = Payment.Purpose
SLOW_SECONDS = 4  # how long Stripe takes to answer about the slowed intent
LOCK_TIMEOUT = "1s"  # a booking waits this long for a block's lock before it is "busy"


@pytest.fixture
def slow_stripe():
    """Make localstripe answer every request about one object after SLOW_SECONDS; undone after."""
    url = f"{settings.STRIPE_API_BASE}/_config/slow"
    slowed = []

    def slow(object_id: str) -> None:
        requests.post(url, json={"path_contains": object_id, "seconds": SLOW_SECONDS}, timeout=5)
        slowed.append(object_id)

    slow.in_flight = lambda: requests.get(url, timeout=5).json()["in_flight"]
    yield slow
    for object_id in slowed:
        requests.post(url, json={"path_contains": object_id, "seconds": 0}, timeout=5)


def book_beside(slow_stripe, the_block) -> float:
    """Once the slowed Stripe call is in flight, staff confirm another applicant's held seat on
    `the_block` (its row locked while seats are counted); returns how long that took."""
    waiting = ApplicationFactory(block=the_block, status=S.AWAITING_PAYMENT)
    staff = StaffFactory()

    def book() -> float:
        wait_until(slow_stripe.in_flight, what="the slow Stripe call")
        started = time.monotonic()
        application_payment_confirm(application=waiting, actor=staff)
        return time.monotonic() - started

    return book


def test_the_slowed_stripe_answers_only_the_slowed_intent_late(slow_stripe):
    first = stripe_client().v1.payment_intents.create(params={"amount": 1_000, "currency": "usd"})
    other = stripe_client().v1.payment_intents.create(params={"amount": 1_000, "currency": "usd"})
    slow_stripe(first.id)
    started = time.monotonic()
    stripe_client().v1.payment_intents.retrieve(other.id)
    assert time.monotonic() - started < 1
    stripe_client().v1.payment_intents.retrieve(first.id)
    assert time.monotonic() - started >= SLOW_SECONDS


def test_a_payment_whose_stripe_answers_slowly_leaves_a_booking_on_its_block_free(slow_stripe, monkeypatch):
    """The whole fee paid cancels the open deposit attempt at Stripe (slowly) after the booking
    committed: another applicant's seat on the block is confirmed meanwhile, not refused."""
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", LOCK_TIMEOUT)
    the_block = BlockFactory(capacity=3)
    application = ApplicationFactory(block=the_block, status=S.AWAITING_PAYMENT)
    deposit = payment_start(application=application, purpose=P.DEPOSIT, actor=application.applicant.user)
    full = payment_start(application=application, purpose=P.FULL, actor=application.applicant.user)
    assert pay(full) == "succeeded"
    slow_stripe(deposit.payment_intent_id)

    sync, beside = run_at_once(
        {"sync": lambda: payment_sync(payment_id=full.pk), "beside": book_beside(slow_stripe, the_block)},
        timeout=30,
    )

    assert beside.error is None, beside
    assert beside.result < SLOW_SECONDS  # it never waited for Stripe
    assert sync.error is None, sync
    assert Application.objects.filter(block=the_block, status=S.CONFIRMED).count() == 2
    deposit.refresh_from_db()
    assert deposit.status == Payment.Status.CANCELED
    assert stripe_client().v1.payment_intents.retrieve(deposit.payment_intent_id).status == "canceled"


def test_a_date_change_whose_stripe_answers_slowly_leaves_bookings_on_both_blocks_free(
    slow_stripe, monkeypatch
):
    """Approving a move to a dearer block cancels the balance attempt left open for the old amount
    (slowly, at Stripe) after the move committed: a booking on the block moved to is not refused."""
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", LOCK_TIMEOUT)
    rotation = RotationFactory(program_fee_cents=250_000, deposit_cents=50_000)
    dearer = RotationFactory(
        organization=rotation.organization, program_fee_cents=300_000, deposit_cents=50_000
    )
    start = date.today() + timedelta(days=120)
    the_block = BlockFactory(rotation=rotation, start_date=start)
    to_block = BlockFactory(rotation=dearer, start_date=start + timedelta(weeks=8), capacity=3)
    application, _ = booked_with_deposit(the_block)
    stale = payment_start(application=application, purpose=P.BALANCE, actor=application.applicant.user)
    change = block_change_request(
        application=application, actor=application.applicant.user, to_block=to_block
    )
    host = MembershipFactory(organization=rotation.organization).user
    slow_stripe(stale.payment_intent_id)

    decide, beside = run_at_once(
        {
            "decide": lambda: block_change_decide(block_change=change, actor=host, approve=True),
            "beside": book_beside(slow_stripe, to_block),
        },
        timeout=30,
    )

    assert beside.error is None, beside
    assert beside.result < SLOW_SECONDS
    assert decide.error is None, decide
    application.refresh_from_db()
    assert application.block_id == to_block.pk
    stale.refresh_from_db()
    assert stale.status == Payment.Status.CANCELED
    assert stripe_client().v1.payment_intents.retrieve(stale.payment_intent_id).status == "canceled"


def test_control_a_block_held_through_a_slow_stripe_call_refuses_the_booking_beside_it(
    slow_stripe, monkeypatch
):
    """What calling Stripe under the block's lock did: the booking beside it is busy."""
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", LOCK_TIMEOUT)
    the_block = BlockFactory(capacity=3)
    intent = stripe_client().v1.payment_intents.create(params={"amount": 1_000, "currency": "usd"})
    slow_stripe(intent.id)

    def stripe_under_the_lock():
        with transaction.atomic():
            locking.lock_block(the_block.pk)
            # The client itself, past stripe_client()'s refusal, as the code called it once.
            _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE).v1.payment_intents.cancel(intent.id)

    held, beside = run_at_once({"held": stripe_under_the_lock, "beside": book_beside(slow_stripe, the_block)})

    assert held.error is None, held
    assert isinstance(beside.error, DomainError) and beside.error.status == 503, beside
    assert "busy" in beside.error.message


def test_stripe_is_refused_inside_a_transaction_so_no_service_can_call_it_with_rows_locked():
    with transaction.atomic(), pytest.raises(StripeInsideTransaction):
        stripe_client()
    assert stripe_client() is not None  # outside one it is served
