"""Reads of money: what an application owes now, its payments, a host's balance and payout report."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from amo.csv_export import csv_safe
from amo.money import format_cents
from amo.text import day_label, moment_label
from applicants.models import Applicant, Application, BlockChange
from applicants.terms import Terms, application_terms, block_change_terms, terms_offered
from hosts.models import Organization
from payments.models import LedgerEntry, Payment, Refund
from rotations.models import Block

P = Payment.Purpose
S = Application.Status
# What the program fee's payments hold now: what they took, less what was given back of them.
NET_PAID = Sum(F("amount_cents") - F("refunded_cents"))


def _program_fee_payments(**filters) -> QuerySet[Payment]:
    return Payment.objects.paid().filter(purpose__in=Payment.PROGRAM_FEE, **filters)


def program_fee_paid_cents(application: Application | int) -> int:
    """The program fee `application` has paid, net: its deposit, full and balance payments that
    count as paid (Payment.objects.paid) minus their refunds (a refund counts from when it is
    written). The payments stay with the application when its booking moves to another block."""
    pk = application if isinstance(application, int) else application.pk
    return _program_fee_payments(application_id=pk).aggregate(net=NET_PAID)["net"] or 0


def program_fee_paid_expression(application: str = "pk") -> Coalesce:
    """program_fee_paid_cents as SQL, for the application at `application` of the outer query."""
    paid = (
        _program_fee_payments(application=OuterRef(application))
        .order_by()
        .values("application")
        .annotate(net=NET_PAID)
        .values("net")
    )
    return Coalesce(Subquery(paid, output_field=IntegerField()), 0)


def _balance_settled(**filters) -> QuerySet[Payment]:
    """The balance or the whole program fee paid once (and not refunded in full: a duplicate whole
    fee given back settles nothing): whatever a date change leaves owing is then due at once, with
    no balance left to join."""
    return Payment.objects.paid().filter(purpose__in=[P.BALANCE, P.FULL], **filters)


def balance_settled_expression(application: str = "pk") -> Exists:
    return Exists(_balance_settled(application=OuterRef(application)))


def balance_due_on(application: Application) -> date:
    """The day the balance of `application`'s booking is due, by its agreed terms."""
    return application_terms(application).balance_due_on(application.block)


def balance_due_now(
    application: Application,
    *,
    due_on: date | None = None,
    settled: bool | None = None,
    today: date | None = None,
) -> bool:
    """Whether what the booking owes of its program fee is due now: its balance due date (`due_on`
    when a date change would give it another; its own by default) has come, or the balance (or the
    whole fee) was paid already, so that what a date change to a dearer block left owing has no
    balance left to join. A list passes `settled` (balance_settled_expression) from its own query."""
    today = today or timezone.now().date()
    if (due_on or balance_due_on(application)) <= today:
        return True
    return settled if settled is not None else _balance_settled(application=application).exists()


def balance_due_key_expression(application: str = "pk") -> Case:
    """The key of what a booking owes now, as SQL: "booking" for its own balance, or
    "block-change:<id>" after the latest date change approved, whose difference is a new amount
    due. One off-session charge per key (a unique constraint on Payment)."""
    approved = BlockChange.objects.filter(
        application=OuterRef(application), status=BlockChange.Status.APPROVED
    ).order_by("-pk")
    return Case(
        When(
            Exists(approved),
            then=Concat(Value("block-change:"), Cast(Subquery(approved.values("pk")[:1]), CharField())),
        ),
        default=Value(Payment.BOOKING_DUE_KEY),
        output_field=CharField(),
    )


def balance_due_key(application: Application | int) -> str:
    pk = application if isinstance(application, int) else application.pk
    return (
        Application.objects.filter(pk=pk)
        .annotate(key=balance_due_key_expression())
        .values_list("key", flat=True)
        .get()
    )


def _paid_purposes(application: Application) -> set[str]:
    return set(Payment.objects.paid().filter(application=application).values_list("purpose", flat=True))


def amount_due(application: Application, purpose: str) -> int:
    """What `application` owes for `purpose` now, in its currency's cents; 0 when nothing is due.

    The application fee while its status is due, once submitted (a draft's "due" is only the
    model's default); the deposit or the whole program fee while the application awaits payment
    and neither was paid; the balance once the booking is confirmed: its agreed program fee (the
    new one after a date change) minus the program fee paid, net. Amounts are the application's
    agreed terms (applicants.terms), whatever the rotation says now.
    """
    terms = application_terms(application)
    if purpose == P.APPLICATION_FEE:
        due = (
            application.application_fee_status == Application.FeeStatus.DUE and application.status != S.DRAFT
        )
        return terms.application_fee_cents if due else 0
    if purpose in (P.DEPOSIT, P.FULL):
        paid = _paid_purposes(application)
        if application.status != S.AWAITING_PAYMENT or P.DEPOSIT in paid or P.FULL in paid:
            return 0
        return terms.deposit_cents if purpose == P.DEPOSIT else terms.program_fee_cents
    if purpose == P.BALANCE:
        if application.status not in (S.CONFIRMED, S.IN_PROGRESS):
            return 0
        return max(terms.program_fee_cents - program_fee_paid_cents(application), 0)
    return 0


def nothing_due_message(purpose: str) -> str:
    return f"No {P(purpose).label.lower()} is due on this application now."


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
    """When the balance the saved card did not pay must be paid by (through the pay link), or None;
    only the amount due now counts (a date change's difference has its own deadline)."""
    return (
        Payment.objects.filter(
            application=application,
            purpose=P.BALANCE,
            off_session=True,
            balance_deadline__isnull=False,
            due_key=balance_due_key(application),
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


def application_paid(*, application: Application) -> QuerySet[Payment]:
    """What the application's applicant paid (succeeded payments), oldest first: one query."""
    return Payment.objects.filter(application=application, status=Payment.Status.SUCCEEDED).order_by(
        "succeeded_at", "id"
    )


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
        ("Stripe PaymentIntent", payment.payment_intent_id or "")
        if payment.method == Payment.Method.CARD
        else ("Received by", f"{payment.get_method_display()}, reference {payment.reference}"),
    ]


# --- A date change's money ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceDifference:
    """What moving a booking to another block does to its money: the payments stay with the
    application, and the program fee of the new block's terms replaces the one agreed (approving
    the move fixes those terms on the application). The terms are quoted when the applicant asks
    and kept on the request, so what both sides see before the host decides is what approving
    applies (payments.services.block_change_money_settle)."""

    from_fee_cents: int
    to_fee_cents: int
    paid_cents: int  # the program fee paid, net
    currency: str
    due_now: bool  # what is owed is charged at once rather than joining the balance
    balance_due_on: date  # the new block's balance due date

    @property
    def difference_cents(self) -> int:
        return self.to_fee_cents - self.from_fee_cents

    @property
    def refund_cents(self) -> int:
        return max(self.paid_cents - self.to_fee_cents, 0)

    @property
    def owed_cents(self) -> int:
        return max(self.to_fee_cents - self.paid_cents, 0)

    @property
    def charge_cents(self) -> int:
        """Charged at once on approval: to the saved card, or through the pay link within 7 days."""
        return self.owed_cents if self.due_now else 0

    @property
    def short(self) -> str:
        """A few words beside a block the applicant may choose."""
        money = lambda cents: format_cents(cents, self.currency)  # noqa: E731
        if self.refund_cents:
            return f"{money(self.refund_cents)} refunded"
        if self.charge_cents:
            return f"{money(self.charge_cents)} to pay now"
        if self.owed_cents:
            return f"balance {money(self.owed_cents)} due {day_label(self.balance_due_on)}"
        return "nothing to pay"

    @property
    def summary(self) -> str:
        """One sentence for either side, before the host decides and in the approval's news."""
        money = lambda cents: format_cents(cents, self.currency)  # noqa: E731
        fee = (
            f"The program fee stays {money(self.to_fee_cents)}"
            if not self.difference_cents
            else f"The program fee becomes {money(self.to_fee_cents)} (was {money(self.from_fee_cents)})"
        )
        fee = f"{fee} and {money(self.paid_cents)} is paid"
        if self.refund_cents:
            return f"{fee}: {money(self.refund_cents)} is refunded to the card."
        if self.charge_cents:
            return (
                f"{fee}: {money(self.charge_cents)} is charged to the saved card at once (without a saved "
                "card, or if the charge fails, it is paid through the link within 7 days)."
            )
        if self.owed_cents:
            due_on = day_label(self.balance_due_on)
            return f"{fee}: the balance becomes {money(self.owed_cents)}, due on {due_on}."
        return f"{fee}: nothing is charged or refunded."


def price_difference(
    *,
    application: Application,
    to_block: Block,
    to_terms: Terms,
    paid_cents: int | None = None,
    settled: bool | None = None,
    today: date | None = None,
) -> PriceDifference:
    """The money of moving `application`'s booking from its block, at its agreed program fee, to
    `to_block` at `to_terms` (what its rotation offers now for a choice or a quote; the quote kept on
    a date change once asked for). A list passes `paid_cents` (program_fee_paid_expression) and
    `settled` (balance_settled_expression) from its own query; otherwise they are read here."""
    if paid_cents is None:
        paid_cents = program_fee_paid_cents(application)
    due_on = to_terms.balance_due_on(to_block)
    return PriceDifference(
        from_fee_cents=application_terms(application).program_fee_cents,
        to_fee_cents=to_terms.program_fee_cents,
        paid_cents=paid_cents,
        currency=application.currency,
        due_now=balance_due_now(application, due_on=due_on, settled=settled, today=today),
        balance_due_on=due_on,
    )


def price_differences(application: Application) -> Callable[[Block], PriceDifference]:
    """price_difference of one booking to any number of blocks, reading what it paid once (the
    applicant's choice of blocks to move to)."""
    paid = program_fee_paid_cents(application)
    settled = _balance_settled(application=application).exists()
    return lambda block: price_difference(
        application=application,
        to_block=block,
        to_terms=terms_offered(block.rotation),
        paid_cents=paid,
        settled=settled,
    )


def with_price_difference(changes: QuerySet[BlockChange]) -> QuerySet[BlockChange]:
    """Date changes with what block_change_price_difference needs, in the same query."""
    return changes.annotate(
        program_fee_paid_cents=program_fee_paid_expression("application"),
        balance_settled=balance_settled_expression("application"),
    )


def block_change_price_difference(change: BlockChange) -> PriceDifference | None:
    """The price difference of a date change waiting for the host's answer, at the terms quoted when
    the applicant asked; None once decided (its refunds and charges are then among the
    application's payments). With the annotations of
    with_price_difference (and the application, both blocks and their rotations loaded) it costs
    no query."""
    if change.status != BlockChange.Status.REQUESTED:
        return None
    return price_difference(
        application=change.application,
        to_block=change.to_block,
        to_terms=block_change_terms(change),
        paid_cents=getattr(change, "program_fee_paid_cents", None),
        settled=getattr(change, "balance_settled", None),
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
    """An organization's ledger over a period (both dates included, UTC): the balance carried in
    from before it, each kind's total, the period's net, and its lines, oldest first. Integer
    cents, computed from the ledger only.

    A negative balance (refunds after a payout took back more than came in since) is carried: it
    is the next period's opening line, and the next payout is what the period adds to it, never
    more (payments.services.payout_record refuses a payout above the balance)."""

    date_from: date | None
    date_to: date | None
    carried_cents: int  # the balance at the start of the period (0 for a period from the start)
    totals: dict[str, int]
    net_cents: int
    lines: list[ReportLine]

    @property
    def closing_cents(self) -> int:
        """The balance at the end of the period: what was carried in plus the period's net."""
        return self.carried_cents + self.net_cents


def organization_balance(*, organization: Organization | int) -> int:
    """What the platform holds for the host now: the sum of all its ledger entries, in cents."""
    pk = organization if isinstance(organization, int) else organization.pk
    return LedgerEntry.objects.filter(organization_id=pk).aggregate(s=Sum("amount_cents"))["s"] or 0


def organization_payout_report(
    *, organization: Organization | int, date_from: date | None = None, date_to: date | None = None
) -> PayoutReport:
    """The organization's ledger entries from `date_from` to `date_to` (inclusive, either open), in
    two queries: the balance carried in from before `date_from`, every kind's total (0 for a kind
    without entries) and the lines with their application, applicant and payment purpose."""
    pk = organization if isinstance(organization, int) else organization.pk
    entries = LedgerEntry.objects.filter(organization_id=pk)
    carried = 0
    if date_from is not None:
        carried = entries.filter(created_at__date__lt=date_from).aggregate(s=Sum("amount_cents"))["s"] or 0
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
        date_from=date_from,
        date_to=date_to,
        carried_cents=carried,
        totals=totals,
        net_cents=sum(totals.values()),
        lines=lines,
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


def payout_report_csv_rows(report: PayoutReport) -> list[list]:
    """The report's rows under REPORT_CSV_HEADER: the balance carried in, its lines, then one total
    row per kind, the net, and the balance at the end of the period."""
    currency = report.lines[0].currency if report.lines else "usd"

    def summary(label: str, kind: str, cents: int) -> list:
        return [label, "", "", "", kind, cents, format_cents(cents, currency), currency]

    rows = [summary("carried", "", report.carried_cents)]
    rows += [
        [
            line.date.isoformat(),
            line.application_id or "",
            csv_safe(line.applicant),
            line.purpose,
            line.kind,
            line.amount_cents,
            format_cents(line.amount_cents, line.currency),
            line.currency,
        ]
        for line in report.lines
    ]
    rows += [summary("total", kind, total) for kind, total in report.totals.items()]
    rows += [summary("net", "", report.net_cents), summary("balance", "", report.closing_cents)]
    return rows
