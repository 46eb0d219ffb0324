"""The application state machine: the only place an application's status changes.

Each edge names the roles that may take it. `transition` checks the edge and the actor's role for
this very application, locks the application row, writes the new status and records the change.
Services call it inside their own transaction, after they have done their own checks (readiness,
seats, payments) and before their side effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from amo.errors import DomainError
from applicants.models import Application, ApplicationTransition
from hosts.models import Membership

S = Application.Status


class ActorRole(StrEnum):
    """The capacity in which someone moves an application (not a host member's role)."""

    APPLICANT = "applicant"
    HOST = "host"  # an owner or coordinator of the rotation's organization
    STAFF = "staff"
    SYSTEM = "system"  # a task or webhook, no person


@dataclass(frozen=True)
class Edge:
    source: S
    target: S
    roles: frozenset[ActorRole]


def _edges(sources: list[S], target: S, *roles: ActorRole) -> list[Edge]:
    return [Edge(source, target, frozenset([*roles, ActorRole.STAFF])) for source in sources]


EDGES: list[Edge] = [
    *_edges([S.DRAFT], S.SUBMITTED, ActorRole.APPLICANT),
    # Applying for a full block joins its waitlist (application_submit decides, under the block's lock).
    *_edges([S.DRAFT], S.WAITLISTED, ActorRole.APPLICANT),
    # Book now: a ready applicant takes a seat at once; with a deposit to pay it waits for the payment.
    *_edges([S.DRAFT], S.AWAITING_PAYMENT, ActorRole.APPLICANT),
    *_edges([S.DRAFT], S.CONFIRMED, ActorRole.APPLICANT),
    *_edges([S.SUBMITTED], S.UNDER_REVIEW, ActorRole.HOST),
    # The system offers a seat to the first of a waitlist when a seat frees up.
    *_edges([S.SUBMITTED, S.UNDER_REVIEW, S.WAITLISTED], S.OFFERED, ActorRole.HOST, ActorRole.SYSTEM),
    *_edges([S.SUBMITTED, S.UNDER_REVIEW], S.WAITLISTED, ActorRole.HOST, ActorRole.SYSTEM),
    *_edges([S.SUBMITTED, S.UNDER_REVIEW, S.WAITLISTED], S.REJECTED, ActorRole.HOST),
    # Accepting an offer confirms it at once when there is no deposit, otherwise waits for the payment.
    *_edges([S.OFFERED], S.CONFIRMED, ActorRole.APPLICANT, ActorRole.SYSTEM),
    *_edges([S.OFFERED], S.AWAITING_PAYMENT, ActorRole.APPLICANT),
    *_edges([S.AWAITING_PAYMENT], S.CONFIRMED, ActorRole.SYSTEM),
    # A payment Stripe took after the hold's deadline still confirms when the block has a seat left
    # (payments.services.payment_sync); otherwise the money goes back.
    *_edges([S.EXPIRED], S.CONFIRMED, ActorRole.SYSTEM),
    *_edges([S.OFFERED], S.DECLINED, ActorRole.APPLICANT),
    # A deadline passed (offer, checkout), or the host did not decide within ten days of submission.
    *_edges([S.OFFERED, S.AWAITING_PAYMENT, S.SUBMITTED, S.UNDER_REVIEW], S.EXPIRED, ActorRole.SYSTEM),
    *_edges([S.CONFIRMED], S.IN_PROGRESS, ActorRole.SYSTEM, ActorRole.HOST),
    *_edges([S.IN_PROGRESS], S.COMPLETED, ActorRole.SYSTEM, ActorRole.HOST),
    *_edges(
        [S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.WAITLISTED, S.OFFERED, S.AWAITING_PAYMENT],
        S.WITHDRAWN,
        ActorRole.APPLICANT,
    ),
    # The system cancels a booking whose balance was still unpaid 7 days after the saved card failed
    # (payments.services.balances_overdue_cancel), under the cancellation policy.
    *_edges([S.CONFIRMED], S.CANCELLED, ActorRole.APPLICANT, ActorRole.HOST, ActorRole.SYSTEM),
    *_edges([S.CONFIRMED, S.IN_PROGRESS], S.NO_SHOW, ActorRole.HOST),
    *_edges([S.IN_PROGRESS], S.ENDED_EARLY, ActorRole.HOST),
]
_ALLOWED: dict[tuple[S, S], frozenset[ActorRole]] = {(edge.source, edge.target): edge.roles for edge in EDGES}

# Sent and waiting for the host's decision (an offer, the waitlist or a refusal); one nobody decides
# expires this long after its submission (applicants.services.sweeps).
UNDECIDED = frozenset({S.SUBMITTED, S.UNDER_REVIEW})
UNDECIDED_EXPIRE_AFTER = timedelta(days=10)

# Statuses that will never change again (but for an expired one's late payment, above).
FINAL = frozenset(
    {S.COMPLETED, S.REJECTED, S.WITHDRAWN, S.DECLINED, S.EXPIRED, S.CANCELLED, S.NO_SHOW, S.ENDED_EARLY}
)


# How a refusal describes where an application stands, in the words a person uses (never a status
# name), and what a refused move would have done to it. Every status has both: the test walks the
# whole table.
STANDING: dict[S, str] = {
    S.DRAFT: "This application is still a draft",
    S.SUBMITTED: "This application is waiting for the host's review",
    S.UNDER_REVIEW: "This application is being reviewed by the host",
    S.WAITLISTED: "This application is on the waitlist",
    S.OFFERED: "This application has an offer waiting for an answer",
    S.AWAITING_PAYMENT: "This application is waiting for its deposit",
    S.CONFIRMED: "This booking is confirmed",
    S.IN_PROGRESS: "This rotation is under way",
    S.COMPLETED: "This rotation is completed",
    S.REJECTED: "This application was turned down by the host",
    S.WITHDRAWN: "This application was withdrawn",
    S.DECLINED: "This application's offer was declined",
    S.EXPIRED: "This application expired",
    S.CANCELLED: "This booking was cancelled",
    S.NO_SHOW: "This booking was marked as not attended",
    S.ENDED_EARLY: "This rotation ended early",
}
ALREADY: dict[S, str] = {
    S.DRAFT: "This application is still a draft.",
    S.SUBMITTED: "This application is already sent.",
    S.UNDER_REVIEW: "This application is already being reviewed.",
    S.WAITLISTED: "This application is already on the waitlist.",
    S.OFFERED: "This application already has an offer.",
    S.AWAITING_PAYMENT: "This application already holds a seat until its deposit is paid.",
    S.CONFIRMED: "This booking is already confirmed.",
    S.IN_PROGRESS: "This rotation has already started.",
    S.COMPLETED: "This rotation is already completed.",
    S.REJECTED: "This application was already turned down.",
    S.WITHDRAWN: "This application is already withdrawn.",
    S.DECLINED: "This offer is already declined.",
    S.EXPIRED: "This application has already expired.",
    S.CANCELLED: "This application is already cancelled.",
    S.NO_SHOW: "This booking is already marked as not attended.",
    S.ENDED_EARLY: "This rotation has already ended early.",
}
# "You may not <action>." / "<standing>, so you can no longer <action>." / "... cannot <action> yet."
ACTION: dict[S, str] = {
    S.DRAFT: "turn this application back into a draft",
    S.SUBMITTED: "send this application",
    S.UNDER_REVIEW: "review this application",
    S.WAITLISTED: "put this application on the waitlist",
    S.OFFERED: "offer this applicant a seat",
    S.AWAITING_PAYMENT: "reserve a seat for this application",
    S.CONFIRMED: "confirm this booking",
    S.IN_PROGRESS: "start this rotation",
    S.COMPLETED: "complete this rotation",
    S.REJECTED: "turn this application down",
    S.WITHDRAWN: "withdraw this application",
    S.DECLINED: "decline this offer",
    S.EXPIRED: "let this application expire",
    S.CANCELLED: "cancel this booking",
    S.NO_SHOW: "mark this booking as not attended",
    S.ENDED_EARLY: "end this rotation early",
}
# Where each status lies on the way from draft to a completed rotation: a step further along is
# refused as "not yet", one behind (or any step from an ended application) as "no longer".
_PROGRESS: dict[S, int] = {
    S.DRAFT: 0,
    S.SUBMITTED: 1,
    S.UNDER_REVIEW: 2,
    S.WAITLISTED: 2,
    S.REJECTED: 3,
    S.OFFERED: 3,
    S.DECLINED: 4,
    S.AWAITING_PAYMENT: 4,
    S.WITHDRAWN: 4,
    S.EXPIRED: 4,
    S.CONFIRMED: 5,
    S.CANCELLED: 6,
    S.IN_PROGRESS: 6,
    S.NO_SHOW: 6,
    S.ENDED_EARLY: 7,
    S.COMPLETED: 7,
}


def refusal(source: S, to: S) -> str:
    """Why an application in `source` cannot go to `to`, as a person reads it."""
    if source == to:
        return ALREADY[to]
    if to == S.CANCELLED and _PROGRESS[source] < _PROGRESS[S.CONFIRMED] and source not in FINAL:
        return f"{STANDING[source]} and is not a booking yet: withdraw it instead."
    if to == S.WITHDRAWN and source == S.CONFIRMED:
        return f"{STANDING[source]}: cancel it instead."
    if source not in FINAL and _PROGRESS[to] > _PROGRESS[source]:
        return f"{STANDING[source]}, so you cannot {ACTION[to]} yet."
    return f"{STANDING[source]}, so you can no longer {ACTION[to]}."


def targets_from(status: str, role: ActorRole) -> list[S]:
    """The statuses `role` may move an application in `status` to (for buttons and docs)."""
    return [target for (source, target), roles in _ALLOWED.items() if source == status and role in roles]


def actor_holds_role(application: Application, actor, role: ActorRole) -> bool:
    """Whether `actor` really is `role` for this application."""
    if role is ActorRole.SYSTEM:
        return actor is None
    if actor is None or not actor.is_active:
        return False
    if role is ActorRole.STAFF:
        return actor.is_staff
    if role is ActorRole.APPLICANT:
        return application.applicant.user_id == actor.pk
    return Membership.objects.filter(
        user=actor,
        organization_id=application.block.rotation.organization_id,
        role__in=[Membership.Role.OWNER, Membership.Role.COORDINATOR],
    ).exists()


def transition(
    application: Application, to: S, *, actor, role: ActorRole, reason: str = "", **changes
) -> Application:
    """Move `application` to `to` as `actor` acting as `role`, recording who, when, from, to and why.

    `changes` are further fields written with the status (e.g. documents_due_at). Entering the
    waitlist stamps `waitlisted_at` (the place in line). Seats and fees are the calling service's.
    Raises DomainError and changes nothing when the edge does not exist, the role may not take it,
    or the actor does not hold the role for this application.
    """
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("applicant", "block__rotation")
            .get(pk=application.pk)
        )
        source = S(locked.status)
        allowed_roles = _ALLOWED.get((source, to))
        if allowed_roles is None:
            raise DomainError(refusal(source, to), extra={"from": source.value, "to": to.value}, status=409)
        if role not in allowed_roles or not actor_holds_role(locked, actor, role):
            raise DomainError(
                f"You may not {ACTION[to]}.", extra={"from": source.value, "to": to.value}, status=403
            )
        locked.status = to
        if to == S.WAITLISTED:
            changes.setdefault("waitlisted_at", timezone.now())
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.save(update_fields=["status", "updated_at", *changes])
        ApplicationTransition.objects.create(
            application=locked,
            from_status=source,
            to_status=to,
            actor=actor,
            actor_role=role.value,
            reason=reason,
        )
    # Hand the caller the fresh state.
    application.refresh_from_db()
    return application
