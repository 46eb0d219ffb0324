from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from amo.errors import DomainError
from applicants.models import Application
from rotations.locking import lock_blocks
from rotations.models import Block, SeatHold
from rotations.selectors import blocks_out_of_step
from rotations.services import block_change_capacity, seat_convert, seat_move, seat_release, seat_take
from tests.factories import ApplicationFactory, BlockFactory, take_seat

pytestmark = pytest.mark.django_db

S = Application.Status
OFFER, CHECKOUT, BOOKING = SeatHold.Kind.OFFER, SeatHold.Kind.CHECKOUT, SeatHold.Kind.BOOKING


def soon(minutes: int = 30):
    return timezone.now() + timedelta(minutes=minutes)


def take(block, kind=OFFER, expires_at=None, application=None):
    application = application or ApplicationFactory(block=block, status=S.SUBMITTED)
    if kind != BOOKING and expires_at is None:
        expires_at = soon()
    return seat_take(block_id=block.pk, application_id=application.pk, kind=kind, expires_at=expires_at)


def seats_taken(block) -> int:
    return Block.objects.values_list("seats_taken", flat=True).get(pk=block.pk)


def test_seat_take_writes_a_hold_and_fills_a_block_then_refuses_with_no_change():
    block = BlockFactory(capacity=2)
    take(block)
    take(block, kind=BOOKING)
    with pytest.raises(DomainError, match="No seats are left") as refused:
        take(block, kind=CHECKOUT)
    assert refused.value.status == 409
    assert seats_taken(block) == 2
    assert SeatHold.objects.filter(block=block).count() == 2
    assert blocks_out_of_step() == []


def test_an_application_holds_one_seat_at_most():
    block = BlockFactory(capacity=3)
    application = ApplicationFactory(block=block, status=S.SUBMITTED)
    take(block, application=application)
    with pytest.raises(DomainError, match="already holds a seat"):
        take(block, application=application)
    assert seats_taken(block) == 1


def test_the_database_keeps_one_unreleased_hold_per_application():
    hold = take(BlockFactory(capacity=3))
    with pytest.raises(IntegrityError), transaction.atomic():
        SeatHold.objects.create(block=hold.block, application=hold.application, kind=OFFER, expires_at=soon())


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": BOOKING, "expires_at": "2030-01-01T00:00:00Z"},  # a booking has no deadline
        {"kind": OFFER, "expires_at": None},  # an offer has one
        {
            "kind": OFFER,
            "expires_at": "2030-01-01T00:00:00Z",
            "released_at": "2029-01-01T00:00:00Z",
        },  # no reason
        {
            "kind": OFFER,
            "expires_at": "2030-01-01T00:00:00Z",
            "release_reason": "expired",
        },  # reason, not released
    ],
)
def test_the_database_refuses_a_hold_that_breaks_its_shape(fields):
    application = ApplicationFactory(status=S.SUBMITTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeatHold.objects.create(block=application.block, application=application, **fields)


def test_a_hold_for_a_deadline_already_past_is_refused():
    block = BlockFactory(capacity=1)
    with pytest.raises(DomainError, match="still ahead"):
        take(block, expires_at=timezone.now() - timedelta(seconds=1))
    assert seats_taken(block) == 0


def test_a_lapsed_hold_never_blocks_a_new_taker():
    block = BlockFactory(capacity=1)
    lapsing = take(block, expires_at=soon(5))
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        fresh = take(block)
    lapsing.refresh_from_db()
    assert (lapsing.released_at is not None, lapsing.release_reason) == (True, SeatHold.ReleaseReason.EXPIRED)
    assert fresh.released_at is None
    assert seats_taken(block) == 1


def test_a_booking_never_lapses():
    block = BlockFactory(capacity=1)
    take(block, kind=BOOKING)
    with time_machine.travel(timezone.now() + timedelta(days=400)), pytest.raises(DomainError):
        take(block)


def test_the_database_refuses_overbooking_even_without_the_service():
    block = BlockFactory(capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.filter(pk=block.pk).update(seats_taken=2)


def test_seat_release_records_why_and_gives_the_seat_back_once():
    block = BlockFactory(capacity=1)
    hold = take(block)
    released = seat_release(application_id=hold.application_id, reason=SeatHold.ReleaseReason.DECLINED)
    assert (released.pk, released.release_reason) == (hold.pk, SeatHold.ReleaseReason.DECLINED)
    assert seats_taken(block) == 0
    assert seat_release(application_id=hold.application_id, reason=SeatHold.ReleaseReason.DECLINED) is None
    assert seats_taken(block) == 0
    take(block)  # the seat is free for someone else


def test_seat_convert_turns_an_offer_into_a_booking_before_its_deadline_only():
    block = BlockFactory(capacity=2)
    kept = take(block)
    booking = seat_convert(application_id=kept.application_id, kind=BOOKING)
    assert (booking.kind, booking.expires_at) == (BOOKING, None)
    lapsing = take(block, expires_at=soon(5))
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=6)),
        pytest.raises(DomainError, match="deadline"),
    ):
        seat_convert(application_id=lapsing.application_id, kind=BOOKING)
    lapsing.refresh_from_db()
    assert lapsing.kind == OFFER


def test_seat_move_takes_a_seat_on_the_other_block_and_frees_the_first():
    first, second = BlockFactory(capacity=1), BlockFactory(capacity=1)
    hold = take(first, kind=BOOKING)
    moved = seat_move(application_id=hold.application_id, to_block_id=second.pk)
    hold.refresh_from_db()
    assert (moved.block_id, moved.kind, hold.release_reason) == (
        second.pk,
        BOOKING,
        SeatHold.ReleaseReason.MOVED,
    )
    assert (seats_taken(first), seats_taken(second)) == (0, 1)


def test_seat_move_to_a_full_block_is_refused_and_keeps_the_seat():
    first, full = BlockFactory(capacity=1), BlockFactory(capacity=1)
    take_seat(full)
    hold = take(first, kind=BOOKING)
    with pytest.raises(DomainError, match="No seats are left on that block"):
        seat_move(application_id=hold.application_id, to_block_id=full.pk)
    hold.refresh_from_db()
    assert hold.released_at is None
    assert (seats_taken(first), seats_taken(full)) == (1, 1)


def test_capacity_cannot_go_below_the_seats_held():
    block = BlockFactory(capacity=3)
    take(block)
    take(block, kind=BOOKING)
    with pytest.raises(DomainError, match="already has 2 seats"):
        block_change_capacity(block_id=block.pk, capacity=1)
    block.refresh_from_db()
    assert block.capacity == 3
    assert block_change_capacity(block_id=block.pk, capacity=2).capacity == 2


def test_a_block_whose_count_was_changed_by_hand_is_reported_out_of_step():
    block = BlockFactory(capacity=3)
    take(block)
    Block.objects.filter(pk=block.pk).update(seats_taken=3)
    assert blocks_out_of_step() == [(block.pk, 3, 1)]


@pytest.mark.django_db(transaction=True)
def test_lock_blocks_refuses_to_run_outside_a_transaction():
    block = BlockFactory()
    with pytest.raises(TransactionManagementError, match="inside transaction.atomic"):
        lock_blocks([block.pk])


def test_locking_an_unknown_block_is_a_404_domain_error():
    with pytest.raises(DomainError) as error, transaction.atomic():
        lock_blocks([987654321])
    assert error.value.status == 404
