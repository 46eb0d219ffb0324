"""The letter-of-recommendation state machine: the only place a letter request's status changes.

    requested ──accept──▶ accepted ──upload──▶ uploaded ──confirm──▶ submitted (to ERAS)
        │                    │  └────────────confirm───────────────▶ submitted
        ├──decline──▶ declined ◀──decline──┘
        ├──(30 days, no answer)──▶ expired
        └──withdraw (from any open status)──▶ withdrawn

Uploading to AMO is optional (for the format check and safekeeping); a new upload while
"uploaded" is a new LetterVersion, not a new status. Each edge names the roles that may take it;
`transition` checks the edge and the actor's capacity for this very request, locks the row, writes
the status with its time, and records the change. Services call it inside their own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from amo.errors import DomainError
from applicants.models import LetterRequest, LetterTransition
from hosts.models import Membership
from hosts.track_records import track_records_refresh

S = LetterRequest.Status


class ActorRole(StrEnum):
    """The capacity in which someone moves a letter request."""

    APPLICANT = "applicant"
    AUTHOR = "author"  # the preceptor, signed in to their AMO account
    # The author through the link emailed to them: no account; the signed link is the proof, and the
    # service that verified it passes no actor.
    AUTHOR_LINK = "author_link"
    STAFF = "staff"
    SYSTEM = "system"  # a task, no person


AUTHOR_ROLES = frozenset({ActorRole.AUTHOR, ActorRole.AUTHOR_LINK})


@dataclass(frozen=True)
class Edge:
    source: S
    target: S
    roles: frozenset[ActorRole]


def _edges(sources: list[S], target: S, *roles: ActorRole) -> list[Edge]:
    return [Edge(source, target, frozenset(roles)) for source in sources]


EDGES: list[Edge] = [
    *_edges([S.REQUESTED], S.ACCEPTED, *AUTHOR_ROLES, ActorRole.STAFF),
    # An author may decline before writing, or after accepting when they find they cannot write it.
    *_edges([S.REQUESTED, S.ACCEPTED], S.DECLINED, *AUTHOR_ROLES, ActorRole.STAFF),
    # Staff upload no letters: ERAS forbids an advising role from handling one.
    *_edges([S.ACCEPTED], S.UPLOADED, *AUTHOR_ROLES),
    *_edges([S.ACCEPTED, S.UPLOADED], S.SUBMITTED, *AUTHOR_ROLES),
    *_edges([S.REQUESTED], S.EXPIRED, ActorRole.SYSTEM),
    *_edges([S.REQUESTED, S.ACCEPTED, S.UPLOADED], S.WITHDRAWN, ActorRole.APPLICANT, ActorRole.STAFF),
]
_ALLOWED: dict[tuple[S, S], frozenset[ActorRole]] = {(edge.source, edge.target): edge.roles for edge in EDGES}

FINAL = frozenset({S.SUBMITTED, S.DECLINED, S.EXPIRED, S.WITHDRAWN})
# A request nobody answers (accepts or declines) expires this long after it was made; the author's
# emailed links last as long.
UNANSWERED_EXPIRE_AFTER = timedelta(days=30)
AUTHOR_LINK_LIFETIME = timedelta(days=30)

# The field stamped with the time of entering each status.
STAMPED_AT = {
    S.ACCEPTED: "accepted_at",
    S.DECLINED: "declined_at",
    S.SUBMITTED: "submitted_at",
    S.EXPIRED: "expired_at",
    S.WITHDRAWN: "withdrawn_at",
}

# Where a request stands and what a refused move would have done, in a person's words (every status
# has both; the test walks the table).
STANDING: dict[S, str] = {
    S.REQUESTED: "This letter request is waiting for the author's answer",
    S.ACCEPTED: "The author has accepted this letter request",
    S.UPLOADED: "The author has uploaded this letter to AMO",
    S.SUBMITTED: "The author has submitted this letter to ERAS",
    S.DECLINED: "The author declined this letter request",
    S.EXPIRED: "This letter request expired without an answer",
    S.WITHDRAWN: "This letter request was withdrawn by the applicant",
}
ACTION: dict[S, str] = {
    S.REQUESTED: "request this letter again",
    S.ACCEPTED: "accept this letter request",
    S.UPLOADED: "upload a letter for this request",
    S.SUBMITTED: "confirm this letter's submission to ERAS",
    S.DECLINED: "decline this letter request",
    S.EXPIRED: "let this letter request expire",
    S.WITHDRAWN: "withdraw this letter request",
}
ALREADY: dict[S, str] = {
    S.REQUESTED: "This letter request is already waiting for the author.",
    S.ACCEPTED: "This letter request is already accepted.",
    S.UPLOADED: "The letter is already uploaded.",
    S.SUBMITTED: "This letter's submission to ERAS is already confirmed.",
    S.DECLINED: "This letter request is already declined.",
    S.EXPIRED: "This letter request has already expired.",
    S.WITHDRAWN: "This letter request is already withdrawn.",
}
_PROGRESS: dict[S, int] = {
    S.REQUESTED: 0,
    S.ACCEPTED: 1,
    S.UPLOADED: 2,
    S.SUBMITTED: 3,
    S.DECLINED: 3,
    S.EXPIRED: 3,
    S.WITHDRAWN: 3,
}


# What changes the author's letter rate (accepted letters, and those submitted to ERAS) or closes
# one of its cases: their track record is counted again once the change commits.
TRACK_RECORD_CHANGES = frozenset({S.ACCEPTED, S.SUBMITTED, S.DECLINED, S.EXPIRED})


def refusal(source: S, to: S) -> str:
    """Why a request in `source` cannot go to `to`, as a person reads it."""
    if source == to:
        return ALREADY[to]
    if source not in FINAL and _PROGRESS[to] > _PROGRESS[source]:
        return f"{STANDING[source]}, so you cannot {ACTION[to]} yet."
    return f"{STANDING[source]}, so you can no longer {ACTION[to]}."


def targets_from(status: str, role: ActorRole) -> list[S]:
    """The statuses `role` may move a request in `status` to (for buttons and docs)."""
    return [target for (source, target), roles in _ALLOWED.items() if source == status and role in roles]


def actor_holds_role(letter: LetterRequest, actor, role: ActorRole) -> bool:
    """Whether `actor` really is `role` for this request (the link's signature is checked by the
    service that passes AUTHOR_LINK, with no actor)."""
    if role in (ActorRole.SYSTEM, ActorRole.AUTHOR_LINK):
        return actor is None
    if actor is None or not actor.is_active:
        return False
    if role is ActorRole.STAFF:
        return actor.is_staff
    if role is ActorRole.APPLICANT:
        return letter.application.applicant.user_id == actor.pk
    # The author with an account: the preceptor's own user, or a member acting as that preceptor.
    return (
        letter.preceptor.user_id == actor.pk
        or Membership.objects.filter(
            user=actor, preceptor_id=letter.preceptor_id, role=Membership.Role.PRECEPTOR
        ).exists()
    )


def transition(
    letter: LetterRequest, to: S, *, actor, role: ActorRole, reason: str = "", **changes
) -> LetterRequest:
    """Move `letter` to `to` as `actor` acting as `role`, recording who, when, from, to and why.

    Entering a status stamps its time (STAMPED_AT); `changes` are further fields written with it
    (a decline's reason, the ERAS submission date). Raises DomainError and changes nothing when the
    edge does not exist, the role may not take it, or the actor does not hold the role.
    """
    with transaction.atomic():
        locked = (
            LetterRequest.objects.select_for_update(of=("self",))
            .select_related("application__applicant", "preceptor")
            .get(pk=letter.pk)
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
        if to in STAMPED_AT:
            changes.setdefault(STAMPED_AT[to], timezone.now())
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.save(update_fields=["status", *changes])
        LetterTransition.objects.create(
            letter_request=locked,
            from_status=source,
            to_status=to,
            actor=actor,
            actor_role=role.value,
            reason=reason,
        )
        if to in TRACK_RECORD_CHANGES:
            track_records_refresh(preceptor_id=locked.preceptor_id)
    letter.refresh_from_db()
    return letter
