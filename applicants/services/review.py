"""The host's review of a sent application: opening it, rejecting, waitlisting, writing to the
applicant, and the same actions on many applications at once."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from amo.errors import DomainError
from amo.models import User
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import Application, ApplicationMessage
from applicants.services.moves import move, notify_applicant
from applicants.services.offers import application_offer
from applicants.services.submission import application_message_post
from applicants.workflow import ActorRole

S = Application.Status


def _move_and_tell(
    application: Application, to: S, *, actor: User, subject: str, body: str, reason: str = "", **changes
) -> Application:
    """Move the application as its host and tell the applicant, once per recorded transition."""
    recorded = move(application, to, actor=actor, role=ActorRole.HOST, reason=reason, **changes)
    notify_applicant(application, f"{to}:{recorded.pk}", subject, body)
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
        notify_applicant(
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
        raise DomainError(
            f"Choose one of these actions: {', '.join(sorted(BULK_ACTIONS))}.",
            extra={"actions": sorted(BULK_ACTIONS)},
        )
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
