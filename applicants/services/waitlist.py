"""The waitlist: free seats offered to it first come first served, each with a fresh deadline."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from amo.text import moment_label
from applicants.models import Application
from applicants.services.moves import move, news_send
from applicants.workflow import ActorRole
from rotations.locking import lock_block
from rotations.models import SeatHold
from rotations.services import seat_take

S = Application.Status

OFFER_VALID_FOR = timedelta(days=7)


def offer_deadline_default(*, application: Application, now: datetime) -> datetime:
    """Seven days to answer, never past the block's first day."""
    start = datetime.combine(application.block.start_date, time.min, UTC)
    return min(now + OFFER_VALID_FOR, start)


def waitlist_promote(*, block_id: int) -> list[Application]:
    """Offer the block's free seats to its waitlist, first come first served, each with a fresh
    deadline. Runs inside the caller's transaction with the block locked first (seat_take locks it
    again, harmlessly); nobody is promoted once the block has started."""
    now = timezone.now()
    block = lock_block(block_id)
    if datetime.combine(block.start_date, time.min, UTC) <= now:
        return []
    promoted = []
    waiting = (
        Application.objects.filter(block_id=block_id, status=S.WAITLISTED)
        .select_related("applicant__user", "block__rotation__organization")
        .order_by("waitlisted_at", "pk")
    )
    for application in waiting:
        if SeatHold.objects.unreleased().filter(block_id=block_id).count() >= block.capacity:
            break
        expires_at = offer_deadline_default(application=application, now=now)
        seat_take(
            block_id=block_id, application_id=application.pk, kind=SeatHold.Kind.OFFER, expires_at=expires_at
        )
        recorded = move(application, S.OFFERED, actor=None, role=ActorRole.SYSTEM, reason="A seat opened up.")
        news_send(
            application,
            recorded,
            applicant=(
                f"A seat opened up: {block.rotation}",
                f"A seat on {application.block} opened up and is offered to you, first on the waitlist. "
                f"It is held for you until {moment_label(expires_at)} UTC: accept or decline it on your "
                "application's page.",
            ),
            host=(
                f"Waitlist moved: {block.rotation}",
                f"A seat on {application.block} opened up and was offered to {application.applicant}, "
                "first on the waitlist.",
            ),
        )
        promoted.append(application)
    return promoted
