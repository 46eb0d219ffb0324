"""Writes of applications: the applicant's draft, submission, withdrawal and thread, and every
move the host makes on them (review, offer, rejection, waitlist, bulk). Each transition goes
through applicants.workflow and is told to the other side."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.money import format_cents
from amo.services import notification_send
from amo.text import day_label, moment_label
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import (
    Applicant,
    Application,
    ApplicationMessage,
    ApplicationTransition,
    BlockChange,
    Document,
)
from applicants.readiness import block_closed_reason, is_ready, readiness_checklist
from applicants.selectors import thread_is_open
from applicants.workflow import ActorRole, actor_holds_role, transition
from hosts.models import Membership
from payments.fees import application_fee_on_move, application_fee_on_sending
from payments.models import Payment, Refund
from payments.refunds import PROGRAM_FEE_PURPOSES, refund_news, refunds_write
from payments.selectors import PriceDifference, price_difference
from rotations.locking import lock_block, lock_blocks
from rotations.models import Block, Rotation, SeatHold
from rotations.services import seat_convert, seat_hold_locked, seat_move, seat_release, seat_take

S = Application.Status

# --- Moves, fees and news ---------------------------------------------------------------------------

OFFER_VALID_FOR = timedelta(days=7)
# pretix's default cart reservation: long enough to pay, short enough not to keep a seat from others.
CHECKOUT_HOLD_FOR = timedelta(minutes=30)
# A book-now booking may be confirmed before every document is in; they are due this long after.
DOCUMENTS_DUE_WITHIN = timedelta(days=7)
# A submitted application nobody at the host decides expires on its own after this long.
UNDECIDED_EXPIRE_AFTER = timedelta(days=10)


def _move(
    application: Application, to: S, *, actor: User | None, role: ActorRole, reason: str = "", **changes
):
    """Take one edge of the state machine with the fee change that goes with it (payments.fees);
    returns the recorded transition. Callers that change seats have locked the block first."""
    current = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    fee = application_fee_on_move(current, to)
    transition(application, to, actor=actor, role=role, reason=reason, **{**fee, **changes})
    return ApplicationTransition.objects.filter(application=application).latest("created_at", "id")


def _application_link(application: Application) -> str:
    return reverse("applicants:application_detail", kwargs={"pk": application.pk})


def _notify_applicant(application: Application, event: str, subject: str, body: str) -> None:
    notification_send(
        recipient=application.applicant.user,
        key=f"application:{application.pk}:{event}",
        subject=subject,
        body=body,
        link=_application_link(application),
    )


def _lock_seat(application: Application) -> int:
    """Lock the block whose seat the application holds (or its block, holding none) before anything
    else, the order every seat-changing service keeps; returns that block's id."""
    hold = seat_hold_locked(application.pk)
    if hold is not None:
        return hold.block_id
    block_id = Application.objects.values_list("block_id", flat=True).get(pk=application.pk)
    lock_block(block_id)
    return block_id


def _loaded(application: Application | int) -> Application:
    pk = application if isinstance(application, int) else application.pk
    return Application.objects.select_related("applicant__user", "block__rotation__organization").get(pk=pk)


# --- The applicant's side -----------------------------------------------------------------------


def _notify_host(application: Application, event: str, subject: str, body: str) -> None:
    """Tell the host members who see `application` on their side (hosts.tenancy's scope): the
    organization's owners and coordinators, who decide it, and the member who is its rotation's
    preceptor. Once per member and event."""
    rotation = application.block.rotation
    sees_it = Q(role__in=[Membership.Role.OWNER, Membership.Role.COORDINATOR])
    if rotation.preceptor_id is not None:
        sees_it |= Q(role=Membership.Role.PRECEPTOR, preceptor_id=rotation.preceptor_id)
    members = (
        Membership.objects.for_org(rotation.organization_id)
        .filter(sees_it, user__is_active=True)
        .select_related("user")
    )
    link = reverse("hosts:application_detail", args=[application.pk])
    for membership in members:
        notification_send(
            recipient=membership.user,
            key=f"application:{application.pk}:{event}:member:{membership.user_id}",
            subject=subject,
            body=body,
            link=link,
        )


MAX_STATEMENT_CHARS = 3000


def _own_documents(applicant: Applicant, documents: Iterable[Document | int]) -> list[Document]:
    ids = {d.pk if isinstance(d, Document) else int(d) for d in documents}
    own = list(Document.objects.filter(applicant=applicant, pk__in=ids))
    if len(own) != len(ids):
        raise DomainError(
            "You can only send documents from your own vault.",
            extra={"fields": {"documents": ["Unknown document."]}},
            status=404,
        )
    return own


def _check_statement(personal_statement: str) -> str:
    return bounded_text(
        personal_statement,
        field="personal_statement",
        max_chars=MAX_STATEMENT_CHARS,
        what="the personal statement",
    )


def application_draft_save(
    *,
    applicant: Applicant,
    block: Block,
    personal_statement: str,
    documents: Iterable[Document | int],
    application: Application | None = None,
) -> Application:
    """Create or change the applicant's draft for `block`; refused once the block takes no applications.

    One live application per applicant and block: the database's unique constraint decides, so two
    requests racing to create one end with one application and a clear refusal.
    """
    personal_statement = _check_statement(personal_statement)
    own = _own_documents(applicant, documents)
    closed = block_closed_reason(block, timezone.now().date())
    if closed:
        # A draft that can never be submitted would only mislead the applicant.
        raise DomainError(f"This block is not open for applications: {closed}", status=409)
    try:
        with transaction.atomic():
            if application is None:
                application = Application.objects.create(
                    applicant=applicant,
                    block=block,
                    personal_statement=personal_statement,
                    application_fee_cents=block.rotation.application_fee_cents,
                    currency=block.rotation.currency,
                )
            else:
                application = Application.objects.select_for_update().get(pk=application.pk)
                if application.applicant_id != applicant.pk:
                    raise DomainError("This is not your application.", status=404)
                if application.status != S.DRAFT:
                    raise DomainError("Only a draft can be changed.", status=409)
                if application.block_id != block.pk:
                    raise DomainError(
                        "A draft stays on its block; start a new application instead.", status=409
                    )
                application.personal_statement = personal_statement
                application.save(update_fields=["personal_statement", "updated_at"])
            application.documents.set(own)
    except IntegrityError as error:
        if "application_one_live_per_applicant_block" not in str(error):
            raise
        raise DomainError(
            "You already have an application for this block.", extra={"block_id": block.pk}, status=409
        ) from error
    return application


def email_is_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def application_submit(*, application: Application, actor: User) -> Application:
    """Send a draft to the host. Only a ready applicant with a verified email submits.

    Readiness is judged on the documents assigned to the application (what the host will see), on
    the day of submission. With a seat left the application is submitted and its fee recorded as
    due ([5/8]'s payment settles it); on a full block it joins the waitlist at once and owes no fee
    until the host offers it a seat. Seats are counted under the block's row lock, so a seat taken
    or freed at this very moment decides it.
    """
    application = Application.objects.select_related("applicant__user", "block__rotation").get(
        pk=application.pk
    )
    if application.applicant.user_id != actor.pk:
        raise DomainError("This is not your application.", status=404)
    if not email_is_verified(actor):
        raise DomainError("Verify your email address before you apply.", status=403)
    if not application.personal_statement:
        message = "Write a short personal statement."
        raise DomainError(message, extra={"fields": {"personal_statement": [message]}})
    rotation = application.block.rotation
    with transaction.atomic():
        # Hold the documents being judged until the submission commits: a delete of one of them waits,
        # then finds it sent (NO KEY, so saving a draft that assigns them never deadlocks with this).
        documents = list(application.documents.select_for_update(of=("self",), no_key=True))
        checklist = readiness_checklist(
            applicant=application.applicant, block=application.block, documents=documents
        )
        if not is_ready(checklist):
            missing = [{"key": i.key, "label": i.label, "detail": i.detail} for i in checklist if not i.ok]
            raise DomainError(
                "You do not meet this rotation's requirements yet: "
                + "; ".join(f"{item['label']}" for item in missing)
                + ".",
                extra={"missing": missing},
            )
        full = lock_block(application.block_id).is_full
        application = transition(
            application,
            S.WAITLISTED if full else S.SUBMITTED,
            actor=actor,
            role=ActorRole.APPLICANT,
            submitted_at=timezone.now(),
            **application_fee_on_sending(rotation, waitlisted=full),
        )
        if full:
            applicant_news = (
                f"You joined the waitlist: {rotation.title}",
                f"{application.block} is full, so you joined its waitlist at {rotation.organization.name}. "
                "No fee is due until a seat is offered to you.",
            )
            host_news = (
                f"New on the waitlist for {rotation.title}",
                f"{application.applicant} joined the waitlist for {application.block}.",
            )
        else:
            applicant_news = (
                f"Application sent: {rotation.title}",
                f"Your application for {application.block} was sent to {rotation.organization.name}.",
            )
            host_news = (
                f"New application for {rotation.title}",
                f"{application.applicant} applied for {application.block} at {rotation.organization.name}.",
            )
        notification_send(
            recipient=actor,
            key=f"application:{application.pk}:submitted",
            subject=applicant_news[0],
            body=applicant_news[1],
            link=reverse("applicants:application_detail", args=[application.pk]),
        )
        _notify_host(application, "submitted", *host_news)
    return application


def application_apply(
    *,
    applicant: Applicant,
    block: Block,
    personal_statement: str,
    documents: Iterable[Document | int],
    application: Application | None = None,
) -> Application:
    """Save (creating or changing the draft `application`) and submit in one go.

    Either the applicant has a submitted (or, on a full block, waitlisted) application, or nothing
    changed: a refused submission leaves no new draft behind and an existing draft as it was.
    """
    with transaction.atomic():
        application = application_draft_save(
            applicant=applicant,
            block=block,
            personal_statement=personal_statement,
            documents=documents,
            application=application,
        )
        return application_submit(application=application, actor=applicant.user)


def application_withdraw(*, application: Application, actor: User, reason: str = "") -> Application:
    """The applicant withdraws; a held seat (an offer, a reservation awaiting payment) goes back, to
    the first of the waitlist if any, in the same transaction."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    with transaction.atomic():
        block_id = _lock_seat(application)
        _move(application, S.WITHDRAWN, actor=actor, role=ActorRole.APPLICANT, reason=reason)
        if seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.WITHDRAWN):
            waitlist_promote(block_id=block_id)
    application.refresh_from_db()
    return application


MAX_MESSAGE_CHARS = 5000


def application_message_post(
    *, application: Application, author: User, role: ActorRole, body: str
) -> ApplicationMessage:
    """Add to an application's thread: its applicant, a host member of its organization, or staff.

    A message from the applicant is news for the host (`_notify_host`); hosts tell the applicant
    themselves (application_request_info).
    """
    body = bounded_text(body, field="body", max_chars=MAX_MESSAGE_CHARS, what="messages")
    if not body:
        raise DomainError("Write a message first.", extra={"fields": {"body": ["Required."]}})
    application = Application.objects.select_related("applicant__user", "block__rotation").get(
        pk=application.pk
    )
    if application.status == S.DRAFT:
        raise DomainError("Submit the application first; the host does not see drafts.", status=409)
    if not thread_is_open(application):
        raise DomainError(
            f"This application is {application.get_status_display().lower()}; its thread is closed.",
            status=409,
        )
    if role is ActorRole.SYSTEM or not actor_holds_role(application, author, role):
        raise DomainError("You may not write on this application.", status=403)
    with transaction.atomic():
        posted = ApplicationMessage.objects.create(
            application=application, author=author, author_role=role.value, body=body
        )
        if role is ActorRole.APPLICANT:
            _notify_host(
                application,
                f"message:{posted.pk}",
                f"New message from {application.applicant} about {application.block.rotation}",
                f"{application.applicant} wrote about their application for {application.block}:\n\n{body}",
            )
    return posted


# --- The host's review ---------------------------------------------------------------------------


def _move_and_tell(
    application: Application, to: S, *, actor: User, subject: str, body: str, reason: str = "", **changes
) -> Application:
    """Move the application as its host and tell the applicant, once per recorded transition."""
    recorded = _move(application, to, actor=actor, role=ActorRole.HOST, reason=reason, **changes)
    _notify_applicant(application, f"{to}:{recorded.pk}", subject, body)
    return application


def application_start_review(*, application: Application, actor: User) -> Application:
    """The host opens a submitted application; the applicant learns it is being reviewed."""
    with transaction.atomic():
        return _move_and_tell(
            application,
            S.UNDER_REVIEW,
            actor=actor,
            subject=f"{application.block.rotation} is reviewing your application",
            body=f"{application.block.rotation.organization} started reviewing your application for "
            f"{application.block}.",
        )


def application_reject(*, application: Application, actor: User, reason: str) -> Application:
    """Reject with a reason; the applicant is told the reason."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    if not reason:
        raise DomainError("Give the applicant a reason for the rejection.", field="reason")
    with transaction.atomic():
        return _move_and_tell(
            application,
            S.REJECTED,
            actor=actor,
            reason=reason,
            subject=f"Your application for {application.block.rotation} was not accepted",
            body=f"{application.block.rotation.organization} did not accept your application for "
            f"{application.block}.\n\nTheir reason: {reason}",
        )


def application_waitlist(*, application: Application, actor: User) -> Application:
    """Put the application on the block's waitlist; the applicant is told."""
    with transaction.atomic():
        return _move_and_tell(
            application,
            S.WAITLISTED,
            actor=actor,
            subject=f"You are on the waitlist for {application.block.rotation}",
            body=f"{application.block.rotation.organization} put your application for {application.block} "
            "on the waitlist. You will hear from them if a seat opens.",
        )


def application_request_info(*, application: Application, actor: User, message: str) -> ApplicationMessage:
    """The host writes on the application's thread, e.g. to ask for more; the applicant is told.

    Who may write is the thread's rule (an owner or coordinator of the rotation's organization, on
    a submitted application), so a preceptor or a draft is refused here as on every other path.
    """
    with transaction.atomic():
        posted = application_message_post(
            application=application, author=actor, role=ActorRole.HOST, body=message
        )
        _notify_applicant(
            application,
            f"message:{posted.pk}",
            f"New message about your application for {application.block.rotation}",
            f"{application.block.rotation.organization} wrote:\n\n{posted.body}",
        )
    return posted


# --- Offers -------------------------------------------------------------------------------------------


def offer_deadline_default(*, application: Application, now: datetime) -> datetime:
    """Seven days to answer, never past the block's first day."""
    start = datetime.combine(application.block.start_date, time.min, UTC)
    return min(now + OFFER_VALID_FOR, start)


def application_offer(
    *, application: Application, actor: User, expires_at: datetime | None = None
) -> Application:
    """The host offers a seat: the offer's hold keeps it until `expires_at` (default 7 days, never
    past the start). Refused when no seat is left, or the deadline is past or after the start."""
    now = timezone.now()
    application = _loaded(application)
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
        recorded = _move(application, S.OFFERED, actor=actor, role=ActorRole.HOST)
        _notify_applicant(
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
            f"There is no open offer to {answer}: this application is “{S(status).label}”.",
            extra={"status": status},
            status=409,
        )


def application_accept(*, application: Application, actor: User) -> Application:
    """The applicant accepts an offer before its deadline. With no deposit to pay the booking is
    confirmed at once; with one, the application awaits the payment ([7/11]) and the offer's hold
    keeps the seat until the same deadline."""
    application = _loaded(application)
    rotation = application.block.rotation
    with transaction.atomic():
        hold = seat_hold_locked(application.pk)
        status = Application.objects.values_list("status", flat=True).get(pk=application.pk)
        _check_open_offer(status, "accept")
        if hold is None or hold.expires_at <= timezone.now():
            raise DomainError("This offer has expired; its seat is no longer held for you.", status=409)
        if rotation.deposit_cents:
            recorded = _move(application, S.AWAITING_PAYMENT, actor=actor, role=ActorRole.APPLICANT)
            applicant_news = (
                f"Pay the deposit to confirm: {rotation}",
                f"You accepted the offer for {application.block}. Pay the deposit of "
                f"{format_cents(rotation.deposit_cents, rotation.currency)} by "
                f"{moment_label(hold.expires_at)} UTC to confirm your seat.",
            )
            host_news = (
                f"Offer accepted: {rotation}",
                f"{application.applicant} accepted your offer for {application.block}; "
                "the booking is confirmed once the deposit is paid.",
            )
        else:
            seat_convert(application_id=application.pk, kind=SeatHold.Kind.BOOKING)
            recorded = _move(application, S.CONFIRMED, actor=actor, role=ActorRole.APPLICANT)
            _resale_refund(application)
            applicant_news = (
                f"Booking confirmed: {rotation}",
                f"You accepted the offer: your seat on {application.block} is confirmed.",
            )
            host_news = (
                f"Booking confirmed: {rotation}",
                f"{application.applicant} accepted your offer: their seat on {application.block} "
                "is confirmed.",
            )
        _notify_applicant(application, f"{recorded.to_status}:{recorded.pk}", *applicant_news)
        _notify_host(application, f"{recorded.to_status}:{recorded.pk}", *host_news)
    return application


def application_decline(*, application: Application, actor: User, reason: str = "") -> Application:
    """The applicant declines an offer: its seat goes back, to the first of the waitlist if any."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    application = _loaded(application)
    with transaction.atomic():
        block_id = _lock_seat(application)
        _check_open_offer(
            Application.objects.values_list("status", flat=True).get(pk=application.pk), "decline"
        )
        recorded = _move(application, S.DECLINED, actor=actor, role=ActorRole.APPLICANT, reason=reason)
        seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.DECLINED)
        waitlist_promote(block_id=block_id)
        _notify_host(
            application,
            f"declined:{recorded.pk}",
            f"Offer declined: {application.block.rotation}",
            f"{application.applicant} declined your offer for {application.block}."
            + (f"\n\nTheir reason: {reason}" if reason else ""),
        )
    return application


def application_payment_confirm(
    *, application: Application, actor: User | None = None, late: bool = False
) -> Application:
    """The deposit (or the whole fee) is paid: the held seat becomes a booking.

    Called by the payment's confirmation (payments.services) with no actor, or by staff who received
    the money another way. Refused once the hold's deadline has passed: the seat is no longer this
    applicant's. With `late` (a payment Stripe took after the deadline) the seat is taken afresh as a
    booking when the block still has one, from awaiting payment or expired; refused (409) otherwise,
    and the caller gives the money back.
    """
    application = _loaded(application)
    role = ActorRole.SYSTEM if actor is None else ActorRole.STAFF
    with transaction.atomic():
        if late:
            _seat_take_late(application)
        else:
            seat_convert(application_id=application.pk, kind=SeatHold.Kind.BOOKING)
        recorded = _move(application, S.CONFIRMED, actor=actor, role=role)
        _resale_refund(application)
        rotation = application.block.rotation
        _notify_applicant(
            application,
            f"confirmed:{recorded.pk}",
            f"Booking confirmed: {rotation}",
            f"Your payment was received: your seat on {application.block} is confirmed.",
        )
        _notify_host(
            application,
            f"confirmed:{recorded.pk}",
            f"Booking confirmed: {rotation}",
            f"{application.applicant} paid: their seat on {application.block} is confirmed.",
        )
    return application


def _resale_refund(booking: Application) -> None:
    """A booking just confirmed (inside its transaction, its block locked) re-sold a cancelled seat
    when it came from the waitlist before the block's start: the cancellation it makes good is the
    block's earliest one made before this booking was offered its seat, not yet re-sold, with
    program fee still held (a host's or a visa denial's cancellation gave it all back already). That
    applicant gets the rest of the program fee paid back (payments.refunds, RESALE) and is told.

    Once, whatever runs twice: a cancellation is re-sold to one booking and a booking re-sells one
    cancellation (Application.resold_to, a one-to-one set under the cancelled row's lock), and a
    payment takes one resale refund (a unique constraint on refunds)."""
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
    fee_held = Payment.objects.filter(
        application=OuterRef("pk"),
        status=Payment.Status.SUCCEEDED,
        purpose__in=PROGRAM_FEE_PURPOSES,
        refunded_cents__lt=F("amount_cents"),
    )
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
    plan = refunds_write(application=cancelled, reason=Refund.Reason.RESALE)
    _notify_applicant(
        cancelled,
        "resold",
        f"Your cancelled seat was booked again: {cancelled.block.rotation}",
        f"The seat you cancelled on {cancelled.block} was booked by an applicant from the waitlist before "
        f"the start, so it was not lost to {cancelled.block.rotation.organization}. {refund_news(plan)}",
    )


def _seat_take_late(application: Application) -> None:
    """A booking hold for a payment that arrived after its hold's deadline: the live hold is
    converted as usual; a lapsed one is released and a seat taken afresh, if one is left."""
    block_id = _lock_seat(application)
    status = Application.objects.values_list("status", flat=True).get(pk=application.pk)
    if status not in (S.AWAITING_PAYMENT, S.EXPIRED):
        raise DomainError("This application no longer waits for a payment.", status=409)
    hold = seat_hold_locked(application.pk)
    if hold is not None and (hold.expires_at is None or hold.expires_at > timezone.now()):
        seat_convert(application_id=application.pk, kind=SeatHold.Kind.BOOKING)
        return
    seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.EXPIRED)
    if status == S.EXPIRED and (
        Application.objects.filter(applicant_id=application.applicant_id, block_id=block_id)
        .exclude(pk=application.pk)
        .exclude(status__in=Application.ENDED_REAPPLICABLE)
        .exists()
    ):
        raise DomainError("The applicant applied for this block again meanwhile.", status=409)
    seat_take(block_id=block_id, application_id=application.pk, kind=SeatHold.Kind.BOOKING)


# --- Book now -----------------------------------------------------------------------------------------


def _book_now_refusal(block_id: int) -> str:
    """Why the block cannot be booked at once, or "". One query, no lock: when a crowd presses "book
    now" on a full block, most are refused here at once instead of queueing on the block's lock
    (the count under the lock still decides for the rest)."""
    lapsed = SeatHold.objects.filter(block=OuterRef("pk")).lapsed(timezone.now())
    mode, taken, capacity, has_lapsed = (
        Block.objects.filter(pk=block_id)
        .annotate(has_lapsed=Exists(lapsed))
        .values_list("rotation__booking_mode", "seats_taken", "capacity", "has_lapsed")
        .get()
    )
    if mode != Rotation.BookingMode.BOOK_NOW:
        return "This rotation is not booked at once; apply and the host will review your application."
    if taken >= capacity and not has_lapsed:
        return "No seats are left on this block. Apply to join its waitlist."
    return ""


def application_book_now(
    *,
    applicant: Applicant,
    block: Block,
    personal_statement: str,
    documents: Iterable[Document | int],
    application: Application | None = None,
) -> Application:
    """A ready applicant reserves a seat of a book-now rotation at once.

    With a deposit to pay, a checkout hold keeps the seat for 30 minutes while it is paid ([7/11]);
    with none, the booking is confirmed on the spot. Documents may follow: a booking made with
    required documents missing has them due within 7 days (the host may cancel it otherwise); every
    other requirement must be met. A full block is refused at once, before anything is written.
    """
    if application is not None and application.status != S.DRAFT:
        raise DomainError(
            "You already have an application for this block.", extra={"block_id": block.pk}, status=409
        )
    refusal = _book_now_refusal(block.pk)
    if refusal:
        raise DomainError(refusal, extra={"block_id": block.pk}, status=409)
    block = Block.objects.select_related("rotation__organization").get(pk=block.pk)
    if not email_is_verified(applicant.user):
        raise DomainError("Verify your email address before you book.", status=403)
    rotation = block.rotation
    now = timezone.now()
    with transaction.atomic():
        application = application_draft_save(
            applicant=applicant,
            block=block,
            personal_statement=personal_statement,
            documents=documents,
            application=application,
        )
        if not application.personal_statement:
            message = "Write a short personal statement."
            raise DomainError(message, extra={"fields": {"personal_statement": [message]}})
        checklist = readiness_checklist(
            applicant=applicant, block=block, documents=list(application.documents.all())
        )
        unmet = [item for item in checklist if not item.ok]
        blocking = [item for item in unmet if not item.may_follow]
        if blocking:
            missing = [{"key": i.key, "label": i.label, "detail": i.detail} for i in blocking]
            raise DomainError(
                "You do not meet this rotation's requirements yet: "
                + "; ".join(item["label"] for item in missing)
                + ".",
                extra={"missing": missing},
            )
        documents_due_at = now + DOCUMENTS_DUE_WITHIN if unmet else None
        changes = {
            "submitted_at": now,
            **application_fee_on_sending(rotation),
            "documents_due_at": documents_due_at,
        }
        if rotation.deposit_cents:
            expires_at = now + CHECKOUT_HOLD_FOR
            seat_take(
                block_id=block.pk,
                application_id=application.pk,
                kind=SeatHold.Kind.CHECKOUT,
                expires_at=expires_at,
            )
            recorded = _move(
                application, S.AWAITING_PAYMENT, actor=applicant.user, role=ActorRole.APPLICANT, **changes
            )
            applicant_news = (
                f"Seat reserved: {rotation}",
                f"A seat on {block} is held for you until {moment_label(expires_at)} UTC. Pay the deposit of "
                f"{format_cents(rotation.deposit_cents, rotation.currency)} to confirm it.",
            )
        else:
            seat_take(block_id=block.pk, application_id=application.pk, kind=SeatHold.Kind.BOOKING)
            recorded = _move(
                application, S.CONFIRMED, actor=applicant.user, role=ActorRole.APPLICANT, **changes
            )
            applicant_news = (f"Booking confirmed: {rotation}", f"Your seat on {block} is confirmed.")
        if documents_due_at:
            labels = ", ".join(item.label for item in unmet)
            applicant_news = (
                applicant_news[0],
                f"{applicant_news[1]}\n\nStill to come: {labels}. Send them by "
                f"{moment_label(documents_due_at)} UTC, or the host may cancel the booking.",
            )
        _notify_applicant(application, f"{recorded.to_status}:{recorded.pk}", *applicant_news)
        _notify_host(
            application,
            f"booked:{recorded.pk}",
            f"New booking: {rotation}",
            f"{applicant} booked a seat on {block}."
            + (" Some required documents are still to come." if documents_due_at else ""),
        )
    return application


def application_documents_send(*, application: Application, actor: User, documents: Iterable[Document | int]):
    """The applicant adds documents to a booking made before they were all in; once every
    requirement is met the documents are no longer due."""
    application = _loaded(application)
    if application.applicant.user_id != actor.pk:
        raise DomainError("This is not your application.", status=404)
    own = _own_documents(application.applicant, documents)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status not in Application.SEATED:
            raise DomainError(
                "Documents can be sent only to a booking still to come or under way; this application is "
                f"“{locked.get_status_display()}”.",
                status=409,
            )
        locked.documents.add(*own)
        checklist = readiness_checklist(
            applicant=application.applicant, block=application.block, documents=list(locked.documents.all())
        )
        if locked.documents_due_at and is_ready(checklist):
            locked.documents_due_at = None
            locked.save(update_fields=["documents_due_at", "updated_at"])
            _notify_host(
                application,
                "documents-complete",
                f"Documents complete: {application.block.rotation}",
                f"{application.applicant} sent every document required for {application.block}.",
            )
    return locked


# --- Expiry and the waitlist --------------------------------------------------------------------------


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
        recorded = _move(
            application, S.OFFERED, actor=None, role=ActorRole.SYSTEM, reason="A seat opened up."
        )
        _notify_applicant(
            application,
            f"offered:{recorded.pk}",
            f"A seat opened up: {block.rotation}",
            f"A seat on {application.block} opened up and is offered to you, first on the waitlist. "
            f"It is held for you until {moment_label(expires_at)} UTC: accept or decline it on your "
            "application's page.",
        )
        _notify_host(
            application,
            f"offered:{recorded.pk}",
            f"Waitlist moved: {block.rotation}",
            f"A seat on {application.block} opened up and was offered to {application.applicant}, "
            "first on the waitlist.",
        )
        promoted.append(application)
    return promoted


def application_expire(*, application_id: int) -> Application | None:
    """Expire an offer or a checkout whose deadline passed: the seat goes to the waitlist in the same
    transaction, applicant and host are told. Does nothing (None) when the deadline has not passed
    or the application has moved on, so the sweep may call it twice."""
    application = _loaded(application_id)
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
        recorded = _move(
            application, S.EXPIRED, actor=None, role=ActorRole.SYSTEM, reason=f"The {what}'s deadline passed."
        )
        seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.EXPIRED)
        waitlist_promote(block_id=application.block_id)
        _notify_applicant(
            application,
            f"expired:{recorded.pk}",
            f"Your {what} expired: {application.block.rotation}",
            f"The {what} for {application.block} was not completed in time, so its seat was released.",
        )
        _notify_host(
            application,
            f"expired:{recorded.pk}",
            f"{'An' if what == 'offer' else 'A'} {what} expired: {application.block.rotation}",
            f"The {what} to {application.applicant} for {application.block} expired; the seat is free again"
            " (offered to the waitlist first).",
        )
    return application


def application_expire_undecided(*, application_id: int) -> Application | None:
    """Expire a submitted application that nobody at the host decided within 10 days; its application
    fee, if paid, is refunded in the same transaction (sent to Stripe once committed) and both sides
    are told. Does nothing (None) when it was decided meanwhile or is not that old."""
    application = _loaded(application_id)
    now = timezone.now()
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if (
            locked.status not in (S.SUBMITTED, S.UNDER_REVIEW)
            or locked.submitted_at > now - UNDECIDED_EXPIRE_AFTER
        ):
            return None
        recorded = _move(
            application,
            S.EXPIRED,
            actor=None,
            role=ActorRole.SYSTEM,
            reason="The host did not decide within 10 days of submission.",
        )
        plan = refunds_write(application=application, reason=Refund.Reason.UNDECIDED)
        _notify_applicant(
            application,
            f"expired:{recorded.pk}",
            f"No answer from {application.block.rotation.organization}",
            f"{application.block.rotation.organization} did not decide your application for "
            f"{application.block} within 10 days, so it expired. You may apply elsewhere, or again."
            + (f" {refund_news(plan)}" if plan.total_cents else ""),
        )
        _notify_host(
            application,
            f"expired:{recorded.pk}",
            f"An application expired undecided: {application.block.rotation}",
            f"{application.applicant}'s application for {application.block} expired: nobody decided it "
            "within 10 days of submission.",
        )
    return application


@dataclass(frozen=True)
class SweepResult:
    expired: int
    promoted: int
    undecided: int


SWEEP_BATCH = 500


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
    expired = sum(1 for pk in list(due) if application_expire(application_id=pk))
    promoted = 0
    waiting_blocks = (
        Block.objects.filter(seats_taken__lt=F("capacity"), start_date__gt=now.date())
        .filter(Exists(Application.objects.filter(block=OuterRef("pk"), status=S.WAITLISTED)))
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for block_id in list(waiting_blocks):
        with transaction.atomic():
            promoted += len(waitlist_promote(block_id=block_id))
    undecided = (
        Application.objects.filter(
            status__in=[S.SUBMITTED, S.UNDER_REVIEW], submitted_at__lte=now - UNDECIDED_EXPIRE_AFTER
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    undecided_count = sum(1 for pk in list(undecided) if application_expire_undecided(application_id=pk))
    return SweepResult(expired=expired, promoted=promoted, undecided=undecided_count)


# --- Ending a booking ---------------------------------------------------------------------------------


# What a cancellation gives back, by who cancels (payments.refunds.RULES): the policy's tier when the
# applicant cancels, or the system does for a balance left unpaid; everything when the host does.
# Staff cancel for a reason that decides it (a visa denial).
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
) -> Application:
    """The applicant, the host, the system or staff cancel a confirmed booking; the seat goes to the
    waitlist and the refund is written in the same transaction, and the other side is told.

    The refund is what payments.refunds plans for who cancels (CANCELLATION_REFUNDS; staff give
    `refund_reason`) from the payments that succeeded, written under their row locks and sent to
    Stripe once committed: the amount the cancel page showed before. A host, the system or staff
    give the applicant a reason, e.g. a balance left unpaid past its deadline."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    if role is not ActorRole.APPLICANT and not reason:
        raise DomainError("Give the applicant a reason for cancelling.", field="reason")
    refund_reason = CANCELLATION_REFUNDS.get(role, refund_reason)
    if refund_reason is None:
        raise DomainError("Say which refund this cancellation gives.", field="refund_reason")
    application = _loaded(application)
    rotation = application.block.rotation
    with transaction.atomic():
        block_id = _lock_seat(application)
        recorded = _move(application, S.CANCELLED, actor=actor, role=role, reason=reason)
        seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.CANCELLED)
        application.block_changes.filter(status=BlockChange.Status.REQUESTED).update(
            status=BlockChange.Status.WITHDRAWN, decided_at=timezone.now()
        )
        waitlist_promote(block_id=block_id)
        refunded = refund_news(refunds_write(application=application, reason=refund_reason, actor=actor))
        because = f"\n\nReason: {reason}" if reason else ""
        seat_freed = "the seat is free again (offered to the waitlist first)"
        if role is ActorRole.APPLICANT:
            _notify_host(
                application,
                f"cancelled:{recorded.pk}",
                f"Booking cancelled: {rotation}",
                f"{application.applicant} cancelled their booking for {application.block}; {seat_freed}."
                f"{because}",
            )
            _notify_applicant(
                application,
                f"cancelled:{recorded.pk}",
                f"Booking cancelled: {rotation}",
                f"Your booking for {application.block} is cancelled. {refunded}",
            )
        elif role is ActorRole.HOST:
            _notify_applicant(
                application,
                f"cancelled:{recorded.pk}",
                f"Booking cancelled by the host: {rotation}",
                f"{rotation.organization} cancelled your booking for {application.block}. "
                f"{refunded}{because}",
            )
        else:
            _notify_host(
                application,
                f"cancelled:{recorded.pk}",
                f"Booking cancelled: {rotation}",
                f"The booking of {application.applicant} for {application.block} was cancelled; {seat_freed}."
                f"{because}",
            )
            _notify_applicant(
                application,
                f"cancelled:{recorded.pk}",
                f"Booking cancelled: {rotation}",
                f"Your booking for {application.block} is cancelled. {refunded}{because}",
            )
    return application


def _started(block: Block) -> bool:
    return block.start_date <= timezone.now().date()


def application_record_no_show(*, application: Application, actor: User, reason: str = "") -> Application:
    """The host records that a booked applicant did not come (from the block's first day on)."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the note")
    application = _loaded(application)
    if application.status not in (S.CONFIRMED, S.IN_PROGRESS):
        raise DomainError(
            f"Only a booking can be recorded as a no-show; this application is "
            f"“{application.get_status_display()}”.",
            status=409,
        )
    if not _started(application.block):
        raise DomainError(
            "A no-show can be recorded from the block's first day "
            f"({day_label(application.block.start_date)}).",
            status=409,
        )
    with transaction.atomic():
        _lock_seat(application)
        recorded = _move(application, S.NO_SHOW, actor=actor, role=ActorRole.HOST, reason=reason)
        seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.ENDED)
        _notify_applicant(
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
    application = _loaded(application)
    with transaction.atomic():
        _lock_seat(application)
        recorded = _move(application, S.ENDED_EARLY, actor=actor, role=ActorRole.HOST, reason=reason)
        seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.ENDED)
        _notify_applicant(
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
    to record as a no-show or an early end. Idempotent: each move re-reads the row under lock."""
    today = timezone.localdate()
    started = completed = 0
    starting = Application.objects.filter(status=S.CONFIRMED, block__start_date__lte=today).order_by("pk")
    for application in starting.select_related("block")[:SWEEP_BATCH]:
        try:
            _move(application, S.IN_PROGRESS, actor=None, role=ActorRole.SYSTEM, reason="The rotation began.")
        except DomainError:
            continue  # moved on meanwhile (cancelled, a no-show)
        started += 1
    running = Application.objects.filter(status=S.IN_PROGRESS, block__start_date__lte=today).select_related(
        "block"
    )
    for application in running.order_by("pk")[:SWEEP_BATCH]:
        if application.block.end_date >= today:
            continue
        try:
            _move(application, S.COMPLETED, actor=None, role=ActorRole.SYSTEM, reason="The rotation ended.")
        except DomainError:
            continue
        completed += 1
    return started, completed


# --- Switching or postponing a booking ----------------------------------------------------------------


def _block_change_target(application: Application, actor: User, to_block: Block) -> Block:
    """The block a confirmed booking of `actor`'s may ask to move to, loaded; refused otherwise."""
    if application.applicant.user_id != actor.pk:
        raise DomainError("This is not your application.", status=404)
    if application.status != S.CONFIRMED:
        raise DomainError("Only a confirmed booking can move to another block.", status=409)
    to_block = Block.objects.select_related("rotation__organization").filter(pk=to_block.pk).first()
    if to_block is None or to_block.rotation.organization_id != application.block.rotation.organization_id:
        raise DomainError("Choose a block of the same organization.", field="to_block")
    if to_block.pk == application.block_id:
        raise DomainError("The booking is already on that block.", field="to_block")
    if to_block.rotation.status != Rotation.Status.PUBLISHED or _started(to_block):
        raise DomainError("That block is no longer open.", field="to_block")
    if to_block.rotation.currency != application.currency:
        # The payments made stay with the booking: a price in another currency cannot be netted.
        raise DomainError("That block is priced in another currency; choose another.", field="to_block")
    if to_block.is_full:
        # Approving would be refused anyway (seat_move counts again under both blocks' locks).
        raise DomainError("That block has no seat left; choose another.", field="to_block", status=409)
    return to_block


def block_change_quote(*, application: Application, actor: User, to_block: Block) -> PriceDifference:
    """What asking to move the booking to `to_block` would do to its money if the host approved,
    refused as the request itself would be; nothing is written."""
    application = _loaded(application)
    return price_difference(
        application=application, to_block=_block_change_target(application, actor, to_block)
    )


def block_change_request(
    *, application: Application, actor: User, to_block: Block, reason: str = ""
) -> BlockChange:
    """The applicant asks to move a confirmed booking to another block of the same organization
    (switch or postpone); the host decides, seeing the price difference. One open request per
    booking."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    application = _loaded(application)
    to_block = _block_change_target(application, actor, to_block)
    try:
        with transaction.atomic():
            change = BlockChange.objects.create(
                application=application, from_block=application.block, to_block=to_block, reason=reason
            )
    except IntegrityError as error:
        raise DomainError(
            "This booking already has a date change waiting for the host.", status=409
        ) from error
    difference = price_difference(application=application, to_block=to_block)
    _notify_host(
        application,
        f"block-change:{change.pk}",
        f"Date change requested: {application.block.rotation}",
        f"{application.applicant} asks to move their booking from {application.block} to {to_block}."
        + (f"\n\nTheir reason: {reason}" if reason else "")
        + f"\n\nIf you approve: {difference.summary}",
    )
    return change


def block_change_decide(
    *, block_change: BlockChange, actor: User, approve: bool, answer: str = ""
) -> BlockChange:
    """The host approves (the booking's hold moves, both blocks locked in id order) or declines
    (with a reason) an applicant's date change. A seat freed by the move goes to the waitlist.
    Approving settles the price difference in the same transaction (payments.services
    .block_change_money_settle: the excess paid refunded, or what is owed charged or added to the
    balance), and the applicant is told the amounts."""
    # payments.services builds on this module (a paid booking is confirmed here), so the money of a
    # date change is imported when it is needed.
    from payments.services import block_change_money_settle

    answer = bounded_text(answer, field="answer", max_chars=MAX_REASON_CHARS, what="the reason")
    if not approve and not answer:
        raise DomainError("Give the applicant a reason for declining.", field="answer")
    application = _loaded(block_change.application_id)
    if not actor_holds_role(application, actor, ActorRole.HOST) and not actor_holds_role(
        application, actor, ActorRole.STAFF
    ):
        raise DomainError("You may not decide this date change.", status=403)
    with transaction.atomic():
        # Both blocks before the request's row, the order the booking's cancellation keeps too.
        lock_blocks([block_change.from_block_id, block_change.to_block_id])
        change = (
            BlockChange.objects.select_for_update(of=("self",))
            .select_related("to_block__rotation")
            .get(pk=block_change.pk)
        )
        if change.status != BlockChange.Status.REQUESTED:
            raise DomainError(
                f"This date change was already {change.get_status_display().lower()}.", status=409
            )
        if approve:
            if (
                Application.objects.filter(applicant_id=application.applicant_id, block_id=change.to_block_id)
                .exclude(status__in=Application.ENDED_REAPPLICABLE)
                .exists()
            ):
                raise DomainError("The applicant already has an application for that block.", status=409)
            if change.to_block.rotation.currency != application.currency:
                raise DomainError("That block is priced in another currency.", status=409)
            seat_move(application_id=application.pk, to_block_id=change.to_block_id)
            locked = Application.objects.select_for_update().get(pk=application.pk)
            if locked.status != S.CONFIRMED:
                raise DomainError("Only a confirmed booking can move to another block.", status=409)
            locked.block_id = change.to_block_id
            locked.save(update_fields=["block", "updated_at"])
            money = block_change_money_settle(application=application, to_block=change.to_block, actor=actor)
            waitlist_promote(block_id=change.from_block_id)
        change.status = BlockChange.Status.APPROVED if approve else BlockChange.Status.DECLINED
        change.answer = answer
        change.decided_at = timezone.now()
        change.decided_by = actor
        change.save(update_fields=["status", "answer", "decided_at", "decided_by"])
        _notify_applicant(
            application,
            f"block-change:{change.pk}:{change.status}",
            f"Date change {change.get_status_display().lower()}: {application.block.rotation}",
            f"Your booking moved to {change.to_block}. {money.summary}"
            if approve
            else f"{application.block.rotation.organization} declined moving your booking to "
            f"{change.to_block}.\n\nTheir reason: {answer}",
        )
    return change


# --- Many at once --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    application_id: int
    ok: bool
    message: str = ""


BULK_ACTIONS = {
    "start_review": application_start_review,
    "offer": application_offer,
    "reject": application_reject,
    "waitlist": application_waitlist,
}


def applications_bulk(*, applications, actor: User, action: str, **arguments) -> list[BulkResult]:
    """Apply one review action to many applications, each in its own transaction.

    One refusal (no seat left, a status that does not allow it) does not undo the others; every
    application gets a result.
    """
    service = BULK_ACTIONS.get(action)
    if service is None:
        raise DomainError(f"Unknown action {action!r}.", extra={"actions": sorted(BULK_ACTIONS)})
    if action == "reject":
        arguments["reason"] = bounded_text(
            arguments.get("reason"), field="reason", max_chars=MAX_REASON_CHARS, what="the reason"
        )
        if not arguments["reason"]:
            raise DomainError("Give the applicants a reason for the rejection.", field="reason")
    results = []
    for application in applications:
        try:
            service(application=application, actor=actor, **arguments)
        except DomainError as error:
            results.append(BulkResult(application.pk, False, error.message))
        else:
            results.append(BulkResult(application.pk, True))
    return results
