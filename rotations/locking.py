"""Row locks on blocks, taken in one order and with a short timeout (after pretix's locking.py).

Seats are counted and changed only while the block's row is locked, so two bookings of the last
seat are served one after the other; the database's block_no_overbooking constraint stands behind
it. A lock that cannot be had quickly is a clear "busy, try again", never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import OperationalError, connection

from amo.errors import DomainError
from amo.transactions import transaction_required
from rotations.models import Block

LOCK_TIMEOUT = "3s"


def lock_blocks(block_ids: Iterable[int]) -> dict[int, Block]:
    """Lock the blocks' rows, in id order so that two callers never deadlock; return them by id."""
    transaction_required("lock_blocks")
    ids = sorted(set(block_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    try:
        blocks = list(Block.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) == "55P03":  # lock_not_available
            raise DomainError("This block is busy right now; please try again.", status=503) from error
        raise
    found = {block.pk: block for block in blocks}
    missing = [block_id for block_id in ids if block_id not in found]
    if missing:
        raise DomainError("That block does not exist.", extra={"block_ids": missing}, status=404)
    return found


def lock_block(block_id: int) -> Block:
    return lock_blocks([block_id])[block_id]
