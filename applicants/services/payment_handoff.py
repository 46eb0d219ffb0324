"""What the booking code does with money payments received: a paid deposit or fee confirms the
booking (or is refused, and payments gives it back), and a booking from the waitlist makes good
the seat another applicant cancelled (the resale refund)."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.transactions import transaction_required
from applicants.models import Application, ApplicationTransition
from applicants.services.cancellation import application_cancel
from applicants.services.follow_up import application_follow_up
from applicants.services.moves import (
    application_loaded,
    lock_seat,
    move,
    news_send,
    notify_applicant,
    refunds_give,
)
from applicants.workflow import ActorRole
from payments.models import Payment, Refund
from payments.refunds import PROGRAM_FEE_PURPOSES, refund_news
from rotations.models import SeatHold
from rotations.services import seat_convert, seat_hold_locked, seat_release, seat_take

S = Application.Status
logger = logging.getLogger(__name__)


def application_payment_confirm(
    *, application: Application | int, actor: User | None = None, late: bool = False
) -> Application:
    """The deposit (or the whole fee) is paid: the held seat becomes a booking.

    Called by the payment's confirmation (payments.services) with no actor, or by staff who received
    the money another way. Refused once the hold's deadline has passed: the seat is no longer this
    applicant's. With `late` (a payment Stripe took after the deadline) the seat is taken afresh as a
    booking when the block still has one, from awaiting payment or expired; refused (409) otherwise,
    and the caller gives the money back.
    """
    application = application_loaded(application)
    role = ActorRole.SYSTEM if actor is None else ActorRole.STAFF
    with transaction.atomic():
        if late:
            _seat_take_late(application)
        else:
            seat_convert(application_id=application.pk, kind=SeatHold.Kind.BOOKING)
        recorded = move(application, S.CONFIRMED, actor=actor, role=role)
        resale_refund(application)
        rotation = application.block.rotation
        news_send(
            application,
            recorded,
            applicant=(
                f"Booking confirmed: {rotation}",
                f"Your payment was received: your seat on {application.block} is confirmed.",
            ),
            host=(
                f"Booking confirmed: {rotation}",
                f"{application.applicant} paid: their seat on {application.block} is confirmed.",
            ),
        )
    return application


def resale_refund(booking: Application) -> None:
    """A booking just confirmed (inside its transaction, its block locked) re-sold a cancelled seat
    when it came from the waitlist before the block's start: the cancellation it makes good is the
    block's earliest one made before this booking was offered its seat, not yet re-sold, with
    program fee still held (a host's or a visa denial's cancellation gave it all back already). That
    applicant gets the rest of the program fee paid back (payments.refunds, RESALE) and is told.

    Once, whatever runs twice: a cancellation is re-sold to one booking and a booking re-sells one
    cancellation (Application.resold_to, a one-to-one set under the cancelled row's lock), and a
    payment takes one resale refund (a unique constraint on refunds)."""
    transaction_required("resale_refund")
    if booking.block.start_date <= timezone.now().date():
        return
    offered_at = (
        ApplicationTransition.objects.filter(
            application=booking, from_status=S.WAITLISTED, to_status=S.OFFERED
        )
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    if offered_at is None or Application.objects.filter(resold_to=booking).exists():
        return
    cancelled_at = ApplicationTransition.objects.filter(
        application=OuterRef("pk"), to_status=S.CANCELLED
    ).values("created_at")[:1]
    fee_held = Payment.objects.paid().filter(application=OuterRef("pk"), purpose__in=PROGRAM_FEE_PURPOSES)
    cancelled = (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant__user", "block__rotation__organization")
        .annotate(cancelled_at=Subquery(cancelled_at))
        .filter(
            block_id=booking.block_id,
            status=S.CANCELLED,
            resold_to__isnull=True,
            cancelled_at__lte=offered_at,
        )
        .filter(Exists(fee_held))
        .order_by("cancelled_at", "pk")
        .first()
    )
    if cancelled is None:
        return
    Application.objects.filter(pk=cancelled.pk).update(resold_to=booking, updated_at=timezone.now())
    plan = refunds_give(application=cancelled, reason=Refund.Reason.RESALE)
    notify_applicant(
        cancelled,
        "resold",
        f"Your cancelled seat was booked again: {cancelled.block.rotation}",
        f"The seat you cancelled on {cancelled.block} was booked by an applicant from the waitlist before "
        f"the start, so it was not lost to {cancelled.block.rotation.organization}. {refund_news(plan)}",
    )


def _seat_take_late(application: Application) -> None:
    """A booking hold for a payment that arrived after its hold's deadline: the live hold is
    converted as usual; a lapsed one is released and a seat taken afresh, if one is left."""
    block_id = lock_seat(application)
    status = Application.objects.values_list("status", flat=True).get(pk=application.pk)
    if status not in (S.AWAITING_PAYMENT, S.EXPIRED):
        raise DomainError("This application no longer waits for a payment.", status=409)
    hold = seat_hold_locked(application.pk)
    if hold is not None and (hold.expires_at is None or hold.expires_at > timezone.now()):
        seat_convert(application_id=application.pk, kind=SeatHold.Kind.BOOKING)
        return
    seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.EXPIRED)
    if (
        status == S.EXPIRED
        and Application.objects.filter(applicant_id=application.applicant_id, block_id=block_id)
        .exclude(pk=application.pk)
        .live()
        .exists()
    ):
        raise DomainError("The applicant applied for this block again meanwhile.", status=409)
    seat_take(block_id=block_id, application_id=application.pk, kind=SeatHold.Kind.BOOKING)


def payment_received(payment: Payment) -> str:
    """What the booking makes of a payment Stripe took (payments.handoff; inside the payment's
    transaction, its row locked). Returns "" when the money is kept, else why it goes back.

    An application fee is kept while the application still owes it, read under the application's
    lock: one that ended meanwhile (its unpaid fee waived) or whose fee another payment paid refuses
    it. A balance is kept unless the booking was cancelled: a cancellation committing now either
    refunds it with the booking's other payments, or is seen here. A deposit or the whole fee
    confirms the booking, taking a seat afresh when the hold lapsed; refused when no seat is left.
    A busy block (its lock not had in time) raises: that says nothing about the seat, so nothing is
    kept or refunded, and the event's retry or reconciliation decides."""
    transaction_required("payment_received")
    P = Payment.Purpose
    if payment.purpose == P.APPLICATION_FEE:
        locked = Application.objects.select_for_update().get(pk=payment.application_id)
        if locked.application_fee_status not in (Application.FeeStatus.DUE, Application.FeeStatus.NOT_DUE):
            return f"The application fee is {locked.get_application_fee_status_display().lower()}."
        locked.application_fee_status = Application.FeeStatus.PAID
        locked.save(update_fields=["application_fee_status", "updated_at"])
        return ""
    if payment.purpose == P.BALANCE:
        status = (
            Application.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=payment.application_id)
        )
        if status == S.CANCELLED:
            return "The booking was cancelled."
        application_follow_up(payment.application_id, reason="The balance is paid.")
        return ""
    try:
        # Staff who recorded money received another way confirm as staff; Stripe's money, as the system.
        application_payment_confirm(application=payment.application_id, actor=payment.recorded_by, late=True)
    except DomainError as refusal:
        if refusal.status != 409:
            raise
        return refusal.message
    except IntegrityError as refusal:
        # The seat invariant (rotations' constraint) refused the booking: the block is full.
        logger.info("Booking refused for payment %s: %s", payment.pk, refusal)
        return "The block has no seat left."
    return ""


def balance_deadline_set(application_id: int) -> None:
    """The saved card did not pay the balance and a deadline to pay it through the link was set
    (payments.handoff; inside the payment's transaction): the applicant is reminded before it."""
    application_follow_up(application_id, reason="The saved card was not charged.")


def balance_unpaid(application_id: int, reason: str) -> None:
    """Cancel, as the system, a booking whose balance is unpaid past its deadline (payments.handoff)."""
    application_cancel(
        application=Application.objects.get(pk=application_id),
        actor=None,
        role=ActorRole.SYSTEM,
        reason=reason,
    )
