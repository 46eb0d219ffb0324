"""Writes of applications: the applicant's draft, submission, withdrawal and thread, and every
move the host makes on them (review, offer, rejection, waitlist, bulk). Each transition goes
through applicants.workflow and is told to the other side."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.services import notification_send
from amo.text import day_label, moment_label
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import Applicant, Application, ApplicationMessage, ApplicationTransition, Document
from applicants.readiness import block_closed_reason, is_ready, readiness_checklist
from applicants.selectors import thread_is_open
from applicants.workflow import ActorRole, actor_holds_role, transition
from hosts.models import Membership
from rotations.locking import lock_block
from rotations.models import Block
from rotations.services import seat_release, seat_take

S = Application.Status
OFFER_VALID_FOR = timedelta(days=7)

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
        fee = Application.FeeStatus
        fee_status = fee.WAIVED if not rotation.application_fee_cents else fee.NOT_DUE if full else fee.DUE
        application = transition(
            application,
            S.WAITLISTED if full else S.SUBMITTED,
            actor=actor,
            role=ActorRole.APPLICANT,
            submitted_at=timezone.now(),
            application_fee_cents=rotation.application_fee_cents,
            currency=rotation.currency,
            application_fee_status=fee_status,
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
    """The applicant withdraws; an offered application gives its held seat back in the same transaction.

    The block is locked before the application, the order every seat-changing service keeps.
    """
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    with transaction.atomic():
        lock_block(application.block_id)
        was_offered = Application.objects.get(pk=application.pk).status == S.OFFERED
        application = transition(
            application, S.WITHDRAWN, actor=actor, role=ActorRole.APPLICANT, reason=reason
        )
        if was_offered:
            seat_release(block_id=application.block_id)
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


def _move_and_tell(
    application: Application, to: S, *, actor: User, subject: str, body: str, reason: str = "", **changes
) -> Application:
    """Move the application as its host and tell the applicant, once per recorded transition."""
    transition(application, to, actor=actor, role=ActorRole.HOST, reason=reason, **changes)
    recorded = ApplicationTransition.objects.filter(application=application).latest("created_at", "id")
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


def offer_deadline_default(*, application: Application, now: datetime) -> datetime:
    """Seven days to answer, never past the block's first day."""
    start = datetime.combine(application.block.start_date, time.min, UTC)
    return min(now + OFFER_VALID_FOR, start)


def application_offer(
    *, application: Application, actor: User, expires_at: datetime | None = None
) -> Application:
    """Offer a seat: the seat is held (taken on the block) until `expires_at`, in one transaction.

    Refused when no seat is left, or the deadline is past or after the block starts.
    """
    now = timezone.now()
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
        seat_take(block_id=block.pk)
        return _move_and_tell(
            application,
            S.OFFERED,
            actor=actor,
            offer_expires_at=expires_at,
            subject=f"Offer: {block.rotation}",
            body=f"{block.rotation.organization} offers you a seat on {block}. "
            f"The seat is held for you until {moment_label(expires_at)} UTC.",
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
