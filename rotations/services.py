"""Writes on the catalog. Seats change only here, with the block's row locked."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from amo.errors import DomainError
from rotations.locking import lock_block
from rotations.models import Block


def seat_take(*, block_id: int) -> Block:
    """Take one seat on the block (a hold or a booking); refuse when none is left.

    Runs inside the caller's transaction so that the seat and what it is for (an offer, a hold,
    a booking) are written together or not at all.
    """
    with transaction.atomic():
        block = lock_block(block_id)
        if block.seats_taken >= block.capacity:
            raise DomainError("No seats are left on this block.", extra={"block_id": block_id}, status=409)
        Block.objects.filter(pk=block_id).update(seats_taken=F("seats_taken") + 1)
        block.refresh_from_db(fields=["seats_taken"])
        return block


def seat_release(*, block_id: int) -> Block:
    """Give back one seat (a hold expired, an offer was withdrawn, a booking was cancelled)."""
    with transaction.atomic():
        block = lock_block(block_id)
        if block.seats_taken == 0:
            raise DomainError("This block has no taken seat to release.", extra={"block_id": block_id})
        Block.objects.filter(pk=block_id).update(seats_taken=F("seats_taken") - 1)
        block.refresh_from_db(fields=["seats_taken"])
        return block


def block_change_capacity(*, block_id: int, capacity: int) -> Block:
    """Set a block's capacity; never below the seats already confirmed or held."""
    if capacity < 0:
        raise DomainError("Capacity cannot be negative.", extra={"capacity": capacity})
    with transaction.atomic():
        block = lock_block(block_id)
        if capacity < block.seats_taken:
            raise DomainError(
                f"This block already has {block.seats_taken} seats confirmed or held; "
                f"capacity cannot go below that.",
                extra={"seats_taken": block.seats_taken, "capacity": capacity},
            )
        block.capacity = capacity
        block.save(update_fields=["capacity"])
        return block
