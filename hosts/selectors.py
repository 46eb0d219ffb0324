"""Reads of the host side. Querysets passed in are already scoped (hosts.tenancy); these shape them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.validators import slug_re
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Now

from amo.models import User
from applicants.models import (
    Application,
    ApplicationMessage,
    ApplicationTransition,
    BlockChange,
    Document,
    Review,
)
from hosts.models import Membership
from payments.selectors import with_price_difference

S = Application.Status

# Who holds a seat on a block (an offer's, a checkout's or a booking's hold): the roster.
ROSTER_STATUSES = Application.SEATED
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
            Prefetch(
                "block_changes",
                queryset=with_price_difference(
                    BlockChange.objects.select_related(
                        "from_block__rotation", "to_block__rotation", "decided_by"
                    )
                ),
            ),
            "applicant__specialties_of_interest",
        )
    )


def block_changes(changes: QuerySet, *, status: str | None = None) -> QuerySet:
    """Date changes applicants asked for, open ones first (oldest first), then the decided, newest
    first; with the application, applicant, both blocks and what the price difference needs in the
    same query."""
    if status:
        changes = changes.filter(status=status)
    return (
        with_price_difference(changes)
        .select_related(
            "application__applicant__user",
            "from_block__rotation",
            "to_block__rotation",
            "decided_by",
        )
        .order_by(
            Case(When(status=BlockChange.Status.REQUESTED, then=0), default=1),
            F("decided_at").desc(nulls_first=True),
            "requested_at",
            "id",
        )
    )


@dataclass(frozen=True)
class DashboardCounts:
    new_applications: int
    under_review: int
    offers_pending: int
    awaiting_payment: int
    confirmed: int
    seats_left_this_month: int


def dashboard_counts(*, applications: QuerySet, blocks: QuerySet, today: date) -> DashboardCounts:
    counts = applications.aggregate(
        new=Count("pk", filter=Q(status=S.SUBMITTED)),
        review=Count("pk", filter=Q(status=S.UNDER_REVIEW)),
        offers=Count("pk", filter=Q(status=S.OFFERED)),
        awaiting_payment=Count("pk", filter=Q(status=S.AWAITING_PAYMENT)),
        confirmed=Count("pk", filter=Q(status__in=[S.CONFIRMED, S.IN_PROGRESS])),
    )
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    seats = 0
    for capacity, taken in blocks.filter(start_date__gte=month_start, start_date__lt=next_month).values_list(
        "capacity", "seats_taken"
    ):
        seats += capacity - taken
    return DashboardCounts(
        new_applications=counts["new"],
        under_review=counts["review"],
        offers_pending=counts["offers"],
        awaiting_payment=counts["awaiting_payment"],
        confirmed=counts["confirmed"],
        seats_left_this_month=seats,
    )


def roster(*, blocks: QuerySet, applications: QuerySet, today: date) -> QuerySet:
    """Blocks that have not ended, each with the applications holding its seats (`roster`), their
    hold's kind and deadline annotated."""
    people = seated(applications)
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


def seated(applications: QuerySet) -> QuerySet:
    """The applications holding a seat, with their hold (kind, deadline), whether documents a
    book-now booking still owes are overdue (`documents_overdue`), and the applicant."""
    return (
        applications.filter(status__in=ROSTER_STATUSES)
        .with_hold()
        .annotate(
            documents_overdue=ExpressionWrapper(
                Q(documents_due_at__isnull=False, documents_due_at__lte=Now()), output_field=BooleanField()
            )
        )
        .select_related("applicant__user")
    )


@dataclass
class CalendarMonth:
    month: date
    blocks: list


def calendar(
    *, blocks: QuerySet, applications: QuerySet, today: date, months: int = 6
) -> list[CalendarMonth]:
    """Blocks starting in each of the coming `months` months (this one first), with seats left and
    the applications holding seats (`roster`)."""
    first = today.replace(day=1)
    bounds = [first]
    for _ in range(months):
        bounds.append((bounds[-1] + timedelta(days=32)).replace(day=1))
    rows = [CalendarMonth(month=start, blocks=[]) for start in bounds[:-1]]
    queryset = (
        blocks.filter(start_date__gte=bounds[0], start_date__lt=bounds[-1])
        .select_related("rotation")
        .prefetch_related(
            Prefetch("applications", queryset=seated(applications).order_by("status", "id"), to_attr="roster")
        )
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


def host_reviews(reviews: QuerySet[Review]) -> QuerySet[Review]:
    """The reviews of a host's rotations (already scoped), newest first, with what each row shows:
    the rotation, the booking's block and who answered. The same few queries for any number."""
    return reviews.select_related("application__block__rotation", "answered_by").order_by(
        "-created_at", "-pk"
    )
