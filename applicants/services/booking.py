""" "Book now": a ready applicant reserves a seat of a book-now rotation at once, and sends any
documents that were still to come."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.money import format_cents
from amo.text import moment_label
from applicants.models import (
    Applicant,
    Application,
    Document,
)
from applicants.readiness import is_ready, readiness_checklist
from applicants.services.follow_up import application_follow_up
from applicants.services.moves import (
    application_loaded,
    applied_already,
    move,
    notify_applicant,
    notify_host,
    readiness_refusal,
)
from applicants.services.submission import (
    draft_write,
    email_is_verified,
    own_documents,
    statement_required,
)
from applicants.services.terms import application_terms_fix
from applicants.terms import terms_offered
from applicants.workflow import STANDING, ActorRole
from payments.fees import application_fee_on_sending
from rotations.models import Block, Rotation, SeatHold
from rotations.services import seat_take

S = Application.Status

# pretix's default cart reservation: long enough to pay, short enough not to keep a seat from others.
CHECKOUT_HOLD_FOR = timedelta(minutes=30)
# A book-now booking may be confirmed before every document is in; they are due this long after.
DOCUMENTS_DUE_WITHIN = timedelta(days=7)


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

    With a deposit to pay, a checkout hold keeps the seat for 30 minutes while it is paid;
    with none, the booking is confirmed on the spot. Documents may follow: a booking made with
    required documents missing has them due within 7 days (the host may cancel it otherwise); every
    other requirement must be met. A full block is refused at once, before anything is written.
    """
    if application is not None and application.status != S.DRAFT:
        raise applied_already(block.pk)
    refusal = _book_now_refusal(block.pk)
    if refusal:
        raise DomainError(refusal, extra={"block_id": block.pk}, status=409)
    block = Block.objects.select_related("rotation__organization").get(pk=block.pk)
    if not email_is_verified(applicant.user):
        raise DomainError("Verify your email address before you book.", status=403)
    rotation = block.rotation
    now = timezone.now()
    with transaction.atomic():
        application = draft_write(
            applicant=applicant,
            block=block,
            personal_statement=personal_statement,
            documents=documents,
            application=application,
        )
        statement_required(application)
        checklist = readiness_checklist(
            applicant=applicant, block=block, documents=list(application.documents.all())
        )
        unmet = [item for item in checklist if not item.ok]
        blocking = [item for item in unmet if not item.may_follow]
        if blocking:
            raise readiness_refusal(blocking)
        documents_due_at = now + DOCUMENTS_DUE_WITHIN if unmet else None
        terms = application_terms_fix(application=application, terms=terms_offered(block.rotation))
        changes = {
            "submitted_at": now,
            **application_fee_on_sending(application),
            "documents_due_at": documents_due_at,
        }
        if terms.deposit_cents:
            expires_at = now + CHECKOUT_HOLD_FOR
            seat_take(
                block_id=block.pk,
                application_id=application.pk,
                kind=SeatHold.Kind.CHECKOUT,
                expires_at=expires_at,
            )
            recorded = move(
                application, S.AWAITING_PAYMENT, actor=applicant.user, role=ActorRole.APPLICANT, **changes
            )
            applicant_news = (
                f"Seat reserved: {rotation}",
                f"A seat on {block} is held for you until {moment_label(expires_at)} UTC. Pay the deposit of "
                f"{format_cents(terms.deposit_cents, terms.currency)} to confirm it.",
            )
        else:
            seat_take(block_id=block.pk, application_id=application.pk, kind=SeatHold.Kind.BOOKING)
            recorded = move(
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
        notify_applicant(application, f"{recorded.to_status}:{recorded.pk}", *applicant_news)
        notify_host(
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
    application = application_loaded(application)
    if application.applicant.user_id != actor.pk:
        raise DomainError("This is not your application.", status=404)
    own = own_documents(application.applicant, documents)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status not in Application.SEATED:
            raise DomainError(
                "Documents can be sent only to a booking still to come or under way. "
                f"{STANDING[locked.status]}.",
                status=409,
            )
        locked.documents.add(*own)
        checklist = readiness_checklist(
            applicant=application.applicant, block=application.block, documents=list(locked.documents.all())
        )
        if locked.documents_due_at and is_ready(checklist):
            locked.documents_due_at = None
            locked.save(update_fields=["documents_due_at", "updated_at"])
            notify_host(
                application,
                "documents-complete",
                f"Documents complete: {application.block.rotation}",
                f"{application.applicant} sent every document required for {application.block}.",
            )
        application_follow_up(locked, reason="The documents are in.")
    return locked
