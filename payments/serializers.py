"""Shapes of the payments API."""

from rest_framework import serializers

from payments.models import Payment, Refund


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
        fields = ["id", "amount_cents", "reason", "status", "created_at"]


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
