"""Offers: the host offers a seat held until a deadline; the applicant accepts or declines it."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.db import transaction
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.money import format_cents
from amo.text import day_label, moment_label
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import Application
from applicants.services.moves import (
    application_loaded,
    lock_seat,
    move,
    news_send,
    notify_applicant,
    notify_host,
)
from applicants.services.payment_handoff import resale_refund
from applicants.services.waitlist import offer_deadline_default, waitlist_promote
from applicants.terms import application_terms
from applicants.workflow import STANDING, ActorRole
from rotations.models import SeatHold
from rotations.services import seat_convert, seat_hold_locked, seat_release, seat_take

S = Application.Status


def application_offer(
    *, application: Application, actor: User, expires_at: datetime | None = None
) -> Application:
    """The host offers a seat: the offer's hold keeps it until `expires_at` (default 7 days, never
    past the start). Refused when no seat is left, or the deadline is past or after the start."""
    now = timezone.now()
    application = application_loaded(application)
    block = application.block
    start = datetime.combine(block.start_date, time.min, UTC)
    if expires_at is None:
        expires_at = offer_deadline_default(application=application, now=now)
    if expires_at <= now:
        raise DomainError("The offer deadline must be in the future.", field="expires_at")
    if expires_at > start:
        raise DomainError(
            f"The offer deadline cannot be after the block starts ({day_label(block.start_date)}).",
            field="expires_at",
        )
    with transaction.atomic():
        seat_take(
            block_id=block.pk, application_id=application.pk, kind=SeatHold.Kind.OFFER, expires_at=expires_at
        )
        recorded = move(application, S.OFFERED, actor=actor, role=ActorRole.HOST)
        notify_applicant(
            application,
            f"offered:{recorded.pk}",
            f"Offer: {block.rotation}",
            f"{block.rotation.organization} offers you a seat on {block}. The seat is held for you "
            f"until {moment_label(expires_at)} UTC: accept or decline it on your application's page.",
        )
    return application


def _check_open_offer(status: str, answer: str) -> None:
    """Refuse to answer an offer that is not open (already answered, expired, never made) in words
    that say so: a second press of "Accept" is told the offer was answered, not a state machine's edge."""
    if status != S.OFFERED:
        raise DomainError(
            f"There is no open offer to {answer}. {STANDING[status]}.",
            extra={"status": status},
            status=409,
        )


def application_accept(*, application: Application, actor: User) -> Application:
    """The applicant accepts an offer before its deadline. With no deposit to pay the booking is
    confirmed at once; with one, the application awaits the payment (payments.services) and the offer's hold
    keeps the seat until the same deadline."""
    application = application_loaded(application)
    rotation, terms = application.block.rotation, application_terms(application)
    with transaction.atomic():
        hold = seat_hold_locked(application.pk)
        status = Application.objects.values_list("status", flat=True).get(pk=application.pk)
        _check_open_offer(status, "accept")
        if hold is None or hold.expires_at <= timezone.now():
            raise DomainError("This offer has expired; its seat is no longer held for you.", status=409)
        if terms.deposit_cents:
            recorded = move(application, S.AWAITING_PAYMENT, actor=actor, role=ActorRole.APPLICANT)
            applicant_news = (
                f"Pay the deposit to confirm: {rotation}",
                f"You accepted the offer for {application.block}. Pay the deposit of "
                f"{format_cents(terms.deposit_cents, terms.currency)} by "
                f"{moment_label(hold.expires_at)} UTC to confirm your seat.",
            )
            host_news = (
                f"Offer accepted: {rotation}",
                f"{application.applicant} accepted your offer for {application.block}; "
                "the booking is confirmed once the deposit is paid.",
            )
        else:
            seat_convert(application_id=application.pk, kind=SeatHold.Kind.BOOKING)
            recorded = move(application, S.CONFIRMED, actor=actor, role=ActorRole.APPLICANT)
            resale_refund(application)
            applicant_news = (
                f"Booking confirmed: {rotation}",
                f"You accepted the offer: your seat on {application.block} is confirmed.",
            )
            host_news = (
                f"Booking confirmed: {rotation}",
                f"{application.applicant} accepted your offer: their seat on {application.block} "
                "is confirmed.",
            )
        news_send(application, recorded, applicant=applicant_news, host=host_news)
    return application


def application_decline(*, application: Application, actor: User, reason: str = "") -> Application:
    """The applicant declines an offer: its seat goes back, to the first of the waitlist if any."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    application = application_loaded(application)
    with transaction.atomic():
        block_id = lock_seat(application)
        _check_open_offer(
            Application.objects.values_list("status", flat=True).get(pk=application.pk), "decline"
        )
        recorded = move(application, S.DECLINED, actor=actor, role=ActorRole.APPLICANT, reason=reason)
        seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.DECLINED)
        waitlist_promote(block_id=block_id)
        notify_host(
            application,
            f"declined:{recorded.pk}",
            f"Offer declined: {application.block.rotation}",
            f"{application.applicant} declined your offer for {application.block}."
            + (f"\n\nTheir reason: {reason}" if reason else ""),
        )
    return application
