"""Reads of the host side. Querysets passed in are already scoped (hosts.tenancy); these shape them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.validators import slug_re
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Prefetch, Q, QuerySet

from amo.models import User
from applicants.models import Application, ApplicationMessage, ApplicationTransition, Document
from hosts.models import Membership

S = Application.Status

# Who holds or is about to hold a seat on a block: the roster.
ROSTER_STATUSES = [S.OFFERED, S.CONFIRMED, S.IN_PROGRESS]
# Applications waiting for the host to decide.
OPEN_STATUSES = [S.SUBMITTED, S.UNDER_REVIEW, S.WAITLISTED]


def membership_for_user(
    *, user: User, organization_id: int | None = None, organization_slug: str | None = None
) -> Membership | None:
    """The user's membership in that organization; with neither given (or a stale id), their first.

    An explicit slug that is not theirs gives None: an API client never silently acts elsewhere.
    """
    memberships = Membership.objects.filter(user=user).select_related("organization", "preceptor")
    if organization_slug is not None:
        if not slug_re.fullmatch(organization_slug):  # typed or sent as is: no slug has a NUL byte
            return None
        return memberships.filter(organization__slug=organization_slug).first()
    if organization_id is not None:
        chosen = memberships.filter(organization_id=organization_id).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("created_at", "id").first()


def memberships_of_user(*, user: User) -> list[Membership]:
    return list(Membership.objects.filter(user=user).select_related("organization").order_by("organization"))


def application_queue(
    applications: QuerySet,
    *,
    rotation_id: int | None = None,
    block_id: int | None = None,
    status: str | None = None,
    submitted_from: date | None = None,
    submitted_to: date | None = None,
) -> QuerySet:
    """The review queue: submitted (never draft) applications, filtered, oldest submission first.

    The waitlist is apart: without a status the queue leaves waitlisted applications out, and with
    status "waitlisted" it is each block's line in order, first waitlisted first, with
    `waitlist_position` (always annotated, no extra query).
    """
    queryset = (
        applications.exclude(status=S.DRAFT)
        .with_waitlist_position()
        .with_hold()
        .select_related("applicant__user", "block__rotation__specialty")
    )
    if rotation_id:
        queryset = queryset.filter(block__rotation_id=rotation_id)
    if block_id:
        queryset = queryset.filter(block_id=block_id)
    queryset = queryset.filter(status=status) if status else queryset.exclude(status=S.WAITLISTED)
    if submitted_from:
        queryset = queryset.filter(submitted_at__gte=datetime.combine(submitted_from, time.min, UTC))
    if submitted_to:
        queryset = queryset.filter(
            submitted_at__lt=datetime.combine(submitted_to + timedelta(days=1), time.min, UTC)
        )
    if status == S.WAITLISTED:
        return queryset.order_by("block__start_date", "block_id", "waitlisted_at", "id")
    return queryset.order_by("submitted_at", "id")


def application_for_review(applications: QuerySet) -> QuerySet:
    """One application with everything its review page shows, in a fixed number of queries."""
    return (
        applications.with_waitlist_position()
        .with_hold()
        .select_related("applicant__user", "block__rotation__specialty", "block__rotation__preceptor")
        .prefetch_related(
            Prefetch("documents", queryset=Document.objects.order_by("kind", "-uploaded_at")),
            Prefetch("transitions", queryset=ApplicationTransition.objects.select_related("actor")),
            Prefetch("messages", queryset=ApplicationMessage.objects.select_related("author")),
            "applicant__specialties_of_interest",
        )
    )


@dataclass(frozen=True)
class DashboardCounts:
    new_applications: int
    under_review: int
    offers_pending: int
    seats_left_this_month: int


def dashboard_counts(*, applications: QuerySet, blocks: QuerySet, today: date) -> DashboardCounts:
    counts = applications.aggregate(
        new=Count("pk", filter=Q(status=S.SUBMITTED)),
        review=Count("pk", filter=Q(status=S.UNDER_REVIEW)),
        offers=Count("pk", filter=Q(status=S.OFFERED)),
    )
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    seats = 0
    for capacity, taken in blocks.filter(start_date__gte=month_start, start_date__lt=next_month).values_list(
        "capacity", "seats_taken"
    ):
        seats += capacity - taken
    return DashboardCounts(counts["new"], counts["review"], counts["offers"], seats)


def roster(*, blocks: QuerySet, applications: QuerySet, today: date) -> QuerySet:
    """Blocks that have not ended, each with the applicants holding or about to hold its seats."""
    people = applications.filter(status__in=ROSTER_STATUSES).select_related("applicant__user")
    ends = ExpressionWrapper(F("start_date") + F("weeks") * timedelta(weeks=1), output_field=DateTimeField())
    return (
        blocks.alias(ends=ends)
        .filter(ends__gt=datetime.combine(today, time.min, UTC))
        .select_related("rotation")
        .prefetch_related(
            Prefetch("applications", queryset=people.order_by("status", "id"), to_attr="roster")
        )
        .order_by("start_date", "id")
    )


@dataclass
class CalendarMonth:
    month: date
    blocks: list


def calendar(*, blocks: QuerySet, today: date, months: int = 6) -> list[CalendarMonth]:
    """Blocks starting in each of the coming `months` months (this one first), with seats left."""
    first = today.replace(day=1)
    bounds = [first]
    for _ in range(months):
        bounds.append((bounds[-1] + timedelta(days=32)).replace(day=1))
    rows = [CalendarMonth(month=start, blocks=[]) for start in bounds[:-1]]
    queryset = (
        blocks.filter(start_date__gte=bounds[0], start_date__lt=bounds[-1])
        .select_related("rotation")
        .order_by("start_date", "id")
    )
    for block in queryset:
        index = (block.start_date.year - first.year) * 12 + block.start_date.month - first.month
        rows[index].blocks.append(block)
    return rows


def rotations_with_counts(rotations: QuerySet) -> QuerySet:
    """Rotations with their block count, seats left and open applications, in one query."""
    return (
        rotations.select_related("specialty", "preceptor")
        .annotate(
            block_count=Count("blocks", distinct=True),
            open_applications=Count(
                "blocks__applications",
                filter=Q(blocks__applications__status__in=OPEN_STATUSES),
                distinct=True,
            ),
        )
        .order_by("status", "title")
    )
