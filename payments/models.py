"""Money: payments (one per PaymentIntent), their refunds, Stripe's events, and the ledger.

Written only by payments/services.py. Amounts are integer cents in the payment's currency.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from amo.audit import tracked
from amo.money import format_cents


def STRIPE_KEY_FIELD() -> models.UUIDField:  # noqa: N802 - reads as the field it makes
    """A row's own idempotency key for Stripe. Stripe keeps a key for 24 hours per account, across
    every database that talks to it (a fresh test or demo database counts its ids from 1 again),
    so keys come from a random id of the row, not from its primary key."""
    return models.UUIDField(default=uuid.uuid4, editable=False, unique=True)


class PaymentQuerySet(models.QuerySet):
    def paid(self) -> PaymentQuerySet:
        """The payments that count as paid: Stripe took the money and not all of it is given back.
        A payment refunded in full (a duplicate, one that arrived after its application ended, one
        superseded by the other way of paying) pays for nothing, whatever its status says. The one
        definition every "is it paid" reader uses."""
        return self.filter(status=Payment.Status.SUCCEEDED, refunded_cents__lt=F("amount_cents"))


# The client secret completes a payment for whoever holds it: history keeps no copy of it.
@tracked(exclude=["client_secret"])
class Payment(models.Model):
    """One attempt to collect one amount for one purpose of an application, backed by one Stripe
    PaymentIntent. Stripe's word (the webhook or a server-side fetch) moves its status, never the
    browser's return. Money staff received another way (a bank transfer, cash) is a payment too,
    recorded as succeeded with its method and reference and no PaymentIntent
    (payments.services.payment_record_received)."""

    class Method(models.TextChoices):
        CARD = "card", "Card, through Stripe"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CASH = "cash", "Cash"
        OTHER = "other", "Other"

    class Purpose(models.TextChoices):
        APPLICATION_FEE = "application_fee", "Application fee"
        DEPOSIT = "deposit", "Deposit"
        BALANCE = "balance", "Balance"
        FULL = "full", "Program fee in full"

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        REQUIRES_PAYMENT = "requires_payment", "Awaiting payment details"
        REQUIRES_ACTION = "requires_action", "Awaiting authentication"
        PROCESSING = "processing", "Processing"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    # Statuses in which the payment may still succeed: one such per application and purpose.
    OPEN = [Status.CREATED, Status.REQUIRES_PAYMENT, Status.REQUIRES_ACTION, Status.PROCESSING]
    # Statuses of a payment given up: its intent cancelled (or being cancelled) at Stripe. One that
    # Stripe still reports paid is recorded as succeeded (payments.services.payment_sync).
    GIVEN_UP = [Status.FAILED, Status.CANCELED]
    # The purposes that pay the program fee (the application fee is apart from it).
    PROGRAM_FEE = [Purpose.DEPOSIT, Purpose.FULL, Purpose.BALANCE]
    # The due key of the booking's own balance; an approved date change starts a new one
    # ("block-change:<id>"), so the price difference it makes due is charged once too.
    BOOKING_DUE_KEY = "booking"

    application = models.ForeignKey(
        "applicants.Application", on_delete=models.PROTECT, related_name="payments"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.CARD)
    # Where money received another way can be traced: the transfer's reference, a receipt number.
    reference = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATED)
    payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_key = STRIPE_KEY_FIELD()
    client_secret = models.CharField(max_length=255, blank=True)
    refunded_cents = models.PositiveIntegerField(default=0)
    off_session = models.BooleanField(default=False)
    failure_message = models.TextField(blank=True)
    # A balance the saved card did not pay (or no card was saved): the applicant pays it through the
    # pay link by then, or the booking is cancelled (payments.services.balances_overdue_cancel).
    balance_deadline = models.DateTimeField(null=True, blank=True)
    # An off-session balance charges one amount due, named by this key (payments.selectors
    # .balance_due_key): the booking's balance, or what a date change left owing.
    due_key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=F("amount_cents")), name="payment_refunds_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents=0) | Q(status="succeeded"), name="payment_refunds_only_when_paid"
            ),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(succeeded_at__isnull=False),
                name="payment_succeeded_has_time",
            ),
            models.UniqueConstraint(
                fields=["application", "purpose"],
                condition=Q(status__in=["created", "requires_payment", "requires_action", "processing"]),
                name="payment_one_open_per_purpose",
                violation_error_message="A payment for this is already under way.",
            ),
            # No rule allows one succeeded payment per purpose: money Stripe took must always be
            # recorded, and an attempt given up can still be paid at Stripe (or paid beside money
            # staff recorded). The booking code refuses a second one and it goes back as paid twice
            # (payments.handoff, _refund_late); what counts as paid never counts it twice.
            # Each amount due is charged to the saved card once: the daily task and a date change's
            # charge may run any number of times.
            models.UniqueConstraint(
                fields=["application", "due_key"],
                condition=Q(purpose="balance", off_session=True),
                name="payment_one_off_session_balance_per_due",
                violation_error_message="This amount was already charged to the saved card.",
            ),
            models.CheckConstraint(
                condition=~Q(purpose="balance", off_session=True) | ~Q(due_key=""),
                name="payment_off_session_balance_has_due_key",
            ),
            # Money received another way is recorded once it is in hand, with where to find it.
            models.CheckConstraint(
                condition=Q(method="card")
                | Q(status="succeeded", payment_intent_id__isnull=True) & ~Q(reference=""),
                name="payment_received_another_way_is_recorded",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        # No status: a label read after the row changed (an admin message) would show the old one.
        return f"{self.get_purpose_display()} of application {self.application_id}"

    @property
    def idempotency_key(self) -> str:
        return f"amo-payment-{self.stripe_key}"

    @property
    def refundable_cents(self) -> int:
        return self.amount_cents - self.refunded_cents if self.status == self.Status.SUCCEEDED else 0


class StripeCustomer(models.Model):
    """The Stripe Customer of an applicant: the deposit's card is saved to it, and the balance is
    charged to that card off-session. The row comes first; its Stripe customer is created with the
    row's idempotency key, so a retry or a race asks Stripe the same question once."""

    applicant = models.OneToOneField(
        "applicants.Applicant", on_delete=models.PROTECT, related_name="stripe_customer"
    )
    customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_key = STRIPE_KEY_FIELD()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.customer_id} (applicant {self.applicant_id})"

    @property
    def idempotency_key(self) -> str:
        return f"amo-customer-{self.stripe_key}"


@tracked()
class Refund(models.Model):
    """Money given back from one payment; a payment may have several. Their sum is the payment's
    refunded_cents, raised in the same transaction under the payment's row lock. What each reason
    gives back is payments.refunds' rule."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Reason(models.TextChoices):
        LATE_PAYMENT = "late_payment", "Paid after the seat was no longer held"
        DUPLICATE = "duplicate", "Paid twice"
        APPLICATION_ENDED = "application_ended", "Paid after the application ended"
        CANCELLATION = "cancellation", "Cancellation"
        HOST_CANCELLATION = "host_cancellation", "Cancelled by the host"
        VISA_DENIAL = "visa_denial", "Visa denied"
        RESALE = "resale", "Seat re-sold from the waitlist"
        UNDECIDED = "undecided", "The host did not decide in time"
        PRICE_DIFFERENCE = "price_difference", "Moved to a cheaper block"
        STAFF = "staff", "Refunded by staff"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveIntegerField()
    reason = models.CharField(max_length=32, choices=Reason.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_key = STRIPE_KEY_FIELD()
    # Why Stripe refused it for good (FAILED), in Stripe's words, or that it never answered.
    failure_message = models.TextField(blank=True)
    # Times it was sent to Stripe without an answer; bounded (payments.services.REFUND_MAX_ATTEMPTS).
    attempts = models.PositiveSmallIntegerField(default=0)
    # A failed refund staff paid back outside Stripe: how (bank transfer, cheque...) and its reference.
    method = models.CharField(max_length=64, blank=True)
    reference = models.CharField(max_length=255, blank=True)
    # Why staff gave the money back, as the applicant is told.
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="refund_amount_positive"),
            # A booking is cancelled once, its seat re-sold once, an application expires once: each
            # of these refunds a payment once at most, however often the code that writes it runs.
            models.UniqueConstraint(
                fields=["payment", "reason"],
                condition=Q(
                    reason__in=["cancellation", "host_cancellation", "visa_denial", "resale", "undecided"]
                ),
                name="refund_once_per_payment_and_reason",
                violation_error_message="This payment was already refunded for that reason.",
            ),
            # Given back says how: Stripe's refund, or staff's transfer with its reference.
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(stripe_refund_id__isnull=False) | ~Q(method=""),
                name="refund_succeeded_says_how",
            ),
            # Failed says why, for the staff who act on it.
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_message=""), name="refund_failed_says_why"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: refund of payment {self.payment_id}"

    @property
    def idempotency_key(self) -> str:
        return f"amo-refund-{self.stripe_key}"


class StripeEvent(models.Model):
    """A webhook event as Stripe sent it, stored once by its id; processing re-reads Stripe."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(
                fields=["received_at"], condition=Q(processed_at__isnull=True), name="stripe_event_todo"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class LedgerEntry(models.Model):
    """An immutable record of money, signed from the host's side (a charge is +, the platform's
    commission and a refund are -). A database trigger refuses UPDATE and DELETE."""

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"
        COMMISSION = "commission", "Platform commission"
        COMMISSION_REVERSAL = "commission_reversal", "Commission returned"
        PAYOUT = "payout", "Payout"

    organization = models.ForeignKey("hosts.Organization", on_delete=models.PROTECT, related_name="ledger")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    refund = models.ForeignKey(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    amount_cents = models.IntegerField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="ledger_entry_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {format_cents(self.amount_cents, self.currency)}"
