"""Stripe's webhook: verified, stored once, answered at once; the worker does the rest. And the host
owners' payouts page."""

import csv
import json
import time

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from hosts.tenancy import OrganizationMixin, Role
from payments import selectors
from payments.forms import PayoutReportForm
from payments.models import LedgerEntry
from payments.services import stripe_event_receive

# Stripe's own default: an event signed longer ago than this may be a replay.
SIGNATURE_TOLERANCE = 300


def _refuse(message: str) -> JsonResponse:
    return JsonResponse({"message": message, "extra": {}}, status=400)


def _signed_at(header: str) -> int | None:
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """Verify the Stripe-Signature over the raw body (at most 300 s old, and not from the future),
    then store the event by its id. A bad or missing signature is 400 and stores nothing; an event
    already received is 200 and does nothing more."""
    header = request.headers.get("Stripe-Signature", "")
    try:
        payload = request.body.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            payload, header, settings.STRIPE_WEBHOOK_SECRET, tolerance=SIGNATURE_TOLERANCE
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        return _refuse("The Stripe-Signature header does not match this body.")
    signed_at = _signed_at(header)
    if signed_at is None or signed_at > time.time() + SIGNATURE_TOLERANCE:
        return _refuse("The Stripe-Signature header is dated in the future.")
    try:
        event = json.loads(payload)
        event_id, event_type = event["id"], event["type"]
    except (ValueError, KeyError, TypeError):
        return _refuse("The body is not a Stripe event.")
    if not isinstance(event_id, str) or not isinstance(event_type, str):
        return _refuse("The body is not a Stripe event.")
    created = stripe_event_receive(event_id=event_id, event_type=event_type, payload=event)
    return JsonResponse({"received": True, "duplicate": not created})


# --- The host's payouts page (owners only) -------------------------------------------------------------


class PayoutsView(OrganizationMixin, TemplateView):
    """/host/payouts/: the organization's balance and the period's payout report, from the ledger;
    `?format=csv` (or report.csv) downloads the report. Owners only: others get 403."""

    template_name = "hosts/payouts.html"
    allowed_roles = frozenset({Role.OWNER})
    csv = False

    def get(self, request, *args, **kwargs):
        form = PayoutReportForm(request.GET if request.GET else None)
        if form.is_bound and not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, report=None), status=400)
        period = form.cleaned_data if form.is_bound else {}
        report = selectors.organization_payout_report(
            organization=self.organization, date_from=period.get("date_from"), date_to=period.get("date_to")
        )
        if self.csv or request.GET.get("format") == "csv":
            return self.csv_response(report)
        return self.render_to_response(self.get_context_data(form=form, report=report))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            balance_cents=selectors.organization_balance(organization=self.organization),
            kinds=LedgerEntry.Kind.choices,
            query=self.request.GET.urlencode(),
            **kwargs,
        )

    def csv_response(self, report) -> HttpResponse:
        period = "-".join(
            [
                report.date_from.isoformat() if report.date_from else "start",
                report.date_to.isoformat() if report.date_to else timezone.now().date().isoformat(),
            ]
        )
        filename = f"payouts-{self.organization.slug}-{period}.csv"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        writer = csv.writer(response)
        writer.writerow(selectors.REPORT_CSV_HEADER)
        writer.writerows(selectors.payout_report_csv_rows(report))
        return response
