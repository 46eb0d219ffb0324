"""Reminders for host members (amo.reminders): applications waiting for a decision, and date changes
waiting for an answer, each as one digest per deciding member and day.

They live on the host side, though the application workflow that changes what they read is the
applicants app's: they are addressed to an organization's members about the organization's queue,
to the members who decide it (owners and coordinators, hosts.tenancy.MANAGERS), and they link to host
pages. The applicants app calls the planners after each move of an application and each change of
a date change, as it calls notify_host; hosts.services calls them when a member joins or leaves.

A digest is about the organization, not a membership or an application: it covers all the
organization's waiting applications (or date changes), so it is planned for the organization as a
whole, and a member who leaves deletes their membership while the organization and its rows stay.
Its key names the organization, the member and the calendar day (UTC), so several applications
crossing their fifth day on the same day make one row. What it lists is read when it is sent: every
application waiting then, or nothing at all (the row is cancelled) when none is waiting any more or
the recipient no longer decides for the organization.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from amo.models import Reminder
from amo.reminders import Message, Planned, reminders_about, reminders_replan
from amo.text import day_label, pluralize
from amo.transactions import transaction_required
from applicants.models import Application, BlockChange
from applicants.workflow import UNDECIDED, UNDECIDED_EXPIRE_AFTER
from hosts.models import Membership, Organization
from hosts.tenancy import MANAGERS

K = Reminder.Kind
S = Application.Status

# "Waiting more than 5 days": submitted more than exactly 5 × 24 hours before the digest is sent.
APPLICATION_WAITING_AFTER = timedelta(days=5)
# A date change waiting this long (or longer) is in the next digest.
BLOCK_CHANGE_WAITING_AFTER = timedelta(days=3)
# The digests go out once a day at this time: mid-morning on the East Coast, early on the West.
DIGEST_AT = time(14, 0, tzinfo=UTC)
# The most applications or date changes one digest names; the page it links to has them all.
DIGEST_LISTS_AT_MOST = 50


def digest_time(after: datetime) -> datetime:
    """The first daily digest time strictly after `after`."""
    at = datetime.combine(after.astimezone(UTC).date(), DIGEST_AT)
    return at if at > after else at + timedelta(days=1)


def _application_digest_days(submitted_at: datetime) -> list[datetime]:
    """The digests that name an application submitted at `submitted_at` if it stays undecided: each
    day from the first digest after it has waited more than 5 days until it expires undecided."""
    expires_at = submitted_at + UNDECIDED_EXPIRE_AFTER
    at, days = digest_time(submitted_at + APPLICATION_WAITING_AFTER), []
    while at < expires_at:
        days.append(at)
        at += timedelta(days=1)
    return days


def _digest_key(kind: str, organization_id: int, user_id: int, day: date) -> str:
    return f"{kind}:organization:{organization_id}:member:{user_id}:{day.isoformat()}"


def _deciders(organization: Organization) -> list[int]:
    return list(
        Membership.objects.for_org(organization)
        .filter(role__in=MANAGERS, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _digests_plan(organization: Organization, kind: str, times: Iterable[datetime], reason: str) -> None:
    """Make `organization`'s digests of `kind` to come be one per deciding member and time in `times`."""
    times = sorted(set(times))
    reminders_replan(
        replaces=reminders_about(organization, kind),
        wanted=[
            Planned(
                key=_digest_key(kind, organization.pk, user_id, at.date()),
                kind=kind,
                recipient_id=user_id,
                about=organization,
                due_at=at,
            )
            for user_id in (_deciders(organization) if times else [])
            for at in times
        ],
        reason=reason,
    )


def _locked_organization(organization_id: int) -> Organization:
    """The organization's row, locked until the caller commits: two plans of its digests (two
    applications of one host sent at once) run one after the other, so neither cancels a digest the
    other planned from what it could not see yet. NO KEY: rows that refer to it are still written."""
    transaction_required("_locked_organization")
    return Organization.objects.select_for_update(no_key=True).get(pk=organization_id)


def applications_waiting_plan(*, organization_id: int, reason: str = "") -> None:
    """Plan the organization's digests of applications waiting for a decision: for each deciding
    member, one a day from the first day an undecided application has waited more than 5 days until
    the day it expires undecided; those no application needs any more are cancelled."""
    with transaction.atomic():
        organization = _locked_organization(organization_id)
        submitted = (
            Application.objects.for_org(organization)
            .filter(status__in=UNDECIDED, submitted_at__isnull=False)
            .values_list("submitted_at", flat=True)
        )
        _digests_plan(
            organization,
            K.APPLICATIONS_WAITING,
            (at for submitted_at in submitted for at in _application_digest_days(submitted_at)),
            reason=reason or "No application is waiting for a decision then.",
        )


def block_changes_waiting_plan(*, organization_id: int, reason: str = "") -> None:
    """Plan the organization's digests of date changes waiting for an answer: for each deciding
    member, one on the first digest after a request has waited 3 days; those no request needs any
    more (it was decided or withdrawn) are cancelled."""
    with transaction.atomic():
        organization = _locked_organization(organization_id)
        requested = (
            BlockChange.objects.for_org(organization)
            .filter(status=BlockChange.Status.REQUESTED)
            .values_list("requested_at", flat=True)
        )
        _digests_plan(
            organization,
            K.BLOCK_CHANGE_WAITING,
            (digest_time(requested_at + BLOCK_CHANGE_WAITING_AFTER) for requested_at in requested),
            reason=reason or "No date change is waiting for an answer then.",
        )


def host_reminders_plan(*, organization_id: int, reason: str = "") -> None:
    """Plan all of an organization's host reminders again when its members change (one joined or
    left); `reason` says why a member's digests to come are cancelled."""
    applications_waiting_plan(organization_id=organization_id, reason=reason)
    block_changes_waiting_plan(organization_id=organization_id, reason=reason)


def host_reminders_after_move(application: Application, *, was: str) -> None:
    """After an application moved from `was` to its status now: plan its organization's digests
    again when it started or stopped waiting for a decision."""
    if was not in UNDECIDED and application.status not in UNDECIDED:
        return
    organization_id = (
        Application.objects.filter(pk=application.pk)
        .values_list("block__rotation__organization_id", flat=True)
        .get()
    )
    applications_waiting_plan(organization_id=organization_id)


def host_reminders_after_block_change(block_change: BlockChange) -> None:
    """After a date change was requested, decided or withdrawn: plan its organization's digests again."""
    organization_id = (
        BlockChange.objects.filter(pk=block_change.pk)
        .values_list("application__block__rotation__organization_id", flat=True)
        .get()
    )
    block_changes_waiting_plan(organization_id=organization_id)


# --- What the digests say when they are sent ---------------------------------------------------------


def _recipient_decides(reminder: Reminder) -> Organization | None:
    """The organization a digest is about, if its recipient still decides for it (an owner or a
    coordinator there: a member who left, or became a preceptor, gets nothing)."""
    organization = reminder.about
    if organization is None:
        return None
    decides = Membership.objects.for_org(organization).filter(
        user_id=reminder.recipient_id, role__in=MANAGERS
    )
    return organization if decides.exists() else None


def _listed(lines: list[str], total: int, where: str) -> str:
    more = total - len(lines)
    return "\n".join(lines) + (f"\n…and {more} more: see them all on {where}." if more > 0 else "")


def applications_waiting_render(reminder: Reminder) -> Message | None:
    """The digest of every application of the organization waiting more than 5 days for a decision
    now, with how long each has waited and the day it expires; None when none is waiting."""
    organization = _recipient_decides(reminder)
    if organization is None:
        return None
    now = timezone.now()
    waiting = (
        Application.objects.for_org(organization)
        .filter(status__in=UNDECIDED, submitted_at__lt=now - APPLICATION_WAITING_AFTER)
        .select_related("applicant__user", "block__rotation")
        .order_by("submitted_at", "pk")
    )
    listed = list(waiting[:DIGEST_LISTS_AT_MOST])
    if not listed:
        return None
    total = len(listed) if len(listed) < DIGEST_LISTS_AT_MOST else waiting.count()
    lines = [
        f"- {application.applicant}, {application.block}: waiting "
        f"{pluralize((now - application.submitted_at).days, 'day')}, expires on "
        f"{day_label(application.submitted_at + UNDECIDED_EXPIRE_AFTER)}"
        for application in listed
    ]
    return Message(
        subject=f"{pluralize(total, 'application')} waiting for a decision at {organization}",
        body=(
            f"{'This application has' if total == 1 else 'These applications have'} waited more than "
            f"5 days for a decision at {organization}. An application nobody decides expires 10 days "
            "after it was sent, and its application fee goes back to the applicant.\n\n"
            + _listed(lines, total, "your applications page")
        ),
        link=reverse("hosts:applications"),
    )


def block_changes_waiting_render(reminder: Reminder) -> Message | None:
    """The digest of every date change of the organization waiting 3 days or more for an answer
    now; None when none is waiting."""
    organization = _recipient_decides(reminder)
    if organization is None:
        return None
    now = timezone.now()
    waiting = (
        BlockChange.objects.for_org(organization)
        .filter(status=BlockChange.Status.REQUESTED, requested_at__lte=now - BLOCK_CHANGE_WAITING_AFTER)
        .select_related("application__applicant__user", "from_block__rotation", "to_block__rotation")
        .order_by("requested_at", "pk")
    )
    listed = list(waiting[:DIGEST_LISTS_AT_MOST])
    if not listed:
        return None
    total = len(listed) if len(listed) < DIGEST_LISTS_AT_MOST else waiting.count()
    lines = [
        f"- {change.application.applicant}: from {change.from_block} to {change.to_block}, asked "
        f"{pluralize((now - change.requested_at).days, 'day')} ago"
        for change in listed
    ]
    return Message(
        subject=f"{pluralize(total, 'date change')} waiting for your answer at {organization}",
        body=(
            f"{'This applicant has' if total == 1 else 'These applicants have'} waited 3 days or more "
            f"for your answer to moving their booking at {organization}.\n\n"
            + _listed(lines, total, "your date changes page")
        ),
        link=f"{reverse('hosts:block_changes')}?status={BlockChange.Status.REQUESTED}",
    )
