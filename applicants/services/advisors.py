"""Advisors: the staff member who is a booked applicant's named contact before, during and after
the rotation, and the thread between the two (AdvisorMessage), which the host does not read."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.services import notification_send
from amo.validators import bounded_text
from applicants.models import AdvisorMessage, Application
from applicants.services.moves import notify_applicant
from applicants.services.submission import MAX_MESSAGE_CHARS
from applicants.workflow import STANDING

S = Application.Status


def _staff_link(application: Application) -> str:
    """Where the advisor reads the booking and its thread: its page in the staff admin."""
    return reverse("admin:applicants_application_change", args=[application.pk])


def booking_advisor_assign(*, application: Application, advisor: User, actor: User) -> Application:
    """Staff make `advisor` the booking's advisor; the applicant and the advisor are told.

    The advisor is an active member of our staff, and only a booking (confirmed, under way or
    ended) has one. Assigning the advisor a booking already has changes nothing and tells no one
    again; assigning another replaces them, and that is news once more.
    """
    if actor is None or not actor.is_active or not actor.is_staff:
        raise DomainError("Only our staff assign advisors.", status=403)
    if not advisor.is_active or not advisor.is_staff:
        raise DomainError("An advisor must be an active member of our staff.", field="advisor")
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("applicant__user", "block__rotation__organization")
            .get(pk=application.pk)
        )
        if locked.status not in Application.BOOKED:
            raise DomainError(
                f"{STANDING[S(locked.status)]}: an advisor is assigned to a confirmed booking.", status=409
            )
        if locked.advisor_id == advisor.pk:
            return locked
        locked.advisor = advisor
        locked.advisor_assigned_at = timezone.now()
        locked.save(update_fields=["advisor", "advisor_assigned_at", "updated_at"])
        # One notification per assignment: the same advisor assigned again later is news again.
        assignment = f"advisor:{advisor.pk}:{locked.advisor_assigned_at.timestamp():.6f}"
        name = advisor.get_full_name()
        rotation = locked.block.rotation
        notify_applicant(
            locked,
            assignment,
            f"Your advisor for {rotation}: {name}",
            f"{name} of our staff is your advisor for your booking of {locked.block}: your contact "
            f"before, during and after the rotation. Write to them from your booking's page, or at "
            f"{advisor.email}.",
        )
        notification_send(
            recipient=advisor,
            key=f"application:{locked.pk}:{assignment}:advisor",
            subject=f"You advise {locked.applicant} on {rotation}",
            body=f"You are the advisor of {locked.applicant} ({locked.applicant.user.email}) for their "
            f"booking of {locked.block} at {rotation.organization}. Their messages to you reach you "
            "by email and on the booking's page in the staff admin.",
            link=_staff_link(locked),
        )
    return locked


def advisor_message_post(*, application: Application, author: User, body: str) -> AdvisorMessage:
    """A message between a booked applicant and their advisor, from either to the other, who is
    told by email and in the app. Only while the booking stands and has an advisor; the host never
    sees it."""
    body = bounded_text(body, field="body", max_chars=MAX_MESSAGE_CHARS, what="messages")
    if not body:
        raise DomainError("Write a message first.", extra={"fields": {"body": ["Required."]}})
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("applicant__user", "advisor", "block__rotation")
            .get(pk=application.pk)
        )
        applicant_user = locked.applicant.user
        if author.pk == applicant_user.pk:
            role, recipient = AdvisorMessage.AuthorRole.APPLICANT, locked.advisor
        elif locked.advisor_id is not None and author.pk == locked.advisor_id:
            role, recipient = AdvisorMessage.AuthorRole.ADVISOR, applicant_user
        else:
            raise DomainError("Only the applicant and their advisor write on this thread.", status=403)
        if locked.status not in Application.BOOKED:
            raise DomainError(f"{STANDING[S(locked.status)]}, so its advisor's thread is closed.", status=409)
        if recipient is None:
            raise DomainError(
                "This booking has no advisor yet: our staff assign one, and you will be told who.", status=409
            )
        posted = AdvisorMessage.objects.create(
            application=locked, author=author, author_role=role, recipient=recipient, body=body
        )
        rotation = locked.block.rotation
        if role == AdvisorMessage.AuthorRole.APPLICANT:
            notification_send(
                recipient=recipient,
                key=f"application:{locked.pk}:advisor-message:{posted.pk}",
                subject=f"New message from {locked.applicant}, whom you advise on {rotation}",
                body=f"{locked.applicant} wrote about their booking of {locked.block}:\n\n{body}",
                link=_staff_link(locked),
            )
        else:
            notify_applicant(
                locked,
                f"advisor-message:{posted.pk}",
                f"New message from your advisor about {rotation}",
                f"{author.get_full_name()}, your advisor, wrote:\n\n{body}",
            )
    return posted
