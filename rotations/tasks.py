"""Periodic upkeep of the catalog's search data (idempotent: running twice changes nothing more)."""

from celery import shared_task

from rotations.search import next_start_dates_refresh, search_dictionary_refresh


@shared_task(acks_late=True, ignore_result=True, time_limit=300)
def catalog_refresh() -> int:
    """Daily: move next start dates past blocks closed to applications, rebuild the typo dictionary."""
    moved = next_start_dates_refresh()
    search_dictionary_refresh()
    return moved
