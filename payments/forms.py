"""Inputs of the payments pages: the payout report's period, staff recording a payout, a refund,
money received another way, or a refund paid back outside Stripe."""

from decimal import Decimal

from django import forms

from amo.forms import SingleLineField
from amo.money import dollars_to_cents
from amo.validators import MAX_REASON_CHARS
from hosts.forms import BootstrapMixin
from hosts.models import Organization
from payments.models import Payment


class PayoutReportForm(BootstrapMixin, forms.Form):
    """The report's period: both dates included, either left open."""

    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None, **kwargs):
        # The query string names them `from` and `to` (as the API does).
        if data is not None:
            data = {"date_from": data.get("from", ""), "date_to": data.get("to", "")}
        super().__init__(data, **kwargs)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The period ends before it starts.")
        return cleaned


class PayoutRecordForm(forms.Form):
    """Staff: a payout sent to a host, in dollars and cents."""

    service_field_names = {"amount_cents": "amount"}

    organization = forms.ModelChoiceField(queryset=Organization.objects.order_by("name"))
    amount = forms.DecimalField(
        label="Amount (USD)", min_value=Decimal("0.01"), max_digits=11, decimal_places=2
    )

    @property
    def amount_cents(self) -> int:
        return dollars_to_cents(self.cleaned_data["amount"])


class StaffRefundForm(forms.Form):
    """Staff: a refund of a payment, in dollars and cents, and why (the applicant is told)."""

    service_field_names = {"amount_cents": "amount"}

    amount = forms.DecimalField(
        label="Amount (USD)", min_value=Decimal("0.01"), max_digits=11, decimal_places=2
    )
    note = forms.CharField(
        label="Reason (told to the applicant)",
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @property
    def amount_cents(self) -> int:
        return dollars_to_cents(self.cleaned_data["amount"])


class RefundPaidElsewhereForm(forms.Form):
    """Staff: how a refund Stripe refused was paid back instead, and its reference."""

    method = SingleLineField(label="Paid back by (bank transfer, cheque...)", max_length=64)
    reference = SingleLineField(label="Reference (the transfer's or cheque's)", max_length=255)


class PaymentReceivedForm(forms.Form):
    """Staff: money for an application received another way than by card, and where to trace it."""

    purpose = forms.ChoiceField(
        label="What was paid",
        choices=[(purpose, Payment.Purpose(purpose).label) for purpose in ("deposit", "full", "balance")],
    )
    method = forms.ChoiceField(
        label="How it was received",
        choices=[choice for choice in Payment.Method.choices if choice[0] != Payment.Method.CARD],
    )
    reference = SingleLineField(
        label="Reference (the transfer's reference or the receipt's number)", max_length=200
    )
