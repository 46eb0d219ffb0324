"""Refunds of an application's payments: what each reason gives back, from which payments, and
writing it under the payments' row locks.

One rule per reason (RULES): the share of the program fee still held that goes back (the tier on
the day of the cancellation policy the applicant agreed to, applicants.terms, or all of it) and
whether the application fee goes back too. The same plan is shown before the applicant confirms
(applicants.selectors.refund_quote) and written by the cancellation, from the same payments on the
same day, so the preview is what is refunded.

The program fee "still held" is what the deposit, balance and full payments that succeeded took,
minus what was refunded of them already. A refund is split across those payments newest first:
it is exact to the cent with no rounding to share out, it usually touches one payment (one Stripe
refund, one failure to retry), and the newest charge is the furthest from the card networks'
refund time limits and the likeliest to be on a card the applicant still holds.

Refunds are written inside the caller's transaction under each payment's row lock (the payment's
refunded_cents, with a check constraint behind it, keeps their sum within what was paid) and sent
to Stripe after commit by the worker (payments.tasks.refund_send). While Stripe is unreachable a
refund stays pending, and reconciliation sends it again with the same idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.money import format_cents, refund_cents
from amo.transactions import enqueue_on_commit, transaction_required
from applicants.models import Application
from applicants.terms import application_terms
from payments import tasks
from payments.models import Payment, Refund

P = Payment.Purpose
R = Refund.Reason
PROGRAM_FEE_PURPOSES = (P.DEPOSIT, P.BALANCE, P.FULL)


@dataclass(frozen=True)
class Rule:
    """What a reason gives back: `program_percent` of the program fee still held (None: the
    cancellation policy's tier on the day), and the application fee or not."""

    program_percent: int | None
    application_fee: bool


RULES: dict[str, Rule] = {
    # The applicant cancels, or the system does for a balance left unpaid: the policy's tier.
    R.CANCELLATION: Rule(program_percent=None, application_fee=False),
    # The host cancels: everything paid, the application fee included.
    R.HOST_CANCELLATION: Rule(program_percent=100, application_fee=True),
    # Staff accepted the consulate's denial letter: the whole program fee, not the review's fee.
    R.VISA_DENIAL: Rule(program_percent=100, application_fee=False),
    # The cancelled seat was booked again from the waitlist: the rest of the program fee paid.
    R.RESALE: Rule(program_percent=100, application_fee=False),
    # The host did not decide within 10 days: the application fee.
    R.UNDECIDED: Rule(program_percent=0, application_fee=True),
}


@dataclass(frozen=True)
class RefundLine:
    payment: Payment
    amount_cents: int


@dataclass(frozen=True)
class RefundPlan:
    """What `reason` gives back on an application now, and from which payments (newest first)."""

    reason: str
    currency: str
    program_fee_held_cents: int
    refund_percent: int
    program_fee_refund_cents: int
    application_fee_held_cents: int
    application_fee_refund_cents: int
    lines: tuple[RefundLine, ...]

    @property
    def total_cents(self) -> int:
        return self.program_fee_refund_cents + self.application_fee_refund_cents


def _newest_first(payments: list[Payment]) -> list[Payment]:
    return sorted(payments, key=lambda payment: (payment.succeeded_at, payment.pk), reverse=True)


def _split(payments: list[Payment], amount_cents: int) -> list[RefundLine]:
    """`amount_cents` taken from `payments` in their order, each up to what is left of it."""
    lines = []
    for payment in payments:
        if amount_cents <= 0:
            break
        part = min(payment.refundable_cents, amount_cents)
        if part:
            lines.append(RefundLine(payment=payment, amount_cents=part))
            amount_cents -= part
    return lines


def refund_plan(
    *,
    application: Application,
    reason: str,
    payments: list[Payment] | None = None,
    today: date | None = None,
) -> RefundPlan:
    """What `reason` gives back on `application` on `today` (default: today, UTC), from its
    succeeded payments: `payments` when the caller locked them, else read now (one query)."""
    rule = RULES[reason]
    if payments is None:
        payments = list(Payment.objects.paid().filter(application_id=application.pk))
    held = _newest_first([payment for payment in payments if payment.refundable_cents])
    program = [payment for payment in held if payment.purpose in PROGRAM_FEE_PURPOSES]
    fees = [payment for payment in held if payment.purpose == P.APPLICATION_FEE]
    percent = rule.program_percent
    if percent is None:
        percent = application_terms(application).refund_percent(
            application.block, cancelled_on=today or timezone.now().date()
        )
    program_held = sum(payment.refundable_cents for payment in program)
    fee_held = sum(payment.refundable_cents for payment in fees)
    program_back = refund_cents(program_held, percent)
    fee_back = fee_held if rule.application_fee else 0
    return RefundPlan(
        reason=reason,
        currency=application.currency,
        program_fee_held_cents=program_held,
        refund_percent=percent,
        program_fee_refund_cents=program_back,
        application_fee_held_cents=fee_held,
        application_fee_refund_cents=fee_back,
        lines=(*_split(program, program_back), *_split(fees, fee_back)),
    )


def refund_plan_set(*, application: Application, amount_cents: int, payments: list[Payment]) -> RefundPlan:
    """A refund of `amount_cents` staff set when they cancel a booking, taken from the program fee
    paid first, then the application fee, each newest first; refused above what was paid and is not
    refunded yet, or below nothing."""
    held = _newest_first([payment for payment in payments if payment.refundable_cents])
    program = [payment for payment in held if payment.purpose in PROGRAM_FEE_PURPOSES]
    fees = [payment for payment in held if payment.purpose == P.APPLICATION_FEE]
    program_held = sum(payment.refundable_cents for payment in program)
    fee_held = sum(payment.refundable_cents for payment in fees)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 0:
        raise DomainError("A refund is a whole number of cents, nothing or more.", field="refund_cents")
    left = program_held + fee_held
    if amount_cents > left:
        raise DomainError(
            f"A refund cannot be more than was paid: {format_cents(left, application.currency)} is paid "
            "and not refunded yet.",
            extra={"refundable_cents": left},
            field="refund_cents",
        )
    program_back = min(amount_cents, program_held)
    fee_back = amount_cents - program_back
    return RefundPlan(
        reason=R.STAFF,
        currency=application.currency,
        program_fee_held_cents=program_held,
        # The share of the program fee held, rounded down (0 of nothing): the news reads the amount.
        refund_percent=program_back * 100 // program_held if program_held else 0,
        program_fee_refund_cents=program_back,
        application_fee_held_cents=fee_held,
        application_fee_refund_cents=fee_back,
        lines=(*_split(program, program_back), *_split(fees, fee_back)),
    )


def refunds_write(
    *, application: Application, reason: str, actor: User | None = None, amount_cents: int | None = None
) -> RefundPlan:
    """Give back what `reason` gives on `application`, inside the caller's transaction.

    The application's succeeded payments are locked first (id order) and the plan made from the
    locked rows, so what is refunded is what they hold now; each refund is written under that lock
    and sent to Stripe once the transaction commits (the booking code marks an application fee
    given back as refunded). Returns the plan (nothing written when it gives nothing back).
    """
    transaction_required("refunds_write")
    locked = list(
        Payment.objects.paid().select_for_update().filter(application_id=application.pk).order_by("pk")
    )
    if amount_cents is None:
        plan = refund_plan(application=application, reason=reason, payments=locked)
    else:
        plan = refund_plan_set(application=application, amount_cents=amount_cents, payments=locked)
    refunds = [
        refund_record(payment=line.payment, amount_cents=line.amount_cents, reason=reason, actor=actor)
        for line in plan.lines
    ]
    for refund in refunds:
        # A broker that is down must not undo the cancellation: the refund stays pending and
        # reconciliation sends it.
        enqueue_on_commit(tasks.refund_send, refund.pk)
    return plan


def refund_record(
    *, payment: Payment, amount_cents: int, reason: str, actor: User | None, note: str = ""
) -> Refund:
    """Write the refund and raise refunded_cents; the caller holds the payment's row lock."""
    if reason not in Refund.Reason.values:
        raise DomainError("Choose a refund reason from the list.", field="reason")
    if payment.status != Payment.Status.SUCCEEDED:
        raise DomainError("Only a payment that succeeded can be refunded.", status=409)
    left = payment.amount_cents - payment.refunded_cents
    if amount_cents <= 0 or amount_cents > left:
        raise DomainError(
            f"A refund must be more than nothing and at most {format_cents(left, payment.currency)}.",
            extra={"refundable_cents": left},
            field="amount_cents",
        )
    payment.refunded_cents += amount_cents
    payment.save(update_fields=["refunded_cents"])
    return Refund.objects.create(
        payment=payment, amount_cents=amount_cents, reason=reason, created_by=actor, note=note
    )


def refund_news(plan: RefundPlan) -> str:
    """The sentences that tell the applicant what a plan gives back (in a cancellation's news)."""
    currency = plan.currency
    fee_kept = (
        f" The application fee ({format_cents(plan.application_fee_held_cents, currency)}) is not refunded."
        if plan.application_fee_held_cents and not plan.application_fee_refund_cents
        else ""
    )
    if not plan.total_cents:
        if not plan.program_fee_held_cents:
            return "Nothing of the program fee was paid, so nothing is refunded." + fee_kept
        return f"The cancellation policy refunds nothing on this date ({plan.refund_percent}%)." + fee_kept
    what = {
        R.CANCELLATION: f"{plan.refund_percent}% of the program fee paid "
        f"({format_cents(plan.program_fee_held_cents, currency)}) under the cancellation policy",
        R.HOST_CANCELLATION: "everything you paid"
        + (", the application fee included" if plan.application_fee_refund_cents else ""),
        R.VISA_DENIAL: "the whole program fee you paid",
        R.RESALE: "the rest of the program fee you paid",
        R.UNDECIDED: "your application fee",
        R.STAFF: "the amount our staff set",
    }[plan.reason]
    # Money staff recorded as received another way goes back the way it came, not to a card.
    by_card = all(line.payment.method == Payment.Method.CARD for line in plan.lines)
    to = "to your card" if by_card else "the way you paid"
    return f"{format_cents(plan.total_cents, currency)} is refunded {to}: {what}.{fee_kept}"
