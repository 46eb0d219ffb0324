"""The every-minute sweep: offers and checkouts past their deadline expire (their seats go to the
waitlist), free seats are offered to waitlists, and applications left undecided expire."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from applicants.models import Application
from applicants.services.moves import (
    SWEEP_BATCH,
    application_loaded,
    move,
    news_send,
    refunds_give,
)
from applicants.services.waitlist import waitlist_promote
from applicants.workflow import UNDECIDED, UNDECIDED_EXPIRE_AFTER, ActorRole
from payments.models import Refund
from payments.refunds import refund_news
from rotations.locking import lock_block
from rotations.models import Block, SeatHold
from rotations.services import seat_hold_locked, seat_release

S = Application.Status
logger = logging.getLogger(__name__)


def application_expire(*, application_id: int) -> Application | None:
    """Expire an offer or a checkout whose deadline passed: the seat goes to the waitlist in the same
    transaction, applicant and host are told. Does nothing (None) when the deadline has not passed
    or the application has moved on, so the sweep may call it twice."""
    application = application_loaded(application_id)
    now = timezone.now()
    with transaction.atomic():
        hold = seat_hold_locked(application.pk)
        if hold is None:
            lock_block(application.block_id)
        elif hold.expires_at is None or hold.expires_at > now:
            return None
        status = Application.objects.values_list("status", flat=True).get(pk=application.pk)
        if status not in (S.OFFERED, S.AWAITING_PAYMENT):
            return None
        what = "offer" if status == S.OFFERED else "reservation"
        recorded = move(
            application, S.EXPIRED, actor=None, role=ActorRole.SYSTEM, reason=f"The {what}'s deadline passed."
        )
        seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.EXPIRED)
        waitlist_promote(block_id=application.block_id)
        news_send(
            application,
            recorded,
            applicant=(
                f"Your {what} expired: {application.block.rotation}",
                f"The {what} for {application.block} was not completed in time, so its seat was released.",
            ),
            host=(
                f"{'An' if what == 'offer' else 'A'} {what} expired: {application.block.rotation}",
                f"The {what} to {application.applicant} for {application.block} expired; the seat is free "
                "again (offered to the waitlist first).",
            ),
        )
    return application


def application_expire_undecided(*, application_id: int) -> Application | None:
    """Expire a submitted application that nobody at the host decided within 10 days; its application
    fee, if paid, is refunded in the same transaction (sent to Stripe once committed) and both sides
    are told. Does nothing (None) when it was decided meanwhile or is not that old."""
    application = application_loaded(application_id)
    now = timezone.now()
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status not in UNDECIDED or locked.submitted_at > now - UNDECIDED_EXPIRE_AFTER:
            return None
        recorded = move(
            application,
            S.EXPIRED,
            actor=None,
            role=ActorRole.SYSTEM,
            reason="The host did not decide within 10 days of submission.",
        )
        plan = refunds_give(application=application, reason=Refund.Reason.UNDECIDED)
        news_send(
            application,
            recorded,
            applicant=(
                f"No answer from {application.block.rotation.organization}",
                f"{application.block.rotation.organization} did not decide your application for "
                f"{application.block} within 10 days, so it expired. You may apply elsewhere, or again."
                + (f" {refund_news(plan)}" if plan.total_cents else ""),
            ),
            host=(
                f"An application expired undecided: {application.block.rotation}",
                f"{application.applicant}'s application for {application.block} expired: nobody decided it "
                "within 10 days of submission.",
            ),
        )
    return application


@dataclass(frozen=True)
class SweepResult:
    expired: int
    promoted: int
    undecided: int


def _each(expire, application_ids: list[int]) -> int:
    """Run `expire` for each application, each in its own transaction; one that fails (its block busy
    for a moment, or worse) is logged and left to the next run, and the rest go on. Returns how many
    moved."""
    moved = 0
    for application_id in application_ids:
        try:
            moved += expire(application_id=application_id) is not None
        except Exception:
            logger.exception(
                "%s of application %s failed; the next run tries again", expire.__name__, application_id
            )
    return moved


def holds_sweep() -> SweepResult:
    """The every-minute sweep: expire offers and checkouts past their deadline (releasing their
    seats to the waitlist), offer any other free seat to a waitlist, and expire applications left
    undecided for 10 days. Each application in its own transaction, so one failure stops nothing."""
    now = timezone.now()
    due = (
        Application.objects.filter(status__in=[S.OFFERED, S.AWAITING_PAYMENT])
        .filter(~Exists(SeatHold.objects.active(now).filter(application=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    expired = _each(application_expire, list(due))
    promoted = 0
    waiting_blocks = (
        Block.objects.filter(seats_taken__lt=F("capacity"), start_date__gt=now.date())
        .filter(Exists(Application.objects.filter(block=OuterRef("pk"), status=S.WAITLISTED)))
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for block_id in list(waiting_blocks):
        try:
            with transaction.atomic():
                promoted += len(waitlist_promote(block_id=block_id))
        except Exception:
            logger.exception(
                "Offering block %s's free seats to its waitlist failed; the next run tries again", block_id
            )
    undecided = (
        Application.objects.filter(status__in=UNDECIDED, submitted_at__lte=now - UNDECIDED_EXPIRE_AFTER)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    undecided_count = _each(application_expire_undecided, list(undecided))
    return SweepResult(expired=expired, promoted=promoted, undecided=undecided_count)


# What a cancellation gives back, by who cancels (payments.refunds.RULES): the policy's tier when the
# applicant cancels, or the system does for a balance left unpaid; everything when the host does.
