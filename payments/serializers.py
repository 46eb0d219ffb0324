"""Shapes of the payments API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.models import LedgerEntry, Payment, Refund
from payments.selectors import block_change_price_difference


class PaymentStartSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=Payment.Purpose.choices)


class PaymentStartedSerializer(serializers.Serializer):
    """What the browser (or an API client) needs to collect the payment with Stripe's Payment Element."""

    id = serializers.IntegerField()
    payment_intent = serializers.CharField(source="payment_intent_id")
    client_secret = serializers.CharField()
    amount_cents = serializers.IntegerField()
    currency = serializers.CharField()
    publishable_key = serializers.CharField()


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount_cents", "reason", "status", "note", "created_at"]


class PaymentSerializer(serializers.ModelSerializer):
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "purpose",
            "status",
            "amount_cents",
            "refunded_cents",
            "currency",
            "failure_message",
            "created_at",
            "succeeded_at",
            "refunds",
        ]


class PayoutPeriodSerializer(serializers.Serializer):
    """The report's period from the query string: `from` and `to`, both included, either left open."""

    date_from = serializers.DateField(required=False, label="From")
    date_to = serializers.DateField(required=False, label="To")

    def to_internal_value(self, data):
        renamed = {"date_from": data.get("from"), "date_to": data.get("to")}
        return super().to_internal_value({key: value for key, value in renamed.items() if value is not None})

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and end < start:
            raise serializers.ValidationError({"date_to": "The period ends before it starts."})
        return attrs


class PayoutLineSerializer(serializers.Serializer):
    date = serializers.DateField()
    created_at = serializers.DateTimeField()
    application = serializers.IntegerField(source="application_id", allow_null=True)
    applicant = serializers.CharField()
    purpose = serializers.CharField()
    kind = serializers.ChoiceField(choices=LedgerEntry.Kind.choices)
    amount_cents = serializers.IntegerField()
    currency = serializers.CharField()


class PayoutTotalsSerializer(serializers.Serializer):
    charge = serializers.IntegerField()
    refund = serializers.IntegerField()
    commission = serializers.IntegerField()
    commission_reversal = serializers.IntegerField()
    payout = serializers.IntegerField()


class PayoutReportSerializer(serializers.Serializer):
    """The organization's balance now and the period's ledger, integer cents signed from the host's side."""

    balance_cents = serializers.IntegerField(
        help_text="The balance now. Negative when refunds after a payout took back more than came in "
        "since: it is carried, and deducted from the next payout."
    )
    date_from = serializers.DateField(allow_null=True, source="report.date_from")
    date_to = serializers.DateField(allow_null=True, source="report.date_to")
    carried_cents = serializers.IntegerField(
        source="report.carried_cents",
        help_text="The balance carried in from before the period (0 without `from`).",
    )
    totals = PayoutTotalsSerializer(source="report.totals")
    net_cents = serializers.IntegerField(source="report.net_cents")
    closing_balance_cents = serializers.IntegerField(
        source="report.closing_cents",
        help_text="The balance at the end of the period: carried_cents + net_cents.",
    )
    lines = PayoutLineSerializer(many=True, source="report.lines")


class PriceDifferenceSerializer(serializers.Serializer):
    """What a date change does to the booking's money if the host approves it."""

    from_fee_cents = serializers.IntegerField(help_text="The program fee of the block the booking leaves.")
    to_fee_cents = serializers.IntegerField(help_text="The program fee of the block asked for: what counts.")
    difference_cents = serializers.IntegerField(help_text="to_fee_cents - from_fee_cents.")
    paid_cents = serializers.IntegerField(help_text="The program fee paid so far, net of refunds.")
    refund_cents = serializers.IntegerField(help_text="Refunded to the card on approval.")
    charge_cents = serializers.IntegerField(
        help_text="Charged at once on approval (the saved card, else a pay link and 7 days)."
    )
    owed_cents = serializers.IntegerField(
        help_text="Still owed after the move: charged now, or with the balance."
    )
    due_now = serializers.BooleanField(help_text="Whether what is owed is charged at once.")
    balance_due_on = serializers.DateField(help_text="When the new block's balance is due.")
    currency = serializers.CharField()
    summary = serializers.CharField()


@extend_schema_field(PriceDifferenceSerializer(allow_null=True))
class BlockChangePriceField(serializers.Field):
    """A date change's price difference while it waits for the host's answer; null once decided."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, change):
        difference = block_change_price_difference(change)
        return None if difference is None else PriceDifferenceSerializer(difference).data
