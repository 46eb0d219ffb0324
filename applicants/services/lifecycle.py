"""A booking from its first day to its last: started and completed by the hourly advance, or
recorded by the host as a no-show or an early end."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import DateField, ExpressionWrapper, F
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.text import day_label
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import Application
from applicants.services.moves import (
    SWEEP_BATCH,
    application_loaded,
    block_started,
    lock_seat,
    move,
    notify_applicant,
)
from applicants.workflow import STANDING, ActorRole
from rotations.models import SeatHold
from rotations.services import seat_release

S = Application.Status


def application_record_no_show(*, application: Application, actor: User, reason: str = "") -> Application:
    """The host records that a booked applicant did not come (from the block's first day on)."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the note")
    application = application_loaded(application)
    if application.status not in (S.CONFIRMED, S.IN_PROGRESS):
        raise DomainError(
            f"Only a booking can be marked as not attended. {STANDING[application.status]}.",
            status=409,
        )
    if not block_started(application.block):
        raise DomainError(
            "A booking can be marked as not attended from the block's first day "
            f"({day_label(application.block.start_date)}).",
            status=409,
        )
    with transaction.atomic():
        lock_seat(application)
        recorded = move(application, S.NO_SHOW, actor=actor, role=ActorRole.HOST, reason=reason)
        seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.ENDED)
        notify_applicant(
            application,
            f"no_show:{recorded.pk}",
            f"Recorded as not attended: {application.block.rotation}",
            f"{application.block.rotation.organization} recorded that you did not attend {application.block}."
            + (f"\n\nTheir note: {reason}" if reason else ""),
        )
    return application


def application_end_early(*, application: Application, actor: User, reason: str) -> Application:
    """The host records that a rotation under way ended before its last day, with the reason."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    if not reason:
        raise DomainError("Say why the rotation ended early.", field="reason")
    application = application_loaded(application)
    with transaction.atomic():
        lock_seat(application)
        recorded = move(application, S.ENDED_EARLY, actor=actor, role=ActorRole.HOST, reason=reason)
        seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.ENDED)
        notify_applicant(
            application,
            f"ended_early:{recorded.pk}",
            f"Rotation ended early: {application.block.rotation}",
            f"{application.block.rotation.organization} recorded that your rotation ({application.block}) "
            f"ended early.\n\nTheir reason: {reason}",
        )
    return application


def bookings_advance() -> tuple[int, int]:
    """Start each confirmed booking on its block's first day and complete each rotation under way
    after its last day, as the system; returns (started, completed). A booking is still the host's
    to record as a no-show or an early end. Idempotent: each move re-reads the row under lock. Each
    booking moves in its own transaction, so one that fails stops nothing else."""
    today = timezone.localdate()
    started = completed = 0
    starting = Application.objects.filter(status=S.CONFIRMED, block__start_date__lte=today).order_by("pk")
    for application in starting.select_related("block")[:SWEEP_BATCH]:
        try:
            with transaction.atomic():
                move(
                    application,
                    S.IN_PROGRESS,
                    actor=None,
                    role=ActorRole.SYSTEM,
                    reason="The rotation began.",
                )
        except DomainError:
            continue  # moved on meanwhile (cancelled, a no-show)
        started += 1
    # Filtered on the block's last day in the query: a batch of rotations still under way never
    # hides those that ended behind it.
    ended = (
        Application.objects.filter(status=S.IN_PROGRESS)
        .alias(
            # A date plus whole weeks is a date: compared with today as dates, no time zone involved.
            day_after_end=ExpressionWrapper(
                F("block__start_date") + F("block__weeks") * timedelta(weeks=1), output_field=DateField()
            )
        )
        .filter(day_after_end__lte=today)
    )
    for application in ended.order_by("pk")[:SWEEP_BATCH]:
        try:
            with transaction.atomic():
                move(
                    application, S.COMPLETED, actor=None, role=ActorRole.SYSTEM, reason="The rotation ended."
                )
        except DomainError:
            continue
        completed += 1
    return started, completed
