"""Many people after a block's last seat at the same moment, each on its own database connection.

The block's row lock (rotations/locking.py) serves the seat's takers and givers one after the other:
host offers, book-now checkouts, waitlist promotions, expiries and cancellations all count seats
only while holding it. The control switches the lock off under the same schedule and overbooks,
which proves the race is real and the lock is what wins it.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from amo.errors import DomainError
from applicants.models import Applicant, Application, Document
from applicants.services import (
    application_book_now,
    application_cancel,
    application_expire,
    application_offer,
    moves,
    submission,
    sweeps,
    waitlist,
    waitlist_promote,
)
from applicants.workflow import ActorRole
from rotations import locking
from rotations import services as seat_services
from rotations.models import Block, DocumentKind, Rotation, SeatHold
from rotations.selectors import blocks_out_of_step
from tests.factories import (
    ApplicantFactory,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    MembershipFactory,
    take_seat,
)
from tests.waiting import run_at_once, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
S = Application.Status
STATEMENT = "I want to learn inpatient medicine in the U.S."
NO_SEAT = "No seats are left on this block."


def _book_now_block(capacity: int) -> Block:
    """A block of a book-now rotation with a deposit (a booking is a 30-minute checkout first)."""
    return BlockFactory(
        capacity=capacity,
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW,
        rotation__required_document_kinds=[DocumentKind.CV, DocumentKind.TB_TEST],
    )


def _ready_applicant(block: Block) -> tuple[Applicant, list[Document]]:
    """A graduate with Step 1 passed, a verified email and the block's documents: books at once."""
    applicant = ApplicantFactory()
    EmailAddressFactory(user=applicant.user)
    return applicant, [
        DocumentFactory(applicant=applicant, kind=DocumentKind.CV),
        DocumentFactory(applicant=applicant, kind=DocumentKind.TB_TEST, expires_on=block.end_date),
    ]


def _book_now(applicant: Applicant, documents: list[Document], block: Block):
    return lambda: application_book_now(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )


def _promote(block: Block):
    def promote():
        with transaction.atomic():
            return waitlist_promote(block_id=block.pk)

    return promote


def _unreleased(block: Block):
    return SeatHold.objects.unreleased().filter(block=block)


def _seats_taken(block: Block) -> int:
    return Block.objects.values_list("seats_taken", flat=True).get(pk=block.pk)


def _unexpected(outcomes) -> list[str]:
    """Outcomes other than a result or a clear "no seat left" refusal (409)."""
    return [
        f"{o.name}: {o.error!r}"
        for o in outcomes
        if o.error is not None and not (isinstance(o.error, DomainError) and o.error.status == 409)
    ]


@pytest.fixture
def patient_locks(monkeypatch):
    """Twenty-odd transactions queue for one block's lock on a shared 2-core machine: give the
    last of them longer than production's 3 s "busy, try again" so the test judges seats only."""
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", "20s")


class EveryoneAtTheGate:
    """A schedule that makes the race as tight as it can be, and the same every run.

    Each transaction that has just written the block's seat count (rotations.services._recount)
    waits, before it may go on and commit, until every other taker still running is queued behind
    a lock: so every taker has read the seats left before anyone's hold is committed. With the
    block lock they queue on the lock, before counting; without it they have all counted already.
    """

    def __init__(self, monkeypatch, takers: int):
        self.takers, self.finished = takers, 0
        self._finished_lock = threading.Lock()
        recount = seat_services._recount

        def recount_then_wait(block_ids):
            recount(block_ids)
            wait_until(self._others_queued, what="every other taker queued behind a lock", timeout=15)

        monkeypatch.setattr(seat_services, "_recount", recount_then_wait)

    def taker(self, call):
        def run():
            try:
                return call()
            finally:
                with self._finished_lock:
                    self.finished += 1

        return run

    def _others_queued(self) -> bool:
        with connection.cursor() as cursor:
            # pg_stat_activity is read once per transaction unless the snapshot is cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            queued = cursor.fetchone()[0]
        with self._finished_lock:
            running_others = self.takers - self.finished - 1
        return queued >= running_others


def _lock_switched_off(monkeypatch) -> None:
    """The control: every block "lock" reads the block's row without locking it."""

    def lock_blocks(block_ids):
        return {block.pk: block for block in Block.objects.filter(pk__in=block_ids)}

    def lock_block(block_id):
        return Block.objects.get(pk=block_id)

    monkeypatch.setattr(seat_services, "lock_block", lock_block)
    monkeypatch.setattr(seat_services, "lock_blocks", lock_blocks)
    # Every applications module that locks a block by itself.
    for module in (moves, submission, sweeps, waitlist):
        monkeypatch.setattr(module, "lock_block", lock_block)


def test_offers_bookings_promotions_expiries_and_cancellations_racing_leave_exactly_the_capacity_held(
    patient_locks,
):
    """24 takers and givers start together on a block with one seat left: 8 host offers, 7 book-now
    checkouts, 3 waitlist promotions, 3 expiries of lapsed offers and 3 cancellations (each giver
    offers its seat to the waitlist in the same transaction). Seven seats change hands in all
    (the free one, three expired, three cancelled); afterwards exactly the capacity is held, every
    held seat is one application's, and seats_taken counts them."""
    capacity = 8
    block = _book_now_block(capacity)
    host = MembershipFactory(organization=block.rotation.organization).user
    now = timezone.now()
    lapsing = [
        ApplicationFactory(block=block, status=S.OFFERED, submitted_at=now, seat=now + timedelta(minutes=1))
        for _ in range(3)
    ]
    cancelling = [take_seat(block) for _ in range(3)]
    take_seat(block)  # a booking that stays
    waitlist = [
        ApplicationFactory(
            block=block, status=S.WAITLISTED, submitted_at=now, waitlisted_at=now + timedelta(seconds=i)
        )
        for i in range(10)
    ]
    reviewed = [ApplicationFactory(block=block, status=S.SUBMITTED, submitted_at=now) for _ in range(8)]
    booking = [_ready_applicant(block) for _ in range(7)]
    assert _seats_taken(block) == capacity - 1

    takers = {
        f"offer to #{a.pk}": (lambda a=a: application_offer(application=a, actor=host)) for a in reviewed
    }
    takers |= {f"book now by #{p.pk}": _book_now(p, docs, block) for p, docs in booking}
    takers |= {f"promotion {i}": _promote(block) for i in range(3)}
    takers |= {f"expiry of #{a.pk}": (lambda a=a: application_expire(application_id=a.pk)) for a in lapsing}
    takers |= {
        f"cancellation of #{a.pk}": (
            lambda a=a, i=i: (
                application_cancel(application=a, actor=a.applicant.user, role=ActorRole.APPLICANT)
                if i % 2
                else application_cancel(application=a, actor=host, role=ActorRole.HOST, reason="Ward closed.")
            )
        )
        for i, a in enumerate(cancelling)
    }
    assert len(takers) == 24

    with time_machine.travel(now + timedelta(minutes=2), tick=True):  # the three offers have lapsed
        outcomes = run_at_once(takers, timeout=60)

        assert _unexpected(outcomes) == []
        assert {o.error.message for o in outcomes if o.error} <= {NO_SEAT}
        held = _unreleased(block)
        assert held.count() == _seats_taken(block) == capacity
        assert held.active(timezone.now()).count() == capacity
        assert blocks_out_of_step() == []

    # Every seat-holding status has its hold, and every hold is such an application's.
    seated = Application.objects.filter(block=block, status__in=Application.SEATED)
    assert set(held.values_list("application_id", flat=True)) == set(seated.values_list("pk", flat=True))
    assert Application.objects.filter(pk__in=[a.pk for a in lapsing], status=S.EXPIRED).count() == 3
    assert Application.objects.filter(pk__in=[a.pk for a in cancelling], status=S.CANCELLED).count() == 3
    # The seven seats went to offers, checkouts and the head of the waitlist; everyone else was told
    # no, and a refused checkout left no application behind.
    won = {
        kind: sum(o.error is None for o in outcomes if o.name.startswith(kind)) for kind in ("offer", "book")
    }
    promoted = list(
        held.filter(application__in=waitlist)
        .order_by("application__waitlisted_at")
        .values_list("application_id", flat=True)
    )
    assert won["offer"] + won["book"] + len(promoted) == held.exclude(kind=SeatHold.Kind.BOOKING).count() == 7
    assert promoted == [a.pk for a in waitlist[: len(promoted)]]
    assert held.filter(kind=SeatHold.Kind.CHECKOUT).count() == won["book"]
    assert Application.objects.filter(applicant__in=[p for p, _ in booking]).count() == won["book"]


@pytest.mark.parametrize("locked", [True, False], ids=["block-locked", "control-lock-off"])
def test_twelve_takers_of_the_last_seat_get_one_seat_only_because_the_block_is_locked(
    monkeypatch, patient_locks, locked
):
    """Six host offers and six book-now checkouts for a 3-seat block with one seat left, every
    transaction held back until all the others have read the seats left (EveryoneAtTheGate).

    With the block locked one taker wins and eleven are told no seat is left. The control, with the
    lock switched off, hands out all twelve: 14 holds on 3 seats, and seats_taken says 3, because
    each transaction counted its own hold and the others' uncommitted ones were invisible to it.
    The database's block_no_overbooking check cannot see that: it checks the cached count."""
    block = _book_now_block(3)
    host = MembershipFactory(organization=block.rotation.organization).user
    take_seat(block)
    take_seat(block)
    reviewed = [
        ApplicationFactory(block=block, status=S.SUBMITTED, submitted_at=timezone.now()) for _ in range(6)
    ]
    booking = [_ready_applicant(block) for _ in range(6)]
    gate = EveryoneAtTheGate(monkeypatch, takers=12)
    if not locked:
        _lock_switched_off(monkeypatch)
    takers = {
        f"offer to #{a.pk}": gate.taker(lambda a=a: application_offer(application=a, actor=host))
        for a in reviewed
    }
    takers |= {f"book now by #{p.pk}": gate.taker(_book_now(p, docs, block)) for p, docs in booking}

    outcomes = run_at_once(takers, timeout=60)

    assert _unexpected(outcomes) == []
    won = [o.name for o in outcomes if o.error is None]
    held = _unreleased(block).count()
    if locked:
        assert len(won) == 1, won
        assert [o.error.message for o in outcomes if o.error] == [NO_SEAT] * 11
        assert held == _seats_taken(block) == 3
        assert blocks_out_of_step() == []
    else:
        assert len(won) == 12
        assert held == 14
        assert _seats_taken(block) == 3
        assert blocks_out_of_step() == [(block.pk, 3, 14)]
