"""The operations dashboard on the staff admin's index: what the marketplace looks like now and
what needs a person, each figure linking to the filtered admin list behind it.

Each section reads one or two grouped queries, whatever the number of rows, and is shown only to
staff who may view the list it links to (a support member sees no money, finance no documents).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from amo.models import Reminder, User
from amo.money import format_cents
from applicants.models import Application, Document, LetterRequest
from hosts.models import Organization
from payments.models import LedgerEntry, Payment, Refund, StripeEvent
from rotations.models import Block, Rotation

FILL_RATE_MONTHS = 3
# A reminder the every-minute sweep has not sent an hour after it was due did not go out.
REMINDER_LATE = timedelta(hours=1)
# A payment Stripe still processes a day later (a bank debit stuck, a dispute) needs a look.
PAYMENT_STUCK = timedelta(days=1)


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    url: str


@dataclass(frozen=True)
class FillRate:
    """Seats taken of the capacity of blocks starting within the next FILL_RATE_MONTHS months."""

    label: str
    taken: int
    capacity: int
    url: str

    @property
    def percent(self) -> str:
        return f"{self.taken * 100 // self.capacity} %" if self.capacity else "—"


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    fill_rates: list[FillRate] = field(default_factory=list)


def _changelist(model, **filters) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _may_view(user: User, model) -> bool:
    return user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")


def months_later(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan -> 30 Apr)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _applications() -> Section:
    counts = dict(Application.objects.values_list("status").annotate(n=Count("id")).order_by())
    return Section(
        "Applications by state",
        [
            Figure(label, str(counts.get(status, 0)), _changelist(Application, status__exact=status))
            for status, label in Application.Status.choices
        ],
    )


def _fill_rates(today: date) -> Section:
    until = months_later(today, FILL_RATE_MONTHS)
    blocks = Block.objects.filter(
        rotation__status=Rotation.Status.PUBLISHED, start_date__gte=today, start_date__lt=until
    ).order_by()
    # Each rate links to the very blocks it counts.
    counted = {
        "rotation__status__exact": Rotation.Status.PUBLISHED,
        "start_date__gte": today.isoformat(),
        "start_date__lt": until.isoformat(),
    }
    seats = {"taken": Sum("seats_taken"), "capacity": Sum("capacity")}
    section = Section(f"Fill rate of blocks starting in the next {FILL_RATE_MONTHS} months")
    for row in (
        blocks.values("rotation__specialty_id", "rotation__specialty__name")
        .annotate(**seats)
        .order_by("rotation__specialty__name")
    ):
        section.fill_rates.append(
            FillRate(
                row["rotation__specialty__name"],
                row["taken"],
                row["capacity"],
                _changelist(Block, **counted, rotation__specialty__id__exact=row["rotation__specialty_id"]),
            )
        )
    for row in (
        blocks.values("rotation__organization__state")
        .annotate(**seats)
        .order_by("rotation__organization__state")
    ):
        state = row["rotation__organization__state"]
        section.fill_rates.append(
            FillRate(
                state,
                row["taken"],
                row["capacity"],
                _changelist(Block, **counted, rotation__organization__state__exact=state),
            )
        )
    return section


def _money(month_start: datetime) -> Section:
    """This month's revenue (charges), refunds and commission net of what was returned, per
    currency, from the ledger; its entries are signed from the host's side."""
    totals: dict[tuple[str, str], int] = {
        (kind, currency): total
        for kind, currency, total in LedgerEntry.objects.filter(created_at__gte=month_start)
        .values_list("kind", "currency")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    }
    currencies = sorted({currency for _, currency in totals}) or ["usd"]
    since = _iso(month_start)
    K = LedgerEntry.Kind
    kinds = [
        ("Revenue", [K.CHARGE], 1),
        ("Refunds", [K.REFUND], -1),
        ("Commission", [K.COMMISSION, K.COMMISSION_REVERSAL], -1),
    ]
    section = Section("Money this month")
    for label, kind_list, sign in kinds:
        for currency in currencies:
            cents = sign * sum(totals.get((kind, currency), 0) for kind in kind_list)
            url = _changelist(
                LedgerEntry, kind__in=",".join(kind_list), currency=currency, created_at__gte=since
            )
            section.figures.append(Figure(label, format_cents(cents, currency), url))
    return section


def _attention(user: User, now: datetime) -> Section:
    """What waits for a person: each a count and the list of those rows."""
    today = now.date()
    late = _iso(now - REMINDER_LATE)
    stuck = _iso(now - PAYMENT_STUCK)
    wanted = [
        (
            "Letters overdue",
            LetterRequest,
            {"status__in": LetterRequest.OPEN, "due_on__lt": today},
            {"status__in": ",".join(LetterRequest.OPEN), "due_on__lt": today.isoformat()},
        ),
        ("Hosts awaiting verification", Organization, {"is_verified": False}, {"is_verified__exact": "0"}),
        (
            "Documents awaiting verification",
            Document,
            {"verification_status": Document.VerificationStatus.PENDING},
            {"verification_status__exact": Document.VerificationStatus.PENDING},
        ),
        ("Stripe webhooks that failed", StripeEvent, {"error__gt": ""}, {"error__gt": ""}),
        (
            "Payments still processing after a day",
            Payment,
            {"status": Payment.Status.PROCESSING, "created_at__lt": now - PAYMENT_STUCK},
            {"status__exact": Payment.Status.PROCESSING, "created_at__lt": stuck},
        ),
        (
            "Refunds Stripe refused",
            Refund,
            {"status": Refund.Status.FAILED},
            {"status__exact": Refund.Status.FAILED},
        ),
        (
            "Reminders that failed to send",
            Reminder,
            {"sent_at__isnull": True, "cancelled_at__isnull": True, "due_at__lt": now - REMINDER_LATE},
            {"sent_at__isnull": "True", "cancelled_at__isnull": "True", "due_at__lt": late},
        ),
    ]
    section = Section("Needs attention")
    for label, model, lookups, query in wanted:
        if _may_view(user, model):
            count = model._default_manager.filter(Q(**lookups)).count()
            section.figures.append(Figure(label, str(count), _changelist(model, **query)))
    return section


def operations_dashboard(*, user: User, now: datetime | None = None) -> list[Section]:
    """The dashboard's sections that `user` may follow to their lists, in reading order."""
    now = now or timezone.now()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    sections = []
    if _may_view(user, Application):
        sections.append(_applications())
    if _may_view(user, Rotation):
        sections.append(_fill_rates(timezone.localdate(now)))
    if _may_view(user, LedgerEntry):
        sections.append(_money(month_start))
    attention = _attention(user, now)
    if attention.figures:
        sections.append(attention)
    return [section for section in sections if section.figures or section.fill_rates]
