"""Every write of money: starting a payment, applying what Stripe says about it, refunds, the
ledger, and Stripe's webhook events.

Stripe is called through payments.stripe_client with an idempotency key derived from our own row,
which is committed before the call, so a retry after any failure asks Stripe the same question.
A payment changes only under its row lock, after a fresh read of its PaymentIntent from Stripe:
duplicate, late and out-of-order events all end where Stripe's own state says.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from functools import partial

import stripe
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.money import commission_back_cents, commission_cents, format_cents
from amo.services import notification_send
from amo.text import day_label, moment_label
from amo.transactions import enqueue_on_commit, transaction_required
from amo.validators import MAX_REASON_CHARS, bounded_text, single_line_text
from applicants.models import Applicant, Application
from applicants.terms import Terms, application_terms
from hosts.models import Organization
from payments import tasks
from payments.handoff import booking_receiver
from payments.models import LedgerEntry, Payment, Refund, StripeCustomer, StripeEvent
from payments.refunds import refund_record
from payments.selectors import (
    PriceDifference,
    amount_due,
    balance_due_key,
    balance_due_key_expression,
    balance_due_now,
    balance_due_on,
    nothing_due_message,
    organization_balance,
    price_difference,
    program_fee_paid_cents,
    program_fee_paid_expression,
    receipt_lines,
)
from payments.stripe_client import stripe_client
from rotations.locking import lock_block
from rotations.models import Block

logger = logging.getLogger(__name__)

P = Payment.Purpose
STRIPE_UNAVAILABLE = "Payments are unavailable right now; please try again in a minute."
# Stripe out of reach or answering "later": what a retry may change. Any other error is Stripe's
# answer about this request, said as such.
STRIPE_TRANSIENT = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.RateLimitError,
    stripe.AuthenticationError,
)


def _stripe_error(error: stripe.StripeError) -> DomainError:
    """What a Stripe error means to the person who asked: out of reach (503), or Stripe's refusal."""
    if isinstance(error, STRIPE_TRANSIENT):
        return DomainError(STRIPE_UNAVAILABLE, status=503)
    return DomainError(f"Stripe refused this payment: {error.user_message or error}", status=502)


# Stripe retries a webhook for three days: reconciliation looks that far back.
RECONCILE_WINDOW = timedelta(days=3)


# --- Starting a payment ------------------------------------------------------------------------------


def payment_start(*, application: Application | int, purpose: str, actor: User) -> Payment:
    """Start (or resume) paying what `application` owes for `purpose`, as its applicant.

    Another applicant's application is 404; nothing of that purpose due is 409. An open payment of
    the same purpose and amount is handed back as it is; otherwise a new one is written and
    committed, then its PaymentIntent created with the payment's idempotency key. Stripe out of
    reach leaves the payment without an intent (503): the next call retries with the same key; a
    refusal from Stripe is said as such (502). An attempt being replaced that Stripe took meanwhile
    is recorded first, and what is due after it decides.
    """
    if purpose not in P.values:
        raise DomainError(
            "Choose what to pay: the application fee, the deposit, the balance or the whole program fee.",
            field="purpose",
        )
    pk = application if isinstance(application, int) else application.pk
    try:
        _open_attempts_read(pk, [purpose])
    except stripe.StripeError as error:
        raise _stripe_error(error) from error
    payment = _payment_open(pk, purpose, actor)
    if payment.payment_intent_id:
        return payment
    params = {
        "amount": payment.amount_cents,
        "currency": payment.currency,
        "metadata": _metadata(payment),
        "payment_method_types": ["card"],
    }
    try:
        if payment.purpose == P.DEPOSIT:
            # The deposit's card is saved to the applicant's customer to charge the balance later.
            params["customer"] = stripe_customer_id(payment.application.applicant)
            params["setup_future_usage"] = "off_session"
        intent = stripe_client().v1.payment_intents.create(
            params=params, options={"idempotency_key": payment.idempotency_key}
        )
    except stripe.StripeError as error:
        logger.warning("Creating the PaymentIntent of payment %s failed: %s", payment.pk, error)
        raise _stripe_error(error) from error
    # Two starts racing past the lock both asked Stripe with the same key: the first stored wins.
    # One given up meanwhile (its application ended: payments_open_cancel) stays given up.
    Payment.objects.filter(pk=payment.pk, payment_intent_id__isnull=True, status__in=Payment.OPEN).update(
        payment_intent_id=intent.id,
        client_secret=intent.client_secret,
        status=Payment.Status.REQUIRES_PAYMENT,
    )
    payment.refresh_from_db()
    if payment.status not in Payment.OPEN:
        if payment.payment_intent_id is None:
            try:
                stripe_client().v1.payment_intents.cancel(intent.id)
            except stripe.StripeError as error:
                logger.warning("Cancelling the unused PaymentIntent %s failed: %s", intent.id, error)
        raise DomainError(nothing_due_message(purpose), extra={"purpose": purpose}, status=409)
    return payment


def _open_attempts_read(application_id: int, purposes: list[str]) -> None:
    """Read from Stripe, before any row is locked, the open attempts a start or a charge may give
    up: one Stripe took meanwhile is recorded first, so what is due next counts it. (One taken in
    the moment after is seen when its intent's cancel is refused, and what it overpaid goes back.)"""
    attempts = Payment.objects.filter(
        application_id=application_id,
        purpose__in=purposes,
        status__in=Payment.OPEN,
        payment_intent_id__isnull=False,
    ).values_list("pk", flat=True)
    for payment_id in list(attempts):
        payment_sync(payment_id=payment_id)


def _payment_open(pk: int, purpose: str, actor: User) -> Payment:
    """The open payment of `purpose` for what is due now, written when there is none (committed)."""
    with transaction.atomic():
        # One start at a time per application: two clicks never make two payments.
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("block__rotation", "applicant__user")
            .filter(pk=pk, applicant__user=actor)
            .first()
        )
        if application is None:
            raise DomainError("No such application.", status=404)
        amount = amount_due(application, purpose)
        if not amount:
            raise DomainError(nothing_due_message(purpose), extra={"purpose": purpose}, status=409)
        payment = Payment.objects.filter(
            application=application, purpose=purpose, status__in=Payment.OPEN
        ).first()
        if payment is not None and payment.amount_cents != amount:
            # What is owed changed since: this attempt is for the wrong amount.
            _cancel_intent(payment)
            payment = None
        if payment is None:
            payment = Payment.objects.create(
                application=application, purpose=purpose, amount_cents=amount, currency=application.currency
            )
    payment.application = application
    return payment


def _metadata(payment: Payment) -> dict[str, str]:
    return {
        "payment_id": str(payment.pk),
        "application_id": str(payment.application_id),
        "purpose": payment.purpose,
    }


def stripe_customer_id(applicant: Applicant) -> str:
    """The applicant's Stripe Customer id, created once: the row is made first and its Stripe
    customer created with the row's idempotency key, so two racing starts ask Stripe the same
    question and store the same answer."""
    stored, _ = StripeCustomer.objects.get_or_create(applicant=applicant)
    if stored.customer_id:
        return stored.customer_id
    customer = stripe_client().v1.customers.create(
        params={
            "email": applicant.user.email,
            "name": applicant.legal_name or str(applicant.user),
            "metadata": {"applicant_id": str(applicant.pk)},
        },
        options={"idempotency_key": stored.idempotency_key},
    )
    StripeCustomer.objects.filter(pk=stored.pk, customer_id__isnull=True).update(customer_id=customer.id)
    return StripeCustomer.objects.values_list("customer_id", flat=True).get(pk=stored.pk)


def _cancel_intent(payment: Payment) -> None:
    """Give up an open payment (inside the caller's transaction, its row locked by the caller or
    unseen by others): it is cancelled now, and its intent at Stripe right after the commit
    (payment_intent_cancel), never while the caller's rows are locked. An intent paid in between
    is still seen: payment_sync reads a given-up payment's intent and records what it took."""
    payment.status = Payment.Status.CANCELED
    payment.save(update_fields=["status"])
    if payment.payment_intent_id:
        transaction.on_commit(partial(payment_intent_cancel, payment_id=payment.pk), robust=True)


def payment_intent_cancel(*, payment_id: int) -> Payment:
    """Cancel at Stripe the PaymentIntent of a payment given up, so it can never take money. Stripe
    refuses to cancel an intent that took money already: payment_sync then records the success,
    and what is no longer owed goes back (_succeed)."""
    payment = Payment.objects.get(pk=payment_id)
    try:
        stripe_client().v1.payment_intents.cancel(payment.payment_intent_id)
    except stripe.StripeError as error:
        logger.warning("Cancelling the intent of payment %s failed (%s); reading it", payment.pk, error)
        return payment_sync(payment_id=payment.pk)
    return payment


# --- What Stripe says about a payment ----------------------------------------------------------------

# Stripe's PaymentIntent statuses and ours; a declined card is `requires_payment_method` with an error.
_STATUSES = {
    "requires_payment_method": Payment.Status.REQUIRES_PAYMENT,
    "requires_confirmation": Payment.Status.REQUIRES_PAYMENT,
    "requires_action": Payment.Status.REQUIRES_ACTION,
    "processing": Payment.Status.PROCESSING,
    "requires_capture": Payment.Status.PROCESSING,
    "succeeded": Payment.Status.SUCCEEDED,
    "canceled": Payment.Status.CANCELED,
}


# How often payment_sync reads Stripe again when the payment changed while Stripe answered.
SYNC_READS = 3


def payment_sync(*, payment_id: int) -> Payment:
    """Read the payment's PaymentIntent from Stripe, then apply what it says under the payment's row
    lock. Stripe is asked before the lock is taken, never while it is held (a slow Stripe would
    hold the payment, and with a success the block, for as long as it takes); what it said is
    applied only if the payment is still as it was when Stripe was asked, otherwise Stripe is asked
    again. A payment that succeeded is left alone, so any number of calls in any order end the same.

    Success records the charge and the platform's commission in the ledger and has its effect: the
    application fee is paid, or the deposit/full payment confirms the booking (late: with a fresh
    seat if one is left). When the booking cannot be had (409), the payment is refunded in full at
    once and the applicant told; a busy block (503) rolls everything back and raises, to be retried.
    A decline is recorded with Stripe's message and its intent cancelled first,
    so a new attempt is a new payment; a bank's authentication request is recorded likewise.
    A payment given up (failed or cancelled) changes only if Stripe says its intent took money.
    """
    for _ in range(SYNC_READS):
        seen = Payment.objects.filter(pk=payment_id).values("status", "payment_intent_id").get()
        intent_id = seen["payment_intent_id"]
        if seen["status"] == Payment.Status.SUCCEEDED or not intent_id:
            return Payment.objects.get(pk=payment_id)
        intent = stripe_client().v1.payment_intents.retrieve(intent_id)
        if seen["status"] in Payment.GIVEN_UP and intent.status != "succeeded":
            return Payment.objects.get(pk=payment_id)
        error = getattr(getattr(intent, "last_payment_error", None), "message", None) or ""
        declined = intent.status == "requires_payment_method" and bool(error)
        if declined:
            try:
                stripe_client().v1.payment_intents.cancel(intent_id)
            except stripe.StripeError:
                # Paid with another card meanwhile: the next read of the intent sees it.
                return Payment.objects.get(pk=payment_id)
        refund_id = None
        with transaction.atomic():
            payment = (
                Payment.objects.select_for_update(of=("self",))
                .select_related("application__block__rotation__organization", "application__applicant__user")
                .get(pk=payment_id)
            )
            if (payment.status, payment.payment_intent_id) != (seen["status"], intent_id):
                continue  # changed while Stripe answered: ask again
            status = _STATUSES.get(intent.status, payment.status)
            if status == Payment.Status.SUCCEEDED:
                refund_id = _succeed(payment)
            elif declined:
                payment.status = Payment.Status.FAILED
                payment.failure_message = error
                payment.save(update_fields=["status", "failure_message"])
            else:
                payment.status = status
                if status == Payment.Status.REQUIRES_ACTION:
                    payment.failure_message = error or "The card's bank asks the cardholder to authenticate."
                payment.save(update_fields=["status", "failure_message"])
        if refund_id is not None:
            refund_send(refund_id=refund_id)
            payment.refresh_from_db()
        return payment
    return Payment.objects.get(pk=payment_id)


def _succeed(payment: Payment) -> int | None:
    """Record the success and its effect (inside payment_sync's transaction); returns the id of the
    full refund written when the booking cannot be had, to send once committed."""
    transaction_required("_succeed")
    application = payment.application
    payment.status = Payment.Status.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.failure_message = ""
    payment.save(update_fields=["status", "succeeded_at", "failure_message"])
    _charge_ledger(payment)
    # The booking code decides what the money does (payments.handoff); a busy block raises, and the
    # event's retry or reconciliation decides. Money it refuses gets the refund's notice, no receipt.
    refusal = booking_receiver().payment_received(payment)
    if refusal:
        return _refund_late(payment, DomainError(refusal))
    _receipt_send(payment)
    if payment.purpose == P.APPLICATION_FEE:
        return None
    if payment.purpose == P.BALANCE:
        return _refund_overpaid(payment)
    _others_cancel(payment)
    if payment.purpose == P.DEPOSIT and balance_due_on(application) <= timezone.now().date():
        # Booked inside the balance window: the balance is due already, so the card just saved
        # pays it now rather than at the next daily run.
        enqueue_on_commit(tasks.balance_charge, application.pk)
    return None


def _others_cancel(payment: Payment) -> None:
    """The deposit or whole fee that confirmed the booking leaves the other one's open attempt
    (started, then the applicant chose the other) with nothing to pay: its intent is cancelled.
    Should Stripe take it anyway, it goes back as paid twice (_refund_late)."""
    transaction_required("_others_cancel")
    others = Payment.objects.select_for_update(of=("self",)).filter(
        application_id=payment.application_id, status__in=Payment.OPEN
    )
    for other in others.exclude(pk=payment.pk).select_related("application__block__rotation"):
        if amount_due(other.application, other.purpose):
            continue
        _cancel_intent(other)


def payments_open_cancel(*, application_id: int) -> int:
    """Cancel at Stripe each open payment of the application that nothing is due for any more (the
    application ended, or its purpose was paid another way), so it can no longer take money; returns
    how many were cancelled. Stripe is asked first, outside any lock; an intent Stripe took meanwhile
    is synced instead, and its money goes back under its true reason. Any number of runs end the same."""
    cancelled = 0
    open_payments = Payment.objects.filter(application_id=application_id, status__in=Payment.OPEN)
    for payment in open_payments.select_related("application__block__rotation").order_by("pk"):
        if amount_due(payment.application, payment.purpose) == payment.amount_cents:
            continue  # still owed, or being charged now: it stays
        if payment.application.status == Application.Status.EXPIRED and payment.purpose in (
            P.DEPOSIT,
            P.FULL,
        ):
            continue  # a lapsed hold's payment still books a seat left, late (_succeed)
        if payment.payment_intent_id:
            try:
                stripe_client().v1.payment_intents.cancel(payment.payment_intent_id)
            except stripe.InvalidRequestError:
                # Stripe no longer lets it be cancelled: it succeeded or is on its way.
                payment_sync(payment_id=payment.pk)
                continue
        with transaction.atomic():
            locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
            if locked.status in Payment.OPEN:
                locked.status = Payment.Status.CANCELED
                locked.save(update_fields=["status"])
                cancelled += 1
    return cancelled


def _receipt_send(payment: Payment) -> None:
    """Email the receipt of a payment that just succeeded: once per payment, by its key, whoever
    (webhook, return page, reconciliation) saw the success first."""
    application = payment.application
    lines = "\n".join(f"{label}: {value}" for label, value in receipt_lines(payment))
    notification_send(
        recipient=application.applicant.user,
        key=f"payment:{payment.pk}:receipt",
        subject=f"Receipt: {P(payment.purpose).label.lower()} for {application.block.rotation}",
        body=f"Thank you: your payment was received.\n\n{lines}\n\nPrint this receipt from its page:",
        link=reverse("applicants:payment_receipt", kwargs={"pk": payment.pk}),
    )


def _refund_late(payment: Payment, refusal: Exception) -> int:
    """The booking this payment was for cannot be had: all of it goes back, and the applicant is told."""
    application = Application.objects.select_related("block__rotation", "applicant__user").get(
        pk=payment.application_id
    )
    if payment.purpose == P.APPLICATION_FEE:
        duplicate = application.application_fee_status == Application.FeeStatus.PAID
    else:
        duplicate = application.status in (Application.Status.CONFIRMED, Application.Status.IN_PROGRESS)
    # An offer that lapsed, or a seat gone while awaiting payment, was only late; any other end was
    # the application's own (cancelled, withdrawn, declined...).
    late = application.status in (Application.Status.AWAITING_PAYMENT, Application.Status.EXPIRED)
    if duplicate:
        reason = Refund.Reason.DUPLICATE
    elif late and payment.purpose != P.APPLICATION_FEE:
        reason = Refund.Reason.LATE_PAYMENT
    else:
        reason = Refund.Reason.APPLICATION_ENDED
    logger.info("Refunding payment %s in full (%s): %s", payment.pk, reason, refusal)
    refund = refund_record(payment=payment, amount_cents=payment.amount_cents, reason=reason, actor=None)
    amount = format_cents(payment.amount_cents, payment.currency)
    if payment.purpose == P.APPLICATION_FEE:
        why = "the fee was already paid" if duplicate else "your application had ended"
    elif duplicate:
        why = "your booking was already paid"
    elif reason == Refund.Reason.LATE_PAYMENT:
        why = f"your seat on {application.block} was no longer held and the block has no seat left"
    elif application.status == Application.Status.CANCELLED:
        why = f"your booking for {application.block} was cancelled"
    else:
        why = "your application had ended"
    notification_send(
        recipient=application.applicant.user,
        key=f"payment:{payment.pk}:refunded_in_full",
        subject=f"Your payment was refunded: {application.block.rotation}",
        body=f"Your payment of {amount} arrived after {why}, so it is refunded to your card in full.",
        link=reverse("applicants:application_detail", kwargs={"pk": application.pk}),
    )
    return refund.pk


def _refund_overpaid(payment: Payment) -> int | None:
    """A balance payment that took more than the program fee still owed (a date change to a cheaper
    block or another payment got there first) gives the excess back at once, and the applicant is
    told: the balance may succeed more than once, but the fee is never paid twice."""
    application = Application.objects.select_related("block__rotation", "applicant__user").get(
        pk=payment.application_id
    )
    excess = program_fee_paid_cents(application) - application_terms(application).program_fee_cents
    if excess <= 0:
        return None
    amount = min(excess, payment.amount_cents)
    refund = refund_record(payment=payment, amount_cents=amount, reason=Refund.Reason.DUPLICATE, actor=None)
    notification_send(
        recipient=application.applicant.user,
        key=f"payment:{payment.pk}:overpaid",
        subject=f"Part of your payment was refunded: {application.block.rotation}",
        body=f"Your payment of {format_cents(payment.amount_cents, payment.currency)} was more than the "
        f"program fee still owed, so {format_cents(amount, payment.currency)} is refunded to your card.",
        link=reverse("applicants:application_detail", kwargs={"pk": application.pk}),
    )
    return refund.pk


def _charge_ledger(payment: Payment) -> None:
    """A payment that succeeded, in the ledger: its charge, and the platform's commission on it
    (amo.money.commission_cents, at the host's rate now)."""
    rate_bps = payment.application.block.rotation.organization.commission_rate_bps
    _ledger(payment, LedgerEntry.Kind.CHARGE, payment.amount_cents)
    _ledger(payment, LedgerEntry.Kind.COMMISSION, -commission_cents(payment.amount_cents, rate_bps))


def _ledger(payment: Payment, kind: str, amount_cents: int, refund: Refund | None = None) -> None:
    if amount_cents:
        LedgerEntry.objects.create(
            organization_id=payment.application.block.rotation.organization_id,
            payment=payment,
            refund=refund,
            kind=kind,
            amount_cents=amount_cents,
            currency=payment.currency,
        )


# --- The balance ------------------------------------------------------------------------------------

# After the saved card failed (or none was saved), the applicant has this long to pay through the link.
BALANCE_GRACE = timedelta(days=7)
NO_SAVED_CARD = "No card was saved with the deposit."


def balances_due_charge() -> dict[str, int]:
    """Daily: charge what each confirmed booking owes of its program fee once it is due (the balance
    on its due date, or what a date change left owing: payments.selectors.balance_due_now) to the
    card saved with its deposit, off-session; then cancel the bookings still unpaid past their
    deadline. Any number of runs charge each amount due once (one off-session balance payment per
    application and due key, by a unique constraint)."""
    today = timezone.now().date()
    candidates = (
        Application.objects.filter(status__in=[Application.Status.CONFIRMED, Application.Status.IN_PROGRESS])
        .annotate(paid_cents=program_fee_paid_expression(), due_key=balance_due_key_expression())
        .filter(paid_cents__lt=F("program_fee_cents"))  # the agreed fee (applicants.terms)
        .exclude(
            # Charged (or tried) already; one written but not yet sent to Stripe is sent again.
            Exists(
                Payment.objects.filter(
                    application=OuterRef("pk"),
                    purpose=P.BALANCE,
                    off_session=True,
                    due_key=OuterRef("due_key"),
                ).exclude(status=Payment.Status.CREATED)
            )
        )
        .select_related("block__rotation")
        .order_by("block__start_date", "pk")
    )
    counts = {"charged": 0, "failed": 0, "cancelled": 0, "errors": 0}
    for application in candidates:
        if not balance_due_now(application, today=today):
            continue
        try:
            payment = balance_charge(application_id=application.pk)
        except Exception:
            logger.exception("Charging the balance of application %s failed", application.pk)
            counts["errors"] += 1
            continue
        if payment is None:
            continue
        if payment.status == Payment.Status.SUCCEEDED:
            counts["charged"] += 1
        elif payment.status == Payment.Status.FAILED:
            counts["failed"] += 1
    counts["cancelled"] = balances_overdue_cancel()
    return counts


def _saved_card(applicant: Applicant) -> tuple[str, str] | tuple[None, None]:
    """The applicant's Stripe customer and the card saved to it (the newest), or (None, None)."""
    customer_id = (
        StripeCustomer.objects.filter(applicant=applicant).values_list("customer_id", flat=True).first()
    )
    if not customer_id:
        return None, None
    cards = stripe_client().v1.payment_methods.list(params={"customer": customer_id, "type": "card"})
    return (customer_id, cards.data[0].id) if cards.data else (None, None)


def balance_charge(*, application_id: int) -> Payment | None:
    """Charge what one confirmed booking owes of its program fee, once it is due, to its saved
    card, off-session, once per amount due: its balance on the due date, or the difference a date
    change to a dearer block made due at once (payments.selectors.balance_due_key names which).

    The off-session balance payment is written and committed first; its PaymentIntent is created
    and confirmed with the payment's idempotency key, so a retry after any failure charges once.
    Success goes the payment_sync way (ledger). When the bank asks for authentication, declines, or
    no card was saved, the payment is failed, a deadline 7 days on is stored and the applicant is
    sent the pay link. None when nothing is (or is any longer) due.
    """
    application = Application.objects.select_related("applicant__user").get(pk=application_id)
    customer_id, card = _saved_card(application.applicant)
    # The pay link's payment paid meanwhile is recorded as Stripe says, and nothing more is charged.
    _open_attempts_read(application_id, [P.BALANCE])
    payment = _balance_payment(application_id, card)
    if payment is None:
        return None
    if payment.status != Payment.Status.CREATED or payment.payment_intent_id:
        return payment  # charged (or tried) already: today's second run
    if card is None:
        with transaction.atomic():
            payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
            return _balance_unpaid(payment, NO_SAVED_CARD)
    return _balance_confirm(payment, customer_id, card)


def _balance_payment(application_id: int, card: str | None) -> Payment | None:
    """The off-session balance payment of the amount due now, written (and committed) when there is
    none; None when nothing is due now. Without a card, a new one is unpaid at once."""
    with transaction.atomic():
        # The booking's row lock orders this after a date change being approved (block_change_decide).
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("block__rotation")
            .get(pk=application_id)
        )
        key = balance_due_key(locked)
        payment = Payment.objects.filter(
            application=locked, purpose=P.BALANCE, off_session=True, due_key=key
        ).first()
        if payment is None:
            amount = amount_due(locked, P.BALANCE)
            if not amount or not balance_due_now(locked):
                return None
            stale = Payment.objects.filter(
                application=locked, purpose=P.BALANCE, status__in=Payment.OPEN
            ).first()
            if stale is not None:
                # A pay-page attempt left open: given up, so the saved card is the one charge.
                _cancel_intent(stale)
            payment = Payment.objects.create(
                application=locked,
                purpose=P.BALANCE,
                amount_cents=amount,
                currency=locked.currency,
                off_session=True,
                due_key=key,
            )
            if card is None:
                return _balance_unpaid(payment, NO_SAVED_CARD)
    return payment


def _balance_confirm(payment: Payment, customer_id: str, card: str) -> Payment:
    """Charge the off-session balance payment to the saved card and apply what Stripe says."""
    try:
        intent = stripe_client().v1.payment_intents.create(
            params={
                "amount": payment.amount_cents,
                "currency": payment.currency,
                "customer": customer_id,
                "payment_method": card,
                "off_session": True,
                "confirm": True,
                "metadata": _metadata(payment),
                "payment_method_types": ["card"],
            },
            options={"idempotency_key": payment.idempotency_key},
        )
    except stripe.CardError as error:
        # Authentication required, or declined: Stripe's error carries the PaymentIntent.
        intent = getattr(error.error, "payment_intent", None)
        if intent is None:
            with transaction.atomic():
                payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
                return _balance_unpaid(payment, error.user_message or str(error))
    except (stripe.InvalidRequestError, stripe.PermissionError) as error:
        # The saved card cannot be charged (detached, expired, the customer gone): the pay link.
        with transaction.atomic():
            payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
            return _balance_unpaid(payment, f"Stripe refused the saved card: {error.user_message or error}")
    Payment.objects.filter(pk=payment.pk, payment_intent_id__isnull=True).update(
        payment_intent_id=intent.id, status=Payment.Status.PROCESSING
    )
    payment = payment_sync(payment_id=payment.pk)
    if payment.status in (Payment.Status.FAILED, Payment.Status.REQUIRES_ACTION, Payment.Status.CANCELED):
        with transaction.atomic():
            payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
            return _balance_unpaid(payment, payment.failure_message)
    return payment


def _balance_unpaid(payment: Payment, message: str) -> Payment:
    """The saved card did not pay the balance (inside the caller's transaction, the payment locked):
    failed, with a deadline 7 days on, the applicant sent the pay link, and the booking told
    (payments.handoff), which reminds them a day before the deadline. Once per payment."""
    if payment.balance_deadline is not None:
        return payment
    if payment.status in Payment.OPEN:
        if payment.payment_intent_id:  # never left to succeed later without us
            transaction.on_commit(partial(payment_intent_cancel, payment_id=payment.pk), robust=True)
        payment.status = Payment.Status.FAILED
    payment.failure_message = message or payment.failure_message
    payment.balance_deadline = timezone.now() + BALANCE_GRACE
    payment.save(update_fields=["status", "failure_message", "balance_deadline"])
    booking_receiver().balance_deadline_set(payment.application_id)
    application = Application.objects.select_related("block__rotation", "applicant__user").get(
        pk=payment.application_id
    )
    amount = format_cents(payment.amount_cents, payment.currency)
    deadline = f"{moment_label(payment.balance_deadline)} UTC"
    why = (
        "no card was saved with your deposit" if message == NO_SAVED_CARD else f"the charge failed: {message}"
    )
    notification_send(
        recipient=application.applicant.user,
        key=f"payment:{payment.pk}:balance_unpaid",
        subject=f"Pay your balance by {day_label(payment.balance_deadline)}: {application.block.rotation}",
        body=f"The balance of {amount} for {application.block} is due, and your saved card was not "
        f"charged ({why}). Pay it through the link by {deadline}, or your booking will be cancelled "
        "under the cancellation policy and the seat offered to the waitlist.",
        link=reverse("applicants:application_pay", kwargs={"pk": application.pk, "purpose": P.BALANCE}),
    )
    return payment


def balances_overdue_cancel() -> int:
    """Cancel, as the system, each booking whose balance (what is due of its program fee now) is
    still unpaid past its deadline; the seat goes to the waitlist and both sides are told
    (through payments.handoff: the booking code cancels). Returns how many were cancelled."""
    overdue = (
        Payment.objects.filter(
            purpose=P.BALANCE,
            off_session=True,
            balance_deadline__lte=timezone.now(),
            application__status=Application.Status.CONFIRMED,
        )
        .select_related("application__block__rotation")
        .order_by("balance_deadline", "pk")
    )
    cancelled = 0
    for payment in overdue:
        application = payment.application
        if payment.due_key != balance_due_key(application) or not balance_due_now(application):
            # A date change since made a new amount due (its own charge and deadline decide) or
            # moved the booking to a block whose balance is not due yet.
            continue
        if not amount_due(application, P.BALANCE):
            continue  # paid through the link meanwhile
        if Payment.objects.filter(
            application=application, purpose=P.BALANCE, status=Payment.Status.PROCESSING
        ).exists():
            continue  # a payment is on its way: its outcome decides
        try:
            booking_receiver().balance_unpaid(
                application.pk, f"The balance was not paid by {day_label(payment.balance_deadline)}."
            )
        except DomainError as refusal:
            logger.warning(
                "Cancelling application %s for its unpaid balance failed: %s", application.pk, refusal
            )
            continue
        cancelled += 1
    return cancelled


# --- A date change's price difference ------------------------------------------------------------------


def block_change_money_settle(
    *, application: Application, to_block: Block, to_terms: Terms, actor: User | None
) -> PriceDifference:
    """Apply the price difference of moving `application`'s booking to `to_block` at `to_terms` (those
    quoted when the applicant asked), inside the approval's transaction (applicants.services
    .block_change_decide, the booking's row locked; `application` still carries the block it
    leaves). The payments stay with the application and the quoted program fee is what counts.

    The program fee paid, net, is read under the payments' row locks. Paid above the new fee: the
    excess is refunded, split over the payments newest first, written here and sent to Stripe by the
    worker after commit; a retried approval finds nothing more to refund. Owed: it joins the balance,
    or when due now (payments.selectors.balance_due_now) the worker charges it after commit
    (balance_charge: the saved card, else the pay link and 7 days). A balance payment still open for
    another amount is cancelled, so it cannot take what is no longer owed.
    """
    transaction_required("block_change_money_settle")
    paid = list(
        Payment.objects.select_for_update(of=("self",))
        .filter(application=application, status=Payment.Status.SUCCEEDED, purpose__in=Payment.PROGRAM_FEE)
        .order_by("-succeeded_at", "-pk")
    )
    difference = price_difference(
        application=application,
        to_block=to_block,
        to_terms=to_terms,
        paid_cents=sum(payment.refundable_cents for payment in paid),
        settled=any(payment.purpose in (P.BALANCE, P.FULL) for payment in paid),
    )
    left = difference.refund_cents
    for payment in paid:
        part = min(left, payment.refundable_cents)
        if part:
            refund = refund_record(
                payment=payment, amount_cents=part, reason=Refund.Reason.PRICE_DIFFERENCE, actor=actor
            )
            enqueue_on_commit(tasks.refund_send, refund.pk)
            left -= part
    stale = Payment.objects.select_for_update(of=("self",)).filter(
        application=application, purpose=P.BALANCE, status__in=Payment.OPEN
    )
    for payment in stale.exclude(amount_cents=difference.owed_cents):
        _cancel_intent(payment)
    if difference.charge_cents:
        enqueue_on_commit(tasks.balance_charge, application.pk)
    return difference


# --- Refunds -----------------------------------------------------------------------------------------


def refund_create(
    *, payment: Payment | int, amount_cents: int, reason: str, actor: User | None = None, note: str = ""
) -> Refund:
    """Give back `amount_cents` of a succeeded payment: never 0 or less, never more than is left.

    The refund is written and the payment's refunded_cents raised in one transaction under the
    payment's row lock (a check constraint stands behind it), then sent to Stripe with the refund's
    idempotency key. A Stripe error leaves it pending; reconciliation sends it again with that key.
    """
    pk = payment if isinstance(payment, int) else payment.pk
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=pk)
        refund = refund_record(
            payment=locked, amount_cents=amount_cents, reason=reason, actor=actor, note=note
        )
    return refund_send(refund_id=refund.pk)


def refund_by_staff(*, payment: Payment | int, amount_cents: int, note: str, actor: User) -> Refund:
    """Staff give back any amount of a succeeded payment up to what is left of it, saying why; the
    applicant is told. Checked again under the payment's row lock (refund_create); a refusal (not
    staff, no reason, nothing, more than is left, a payment that did not succeed) writes nothing."""
    if actor is None or not actor.is_active or not actor.is_staff:
        raise DomainError("Only staff refund payments.", status=403)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise DomainError("A refund is a whole number of cents.", field="amount_cents")
    note = bounded_text(note, field="note", max_chars=MAX_REASON_CHARS, what="the reason")
    if not note:
        raise DomainError("Say why the money goes back; the applicant is told.", field="note")
    refund = refund_create(
        payment=payment, amount_cents=amount_cents, reason=Refund.Reason.STAFF, actor=actor, note=note
    )
    application = Application.objects.select_related("applicant__user", "block__rotation").get(
        pk=refund.payment.application_id
    )
    notification_send(
        recipient=application.applicant.user,
        key=f"refund:{refund.pk}",
        subject=f"A refund from our staff: {application.block.rotation}",
        body=f"Our staff refunded {format_cents(refund.amount_cents, refund.payment.currency)} of your "
        f"{refund.payment.get_purpose_display().lower()} to your card.\n\nTheir reason: {note}",
        link=reverse("applicants:application_detail", kwargs={"pk": application.pk}),
    )
    return refund


# Sent this many times without Stripe's answer (unreachable, rate-limited, erring), a refund is failed
# for staff to act on: the worker's retries and a few days of reconciliation.
REFUND_MAX_ATTEMPTS = 10
# Stripe's refusals that no resend changes (the charge was refunded or disputed already, the amount
# is above what is left, the payment is unknown to this account): failed at once.
REFUSED_FOR_GOOD = (stripe.InvalidRequestError, stripe.CardError, stripe.PermissionError)


def refund_send(*, refund_id: int) -> Refund:
    """Send a pending refund to Stripe (its idempotency key makes a resend harmless) and, once Stripe
    took it, record it in the ledger: the refund, and the commission given back in proportion.

    A refusal Stripe would repeat, or a refund Stripe says failed, ends FAILED with Stripe's reason;
    one Stripe did not answer stays pending for the next try, REFUND_MAX_ATTEMPTS at most, then is
    FAILED too. A failed refund is staff's to send again (refund_retry) or to record as paid back
    another way (refund_paid_elsewhere); it stays counted in the payment's refunded_cents, as owed.
    """
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING:
        return refund
    if refund.payment.payment_intent_id is None:
        # Money staff recorded as received another way never went through Stripe: it goes back the
        # way it came, by staff, who record it as paid back (refund_paid_elsewhere).
        method = refund.payment.get_method_display().lower()
        return _refund_fail(refund_id, f"Received by {method}, not through Stripe: pay it back the same way.")
    try:
        sent = stripe_client().v1.refunds.create(
            params={
                "payment_intent": refund.payment.payment_intent_id,
                "amount": refund.amount_cents,
                "metadata": {"refund_id": str(refund.pk), "payment_id": str(refund.payment_id)},
            },
            options={"idempotency_key": refund.idempotency_key},
        )
    except REFUSED_FOR_GOOD as error:
        logger.warning("Stripe refused refund %s: %s", refund.pk, error)
        return _refund_fail(refund_id, f"Stripe refused it: {error.user_message or error}")
    except stripe.StripeError as error:
        logger.warning("Sending refund %s to Stripe failed; it stays pending: %s", refund.pk, error)
        return _refund_unanswered(refund_id, error)
    if sent.status in ("failed", "canceled"):
        reason = getattr(sent, "failure_reason", None) or sent.status
        return _refund_fail(refund_id, f"Stripe could not return the money ({reason}).")
    return _refund_succeed(refund_id, stripe_refund_id=sent.id)


def _refund_succeed(refund_id: int, **how) -> Refund:
    """Record a pending or failed refund as given back (by Stripe's refund id, or `method` and
    `reference` outside Stripe) with its ledger entries, under the payment's and refund's locks."""
    with transaction.atomic():
        refund = Refund.objects.select_related("payment").get(pk=refund_id)
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("application__block__rotation")
            .get(pk=refund.payment_id)
        )
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == Refund.Status.SUCCEEDED:
            return refund
        refund.status = Refund.Status.SUCCEEDED
        for field, value in how.items():
            setattr(refund, field, value)
        refund.save(update_fields=["status", *how])
        _ledger(payment, LedgerEntry.Kind.REFUND, -refund.amount_cents, refund)
        _ledger(payment, LedgerEntry.Kind.COMMISSION_REVERSAL, _commission_back(payment), refund)
    return refund


def _refund_fail(refund_id: int, message: str) -> Refund:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == Refund.Status.PENDING:
            refund.status = Refund.Status.FAILED
            refund.failure_message = message
            refund.save(update_fields=["status", "failure_message"])
    return refund


def _refund_unanswered(refund_id: int, error: stripe.StripeError) -> Refund:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != Refund.Status.PENDING:
            return refund
        refund.attempts += 1
        refund.save(update_fields=["attempts"])
    if refund.attempts >= REFUND_MAX_ATTEMPTS:
        return _refund_fail(
            refund_id, f"Stripe did not take it after {refund.attempts} tries; its last answer: {error}"
        )
    return refund


def _refund_failed_locked(refund: Refund | int, actor: User) -> Refund:
    """The failed refund staff act on, locked (inside the caller's transaction)."""
    transaction_required("_refund_failed_locked")
    if actor is None or not actor.is_active or not actor.is_staff:
        raise DomainError("Only staff act on failed refunds.", status=403)
    pk = refund if isinstance(refund, int) else refund.pk
    locked = Refund.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise DomainError("No such refund.", status=404)
    if locked.status != Refund.Status.FAILED:
        raise DomainError(f"This refund is {locked.get_status_display().lower()}, not failed.", status=409)
    return locked


def refund_retry(*, refund: Refund | int, actor: User) -> Refund:
    """Staff send a failed refund to Stripe again (say, once the card network's problem is solved):
    pending again under a fresh idempotency key, since Stripe would replay its refusal of the old one
    (a failed refund never moved money, so a new key cannot return it twice), then sent."""
    with transaction.atomic():
        locked = _refund_failed_locked(refund, actor)
        locked.status = Refund.Status.PENDING
        locked.attempts = 0
        locked.failure_message = ""
        locked.stripe_key = uuid.uuid4()
        locked.save(update_fields=["status", "attempts", "failure_message", "stripe_key"])
    logger.info("Refund %s sent again by %s", locked.pk, actor.pk)
    return refund_send(refund_id=locked.pk)


def refund_paid_elsewhere(*, refund: Refund | int, method: str, reference: str, actor: User) -> Refund:
    """Staff record that a failed refund was paid back outside Stripe (a bank transfer, a cheque),
    with how and its reference: it is given back, and the ledger records it as a Stripe refund."""
    method = single_line_text(
        bounded_text(method, field="method", max_chars=64, what="how it was paid back"), field="method"
    )
    reference = single_line_text(
        bounded_text(reference, field="reference", max_chars=255, what="the reference"), field="reference"
    )
    if not method:
        raise DomainError("Say how the money was paid back (a bank transfer, a cheque...).", field="method")
    if not reference:
        raise DomainError("Give the transfer's or cheque's reference.", field="reference")
    pk = refund if isinstance(refund, int) else refund.pk
    with transaction.atomic():
        # The payment's lock first, as every refund write takes it.
        payment_id = Refund.objects.filter(pk=pk).values_list("payment_id", flat=True).first()
        Payment.objects.select_for_update().filter(pk=payment_id).first()
        locked = _refund_failed_locked(pk, actor)
        refund = _refund_succeed(locked.pk, method=method, reference=reference)
    logger.info("Refund %s recorded as paid back by %s (%s) by %s", refund.pk, method, reference, actor.pk)
    return refund


def _commission_back(payment: Payment) -> int:
    """The commission the refund just recorded gives back: what all of the payment's refunds give
    back by now (amo.money.commission_back_cents) less what the earlier ones gave, so a full
    refund nets to zero to the cent however it was split (called under the payment's row lock)."""
    kinds = LedgerEntry.Kind
    ledger = LedgerEntry.objects.filter(payment=payment).aggregate(
        taken=Sum("amount_cents", filter=Q(kind=kinds.COMMISSION)),
        given=Sum("amount_cents", filter=Q(kind=kinds.COMMISSION_REVERSAL)),
    )
    refunded = Refund.objects.filter(payment=payment, status=Refund.Status.SUCCEEDED).aggregate(
        s=Sum("amount_cents")
    )["s"]
    given_by_now = commission_back_cents(
        commission_cents=-(ledger["taken"] or 0),
        amount_cents=payment.amount_cents,
        refunded_cents=refunded or 0,
    )
    return given_by_now - (ledger["given"] or 0)


# --- Money received another way -------------------------------------------------------------------

MAX_REFERENCE_CHARS = 200
# What staff may record as received another way: the program fee's purposes.
RECEIVED_PURPOSES = [P.DEPOSIT, P.FULL, P.BALANCE]


def payment_record_received(
    *, application: Application | int, purpose: str, method: str, reference: str, actor: User
) -> Payment:
    """Staff record money received for `application` another way than by card through Stripe (a
    bank transfer, cash): the amount due now for `purpose`, as a payment that succeeded, with its
    method and reference, in the ledger like any other (charge and commission), and with its
    effect: a deposit or the whole fee confirms the booking through the booking's own hand-off
    (payments.handoff, with staff as the actor; a lapsed hold takes a seat afresh if one is left,
    else it is refused), and the balance asks for what is left. A card attempt left open for it is
    given up, and the applicant is sent a receipt. A refusal (not staff, nothing due, no reference,
    a booking that cannot be confirmed) writes nothing."""
    if actor is None or not actor.is_active or not actor.is_staff:
        raise DomainError("Only staff record money received another way.", status=403)
    if purpose not in RECEIVED_PURPOSES:
        raise DomainError("Record a deposit, the whole program fee or the balance.", field="purpose")
    if method not in Payment.Method.values or method == Payment.Method.CARD:
        raise DomainError("Say how the money was received: bank transfer, cash or other.", field="method")
    reference = single_line_text(
        bounded_text(reference, field="reference", max_chars=MAX_REFERENCE_CHARS, what="the reference"),
        field="reference",
    )
    if not reference:
        raise DomainError("Give the transfer's reference or the receipt's number.", field="reference")
    pk = application if isinstance(application, int) else application.pk
    with transaction.atomic():
        if purpose != P.BALANCE:
            # A deposit or whole fee books the seat: its block first, the order every seat change keeps.
            lock_block(Application.objects.values_list("block_id", flat=True).get(pk=pk))
        # What is due is read under the booking's row lock, so a card payment committing meanwhile
        # is seen here (or waits), never paid twice beside it.
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("block__rotation__organization", "applicant__user")
            .get(pk=pk)
        )
        amount = amount_due(application, purpose)
        if not amount:
            raise DomainError(nothing_due_message(purpose), field="purpose", status=409)
        superseded = [purpose] if purpose == P.BALANCE else [P.DEPOSIT, P.FULL]
        for attempt in Payment.objects.select_for_update(of=("self",)).filter(
            application=application, purpose__in=superseded, status__in=Payment.OPEN
        ):
            _cancel_intent(attempt)
        payment = Payment.objects.create(
            application=application,
            purpose=purpose,
            amount_cents=amount,
            currency=application.currency,
            method=method,
            reference=reference,
            recorded_by=actor,
            status=Payment.Status.SUCCEEDED,
            succeeded_at=timezone.now(),
        )
        _charge_ledger(payment)
        # The booking decides what the money does, as for a card payment (payments.handoff); a
        # deposit or whole fee it cannot book is refused here and nothing is written.
        refusal = booking_receiver().payment_received(payment)
        if refusal:
            raise DomainError(refusal, status=409)
        _receipt_send(payment)
    logger.info("Payment %s received by %s recorded by %s", payment.pk, method, actor.pk)
    return payment


# --- Payouts ----------------------------------------------------------------------------------------


def payout_record(*, organization: Organization | int, amount_cents: int, actor: User) -> LedgerEntry:
    """Record, as staff, a payout of `amount_cents` sent to the host: a PAYOUT entry taking it off
    the host's balance. More than nothing and at most the balance, checked under the organization's
    row lock, so two payouts at once never overdraw it; a refusal writes nothing.

    Refunds after a payout can take the balance below zero (the money went to the host already).
    That negative balance is carried: no payout is possible until new charges bring the balance
    above zero, so it is deducted from the next payout, to the cent."""
    if actor is None or not actor.is_staff:
        raise DomainError("Only staff record payouts.", status=403)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise DomainError("A payout must be a positive whole number of cents.", field="amount_cents")
    pk = organization if isinstance(organization, int) else organization.pk
    with transaction.atomic():
        locked = Organization.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise DomainError("No such organization.", status=404)
        balance = organization_balance(organization=locked)
        if balance <= 0:
            raise DomainError(
                f"Nothing can be paid out: the balance is {format_cents(balance)}. A negative balance "
                "(refunds after the last payout) is deducted from the next payout, once new charges "
                "bring the balance above zero.",
                extra={"balance_cents": balance},
                field="amount_cents",
                status=409,
            )
        if amount_cents > balance:
            raise DomainError(
                f"A payout can be at most the balance, {format_cents(balance)}.",
                extra={"balance_cents": balance},
                field="amount_cents",
                status=409,
            )
        entry = LedgerEntry.objects.create(
            organization=locked, kind=LedgerEntry.Kind.PAYOUT, amount_cents=-amount_cents, currency="usd"
        )
    logger.info("Payout of %s cents to organization %s recorded by %s", amount_cents, pk, actor.pk)
    return entry


# --- Stripe's webhook events ---------------------------------------------------------------------------


def stripe_event_receive(*, event_id: str, event_type: str, payload: dict) -> bool:
    """Store a verified webhook event once by its id and have the worker process it after commit;
    False (and nothing done) for an event already received."""
    with transaction.atomic():
        event, created = StripeEvent.objects.get_or_create(
            event_id=event_id, defaults={"type": event_type, "payload": payload}
        )
        if created:
            # A broker that is down must not turn Stripe's delivery into a 500: the event is stored,
            # and reconciliation processes what was never enqueued.
            enqueue_on_commit(tasks.stripe_event_process, event_id)
    return created


def stripe_event_process(*, event_id: str) -> StripeEvent:
    """Act on one stored event: a PaymentIntent's event syncs its payment from Stripe (never from
    the event's copy). Marks it processed, or records the error and raises it for a retry.

    An intent that is not ours (another integration on the same Stripe account) is recorded as
    processed with what was found and left alone: no retry would make it ours. Ours is an intent a
    payment row holds, or one whose metadata names a payment row still waiting to store it (created
    at Stripe a moment before payment_start stored it): that one is retried."""
    event = StripeEvent.objects.get(event_id=event_id)
    if event.processed_at is not None:
        return event
    note = ""
    try:
        if event.type.startswith("payment_intent."):
            intent = event.payload.get("data", {}).get("object", {})
            payment_id = (
                Payment.objects.filter(payment_intent_id=intent.get("id"))
                .values_list("pk", flat=True)
                .first()
            )
            if payment_id is not None:
                payment_sync(payment_id=payment_id)
            elif _awaits_its_intent(intent):
                raise LookupError(
                    f"The payment of the PaymentIntent {intent.get('id')!r} has not stored it yet."
                )
            else:
                note = f"Not ours: no payment has the PaymentIntent {intent.get('id')!r}; left alone."
                logger.info("Stripe event %s: %s", event_id, note)
    except Exception as error:
        StripeEvent.objects.filter(pk=event.pk).update(error=f"{type(error).__name__}: {error}"[:2000])
        raise
    StripeEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), error=note)
    event.refresh_from_db()
    return event


def _awaits_its_intent(intent: dict) -> bool:
    """Whether the intent's metadata names a payment of ours that has no intent stored yet."""
    metadata = intent.get("metadata") or {}
    payment_id = str(metadata.get("payment_id", ""))
    return (
        payment_id.isdigit()
        and Payment.objects.filter(
            pk=int(payment_id),
            application_id=str(metadata.get("application_id", "")) or None,
            payment_intent_id__isnull=True,
            status=Payment.Status.CREATED,
        ).exists()
    )


def _events_fetch(since) -> int:
    """Store the PaymentIntent events Stripe made since `since` that never reached the webhook (for
    our own payments only: another integration's intents are not ours to act on); returns how many
    were new. Stored this way, they are processed like delivered ones."""
    stored = 0
    params = {"created": {"gte": int(since.timestamp())}, "limit": 100}
    while True:
        page = stripe_client().v1.events.list(params=params)
        events = [event for event in page.data if event.type.startswith("payment_intent.")]
        ours = set(
            Payment.objects.filter(
                payment_intent_id__in=[event.data.object.id for event in events]
            ).values_list("payment_intent_id", flat=True)
        )
        for event in events:
            if event.data.object.id in ours:
                stored += stripe_event_receive(
                    event_id=event.id, event_type=event.type, payload=event.to_dict()
                )
        if not page.has_more or not page.data:
            return stored
        params["starting_after"] = page.data[-1].id


def payments_reconcile() -> dict[str, int]:
    """Repair what a lost webhook or a failed call left behind: store Stripe's events of the last
    three days that never arrived, re-read from Stripe every payment still open from those days,
    send refunds still pending, and process stored events not yet processed. Each is independent;
    one failing does not stop the others."""
    since = timezone.now() - RECONCILE_WINDOW
    counts = {"payments": 0, "refunds": 0, "events": 0, "open_reviewed": 0, "errors": 0, "events_fetched": 0}
    try:
        counts["events_fetched"] = _events_fetch(since)
    except stripe.StripeError:
        logger.exception("Listing Stripe's recent events failed; the payments are still re-read")
        counts["errors"] += 1
    open_payments = Payment.objects.filter(
        status__in=Payment.OPEN, payment_intent_id__isnull=False, created_at__gte=since
    ).values_list("pk", flat=True)
    work = [
        ("payments", payment_sync, "payment_id", list(open_payments)),
        (
            "refunds",
            refund_send,
            "refund_id",
            list(Refund.objects.filter(status=Refund.Status.PENDING).values_list("pk", flat=True)),
        ),
        (
            "events",
            stripe_event_process,
            "event_id",
            # Those of the window only: an older one kept failing, its error is on it for staff.
            list(
                StripeEvent.objects.filter(processed_at__isnull=True, received_at__gte=since).values_list(
                    "event_id", flat=True
                )
            ),
        ),
        (
            # An application that ended or a purpose paid meanwhile left an attempt open.
            "open_reviewed",
            payments_open_cancel,
            "application_id",
            list(
                Payment.objects.filter(status__in=Payment.OPEN)
                .order_by("application_id")
                .values_list("application_id", flat=True)
                .distinct()
            ),
        ),
    ]
    for what, service, argument, ids in work:
        for pk in ids:
            try:
                service(**{argument: pk})
                counts[what] += 1
            except Exception:
                logger.exception("Reconciling %s %s failed", what, pk)
                counts["errors"] += 1
    return counts
