"""Staff admin for money: read-only. Payments, refunds and the ledger change only through
payments/services.py; Stripe's events are kept as received."""

from django.contrib import admin

from amo.admin_site import ReadOnlyAdmin
from payments.models import LedgerEntry, Payment, Refund, StripeEvent


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "application",
        "purpose",
        "amount_cents",
        "refunded_cents",
        "currency",
        "status",
        "created_at",
    ]
    list_filter = ["purpose", "status"]
    search_fields = ["payment_intent_id", "application__applicant__user__email"]
    list_select_related = ["application__applicant__user", "application__block__rotation"]
    exclude = ["client_secret"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "payment", "amount_cents", "reason", "status", "created_by", "created_at"]
    list_filter = ["reason", "status"]
    list_select_related = ["payment", "created_by"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "received_at", "processed_at", "error"]
    list_filter = ["type"]
    search_fields = ["event_id"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "organization",
        "kind",
        "amount_cents",
        "currency",
        "payment",
        "refund",
        "created_at",
    ]
    list_filter = ["kind", "organization"]
    list_select_related = ["organization", "payment", "refund"]
