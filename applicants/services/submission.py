"""The applicant's side of an application: the draft, sending it (submitted, or waitlisted on a
full block), applying in one go, withdrawing, and the application's thread."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.services import notification_send
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import (
    Applicant,
    Application,
    ApplicationMessage,
    Document,
)
from applicants.readiness import block_closed_reason, is_ready, readiness_checklist
from applicants.selectors import thread_is_open
from applicants.services.follow_up import application_follow_up
from applicants.services.moves import applied_already, lock_seat, move, notify_host, readiness_refusal
from applicants.services.terms import application_terms_fix
from applicants.services.waitlist import waitlist_promote
from applicants.workflow import STANDING, ActorRole, actor_holds_role, transition
from hosts.reminders import host_reminders_after_move
from payments.fees import application_fee_on_sending
from rotations.locking import lock_block
from rotations.models import Block, SeatHold
from rotations.services import seat_release

S = Application.Status


MAX_STATEMENT_CHARS = 3000


def own_documents(applicant: Applicant, documents: Iterable[Document | int]) -> list[Document]:
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
    """Create or change the applicant's draft for `block` and keep it: refused once the block takes
    no applications; reminded 3 days after its last change while it stays a draft."""
    with transaction.atomic():
        application = draft_write(
            applicant=applicant,
            block=block,
            personal_statement=personal_statement,
            documents=documents,
            application=application,
        )
        application_follow_up(application, reason="The draft was changed.")
    return application


def draft_write(
    *,
    applicant: Applicant,
    block: Block,
    personal_statement: str,
    documents: Iterable[Document | int],
    application: Application | None = None,
) -> Application:
    """Create or change the applicant's draft for `block`, for the caller to keep or send at once
    (applying and booking in one go send it in the same transaction, so it is never reminded of).

    One live application per applicant and block: the database's unique constraint decides, so two
    requests racing to create one end with one application and a clear refusal.
    """
    personal_statement = _check_statement(personal_statement)
    own = own_documents(applicant, documents)
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
        raise applied_already(block.pk) from error
    return application


def statement_required(application: Application) -> None:
    """An application is sent with a personal statement, however it is sent."""
    if not application.personal_statement:
        message = "Write a short personal statement."
        raise DomainError(message, extra={"fields": {"personal_statement": [message]}})


def email_is_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def application_submit(*, application: Application, actor: User) -> Application:
    """Send a draft to the host. Only a ready applicant with a verified email submits.

    Readiness is judged on the documents assigned to the application (what the host will see), on
    the day of submission. With a seat left the application is submitted and its fee recorded as
    due (its payment at submission settles it); on a full block it joins the waitlist at once and owes no fee
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
    statement_required(application)
    rotation = application.block.rotation
    with transaction.atomic():
        # Hold the documents being judged until the submission commits: a delete of one of them waits,
        # then finds it sent (NO KEY, so saving a draft that assigns them never deadlocks with this).
        documents = list(application.documents.select_for_update(of=("self",), no_key=True))
        checklist = readiness_checklist(
            applicant=application.applicant, block=application.block, documents=documents
        )
        if not is_ready(checklist):
            raise readiness_refusal([item for item in checklist if not item.ok])
        full = lock_block(application.block_id).is_full
        application_terms_fix(application=application)
        application = transition(
            application,
            S.WAITLISTED if full else S.SUBMITTED,
            actor=actor,
            role=ActorRole.APPLICANT,
            submitted_at=timezone.now(),
            **application_fee_on_sending(application, waitlisted=full),
        )
        application_follow_up(application, reason="The application was sent.")
        host_reminders_after_move(application, was=S.DRAFT)
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
        notify_host(application, "submitted", *host_news)
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
        application = draft_write(
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
        block_id = lock_seat(application)
        move(application, S.WITHDRAWN, actor=actor, role=ActorRole.APPLICANT, reason=reason)
        if seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.WITHDRAWN):
            waitlist_promote(block_id=block_id)
    application.refresh_from_db()
    return application


MAX_MESSAGE_CHARS = 5000


def application_message_post(
    *, application: Application, author: User, role: ActorRole, body: str
) -> ApplicationMessage:
    """Add to an application's thread: its applicant, a host member of its organization, or staff.

    A message from the applicant is news for the host (`notify_host`); hosts tell the applicant
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
            f"{STANDING[application.status]}, so its messages are closed.",
            status=409,
        )
    if role is ActorRole.SYSTEM or not actor_holds_role(application, author, role):
        raise DomainError("You may not write on this application.", status=403)
    with transaction.atomic():
        posted = ApplicationMessage.objects.create(
            application=application, author=author, author_role=role.value, body=body
        )
        if role is ActorRole.APPLICANT:
            notify_host(
                application,
                f"message:{posted.pk}",
                f"New message from {application.applicant} about {application.block.rotation}",
                f"{application.applicant} wrote about their application for {application.block}:\n\n{body}",
            )
    return posted
