"""Cancelling a confirmed booking: by the applicant, the host, the system or staff, with the
refund the policy gives for who cancels."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import Application, BlockChange
from applicants.services.moves import (
    application_loaded,
    lock_seat,
    move,
    news_send,
    refunds_give,
)
from applicants.services.waitlist import waitlist_promote
from applicants.workflow import ActorRole
from hosts.reminders import block_changes_waiting_plan
from payments.models import Refund
from payments.refunds import refund_news
from rotations.models import SeatHold
from rotations.services import seat_release

S = Application.Status


CANCELLATION_REFUNDS = {
    ActorRole.APPLICANT: Refund.Reason.CANCELLATION,
    ActorRole.SYSTEM: Refund.Reason.CANCELLATION,
    ActorRole.HOST: Refund.Reason.HOST_CANCELLATION,
}


def application_cancel(
    *,
    application: Application,
    actor: User | None,
    role: ActorRole,
    reason: str = "",
    refund_reason: str | None = None,
    refund_cents: int | None = None,
) -> Application:
    """The applicant, the host, the system or staff cancel a confirmed booking; the seat goes to the
    waitlist and the refund is written in the same transaction, and the other side is told.

    The refund is what payments.refunds plans for who cancels (CANCELLATION_REFUNDS; staff give
    `refund_reason`) from the payments that succeeded, written under their row locks and sent to
    Stripe once committed: the amount the cancel page showed before. A host, the system or staff
    give the applicant a reason, e.g. a balance left unpaid past its deadline. Staff may instead
    set the amount refunded (`refund_cents`), at most what was paid and is not refunded yet."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    if role is not ActorRole.APPLICANT and not reason:
        raise DomainError("Give the applicant a reason for cancelling.", field="reason")
    if refund_cents is not None:
        if role is not ActorRole.STAFF:
            raise DomainError("Only staff set the amount a cancellation refunds.", status=403)
        refund_reason = Refund.Reason.STAFF
    refund_reason = CANCELLATION_REFUNDS.get(role, refund_reason)
    if refund_reason is None:
        raise DomainError("Say which refund this cancellation gives.", field="refund_reason")
    application = application_loaded(application)
    rotation = application.block.rotation
    with transaction.atomic():
        block_id = lock_seat(application)
        recorded = move(application, S.CANCELLED, actor=actor, role=role, reason=reason)
        seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.CANCELLED)
        if application.block_changes.filter(status=BlockChange.Status.REQUESTED).update(
            status=BlockChange.Status.WITHDRAWN, decided_at=timezone.now()
        ):
            block_changes_waiting_plan(organization_id=rotation.organization_id)
        waitlist_promote(block_id=block_id)
        refunded = refund_news(
            refunds_give(
                application=application, reason=refund_reason, actor=actor, amount_cents=refund_cents
            )
        )
        because = f"\n\nReason: {reason}" if reason else ""
        if role is ActorRole.HOST:
            # The host who cancelled knows it already.
            news_send(
                application,
                recorded,
                applicant=(
                    f"Booking cancelled by the host: {rotation}",
                    f"{rotation.organization} cancelled your booking for {application.block}. "
                    f"{refunded}{because}",
                ),
            )
            return application
        by_applicant = role is ActorRole.APPLICANT
        who = (
            f"{application.applicant} cancelled their booking"
            if by_applicant
            else f"The booking of {application.applicant} was cancelled"
        )
        news_send(
            application,
            recorded,
            applicant=(
                f"Booking cancelled: {rotation}",
                f"Your booking for {application.block} is cancelled. {refunded}"
                + ("" if by_applicant else because),
            ),
            host=(
                f"Booking cancelled: {rotation}",
                f"{who} for {application.block}; the seat is free again (offered to the waitlist first)."
                f"{because}",
            ),
        )
    return application
