"""Reads of money: what an application owes now, its payments, a host's balance and payout report."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Prefetch, QuerySet, Sum

from amo.money import format_cents
from applicants.models import Application
from hosts.models import Organization
from payments.models import LedgerEntry, Payment, Refund

P = Payment.Purpose
S = Application.Status


def _paid(application: Application) -> dict[str, int]:
    """The amount of each purpose's succeeded payment (a purpose succeeds at most once)."""
    return dict(
        Payment.objects.filter(application=application, status=Payment.Status.SUCCEEDED).values_list(
            "purpose", "amount_cents"
        )
    )


def amount_due(application: Application, purpose: str) -> int:
    """What `application` owes for `purpose` now, in its currency's cents; 0 when nothing is due.

    The application fee while its status is due; the deposit or the whole program fee while the
    application awaits payment and neither was paid; the balance (program fee minus the deposit
    paid) once the booking is confirmed and until the balance is paid.
    """
    rotation = application.block.rotation
    if purpose == P.APPLICATION_FEE:
        due = application.application_fee_status == Application.FeeStatus.DUE
        return application.application_fee_cents if due else 0
    paid = _paid(application)
    if purpose in (P.DEPOSIT, P.FULL):
        if application.status != S.AWAITING_PAYMENT or P.DEPOSIT in paid or P.FULL in paid:
            return 0
        return rotation.deposit_cents if purpose == P.DEPOSIT else rotation.program_fee_cents
    if purpose == P.BALANCE:
        if application.status not in (S.CONFIRMED, S.IN_PROGRESS) or P.BALANCE in paid or P.FULL in paid:
            return 0
        return max(rotation.program_fee_cents - paid.get(P.DEPOSIT, 0), 0)
    return 0


def application_payments(*, application: Application) -> QuerySet[Payment]:
    """The application's payments, newest first, with their refunds (two queries for any number)."""
    return Payment.objects.filter(application=application).prefetch_related(
        Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id"))
    )


def application_refunds(*, application: Application) -> QuerySet[Refund]:
    """The application's refunds, oldest first, each with the payment it came from (one query)."""
    return (
        Refund.objects.filter(payment__application=application)
        .select_related("payment")
        .order_by("created_at", "id")
    )


# --- The ledger: a host's balance and payout report ----------------------------------------------------


@dataclass(frozen=True)
class ReportLine:
    """One ledger entry as the payout report shows it."""

    created_at: datetime
    kind: str
    kind_label: str
    amount_cents: int
    currency: str
    application_id: int | None
    applicant: str
    purpose: str

    @property
    def date(self) -> date:
        return self.created_at.date()


@dataclass(frozen=True)
class PayoutReport:
    """An organization's ledger over a period (both dates included, UTC): each kind's total, the
    period's net, and its lines, oldest first. Integer cents, computed from the ledger only."""

    date_from: date | None
    date_to: date | None
    totals: dict[str, int]
    net_cents: int
    lines: list[ReportLine]


def organization_balance(*, organization: Organization | int) -> int:
    """What the platform holds for the host now: the sum of all its ledger entries, in cents."""
    pk = organization if isinstance(organization, int) else organization.pk
    return LedgerEntry.objects.filter(organization_id=pk).aggregate(s=Sum("amount_cents"))["s"] or 0


def organization_payout_report(
    *, organization: Organization | int, date_from: date | None = None, date_to: date | None = None
) -> PayoutReport:
    """The organization's ledger entries from `date_from` to `date_to` (inclusive, either open), in one
    query: every kind's total (0 for a kind without entries) and the lines with their application,
    applicant and payment purpose."""
    pk = organization if isinstance(organization, int) else organization.pk
    entries = LedgerEntry.objects.filter(organization_id=pk)
    if date_from is not None:
        entries = entries.filter(created_at__date__gte=date_from)
    if date_to is not None:
        entries = entries.filter(created_at__date__lte=date_to)
    rows = entries.order_by("created_at", "id").values_list(
        "created_at",
        "kind",
        "amount_cents",
        "currency",
        "payment__application_id",
        "payment__application__applicant__legal_name",
        "payment__purpose",
    )
    kinds = dict(LedgerEntry.Kind.choices)
    purposes = dict(Payment.Purpose.choices)
    totals = dict.fromkeys(LedgerEntry.Kind.values, 0)
    lines = []
    for created_at, kind, amount, currency, application_id, applicant, purpose in rows:
        totals[kind] += amount
        lines.append(
            ReportLine(
                created_at=created_at,
                kind=kind,
                kind_label=str(kinds.get(kind, kind)),
                amount_cents=amount,
                currency=currency,
                application_id=application_id,
                applicant=applicant or "",
                purpose=str(purposes.get(purpose, "")) if purpose else "",
            )
        )
    return PayoutReport(
        date_from=date_from, date_to=date_to, totals=totals, net_cents=sum(totals.values()), lines=lines
    )


REPORT_CSV_HEADER = [
    "date",
    "application",
    "applicant",
    "purpose",
    "kind",
    "amount_cents",
    "amount",
    "currency",
]


def _csv_text(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a name typed as "=HYPERLINK(...)")."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def payout_report_csv_rows(report: PayoutReport) -> list[list]:
    """The report's lines as CSV rows under REPORT_CSV_HEADER, then one total row per kind and the net."""
    rows = [
        [
            line.date.isoformat(),
            line.application_id or "",
            _csv_text(line.applicant),
            line.purpose,
            line.kind,
            line.amount_cents,
            format_cents(line.amount_cents, line.currency),
            line.currency,
        ]
        for line in report.lines
    ]
    currency = report.lines[0].currency if report.lines else "usd"
    for kind, total in report.totals.items():
        rows.append(["total", "", "", "", kind, total, format_cents(total, currency), currency])
    rows.append(["net", "", "", "", "", report.net_cents, format_cents(report.net_cents, currency), currency])
    return rows
