"""Periodic upkeep of the catalog's search data (idempotent: running twice changes nothing more)."""

import logging

from celery import shared_task

from rotations.search import next_start_dates_refresh, search_dictionary_refresh
from rotations.selectors import blocks_out_of_step

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, time_limit=300)
def catalog_refresh() -> int:
    """Daily: move next start dates past blocks closed to applications, rebuild the typo dictionary."""
    moved = next_start_dates_refresh()
    search_dictionary_refresh()
    return moved


@shared_task(acks_late=True, ignore_result=True, time_limit=300)
def seat_counts_check() -> int:
    """Daily: log every block whose cached seats_taken differs from its unreleased holds (there
    should be none: seats change only with a hold, under the block's lock). Returns how many."""
    out_of_step = blocks_out_of_step()
    for block_id, cached, held in out_of_step:
        logger.error("Block %s counts %s seats taken but has %s unreleased holds", block_id, cached, held)
    return len(out_of_step)
