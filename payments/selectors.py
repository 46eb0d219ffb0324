"""Reads of money: what an application owes now, its payments, a host's balance and payout report."""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Prefetch, QuerySet, Sum

from amo.money import format_cents
from amo.text import day_label, moment_label
from applicants.models import Applicant, Application
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

    The application fee while its status is due, once submitted (a draft's "due" is only the
    model's default); the deposit or the whole program fee while the application awaits payment
    and neither was paid; the balance (program fee minus the deposit paid) once the booking is
    confirmed and until the balance is paid.
    """
    rotation = application.block.rotation
    if purpose == P.APPLICATION_FEE:
        due = (
            application.application_fee_status == Application.FeeStatus.DUE and application.status != S.DRAFT
        )
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


@dataclass(frozen=True)
class Due:
    """One amount an application owes now, as the pages offer to pay it."""

    purpose: str
    label: str
    amount_cents: int
    currency: str


def amounts_due(application: Application) -> list[Due]:
    """Every purpose `application` owes something for now (amount_due), in the order pages list them."""
    order = [P.APPLICATION_FEE, P.DEPOSIT, P.FULL, P.BALANCE]
    return [
        Due(purpose, str(P(purpose).label), amount, application.currency)
        for purpose in order
        if (amount := amount_due(application, purpose))
    ]


def balance_deadline(application: Application) -> datetime | None:
    """When the balance the saved card did not pay must be paid by (through the pay link), or None."""
    return (
        Payment.objects.filter(
            application=application, purpose=P.BALANCE, off_session=True, balance_deadline__isnull=False
        )
        .values_list("balance_deadline", flat=True)
        .first()
    )


def application_to_pay(*, applicant: Applicant, pk: int) -> Application | None:
    """One of the applicant's applications with what its pay page shows: the rotation, its host and
    the seat hold's deadline."""
    return (
        Application.objects.filter(applicant=applicant, pk=pk)
        .with_hold()
        .select_related("block__rotation__organization")
        .first()
    )


def _refunds_prefetch() -> Prefetch:
    return Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id"))


def application_payments(*, application: Application) -> QuerySet[Payment]:
    """The application's payments, newest first, with their refunds (two queries for any number)."""
    return Payment.objects.filter(application=application).prefetch_related(_refunds_prefetch())


def applicant_payment(*, applicant: Applicant, pk: int, succeeded: bool = False) -> Payment | None:
    """One of the applicant's payments (only a succeeded one with `succeeded`), with its application,
    rotation, host and refunds; anyone else's is None. Two queries."""
    payments = Payment.objects.filter(pk=pk, application__applicant=applicant)
    if succeeded:
        payments = payments.filter(status=Payment.Status.SUCCEEDED)
    return (
        payments.select_related("application__block__rotation__organization", "application__applicant__user")
        .prefetch_related(_refunds_prefetch())
        .first()
    )


def receipts_prefetch() -> Prefetch:
    """Each application's succeeded payments as `receipts`, oldest first: one query for a list."""
    return Prefetch(
        "payments",
        queryset=Payment.objects.filter(status=Payment.Status.SUCCEEDED).order_by("succeeded_at", "id"),
        to_attr="receipts",
    )


def receipt_lines(payment: Payment) -> list[tuple[str, str]]:
    """What a receipt says of a succeeded payment, label and value, on its page and in its email;
    `payment` comes with its application's applicant, block, rotation and organization."""
    application = payment.application
    block, rotation = application.block, application.block.rotation
    organization = rotation.organization
    return [
        ("Issued by", settings.SITE_NAME),
        ("Paid by", application.applicant.legal_name or application.applicant.user.email),
        ("Host organization", f"{organization.name}, {organization.city}, {organization.state}"),
        ("Rotation", rotation.title),
        ("Block", f"{day_label(block.start_date)} – {day_label(block.end_date)}"),
        ("For", str(P(payment.purpose).label)),
        ("Amount", format_cents(payment.amount_cents, payment.currency)),
        ("Currency", payment.currency.upper()),
        ("Paid on", f"{moment_label(payment.succeeded_at)} UTC"),
        ("Stripe PaymentIntent", payment.payment_intent_id or ""),
    ]


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
