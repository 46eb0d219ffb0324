"""Celery entry points of the applicants app."""

import dataclasses

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, time_limit=55, soft_time_limit=50)
def holds_sweep() -> dict:
    """Every minute (beat): the sweep of applicants.services.holds_sweep. Idempotent: each expiry and
    promotion re-reads its rows under lock, so an overlapping or repeated run changes nothing more.
    The time limit keeps one run inside its minute."""
    from applicants.services import holds_sweep as sweep

    return dataclasses.asdict(sweep())


@shared_task(acks_late=True, ignore_result=True, time_limit=300)
def bookings_advance() -> tuple[int, int]:
    """Hourly (beat): bookings start on their first day and complete after their last."""
    from applicants.services import bookings_advance as advance

    return advance()


@shared_task(acks_late=True, ignore_result=True, time_limit=300)
def letters_expire_unanswered() -> int:
    """Hourly (beat): letter requests nobody answered within 30 days expire. Idempotent: each is taken
    under SKIP LOCKED and changes once."""
    from applicants.services import letters_expire_unanswered as expire

    return expire()
