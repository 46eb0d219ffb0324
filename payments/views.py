"""Stripe's webhook: verified, stored once, answered at once; the worker does the rest. The
applicant's pay, return and receipt pages. And the host owners' payouts page."""

import csv
import json
import logging
import time
from functools import wraps
from urllib.parse import urlsplit

import stripe
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django.views.generic import TemplateView

from amo.api import error_response_body, require_methods
from amo.errors import DomainError
from amo.parsers import TOO_LARGE
from applicants.terms import application_terms
from applicants.views import applicant_required
from hosts.tenancy import OrganizationMixin, Role
from payments import selectors, services
from payments.forms import PayoutReportForm
from payments.models import LedgerEntry, Payment
from payments.services import stripe_event_receive

logger = logging.getLogger(__name__)
P = Payment.Purpose

# Stripe's own default: an event signed longer ago than this may be a replay.
SIGNATURE_TOLERANCE = 300
# Stripe signs with the time it sends, so a signature from the future is a forgery or a clock
# gone wrong. Servers kept by NTP agree to well under a second; 5 s is the most we let them drift.
CLOCK_SKEW = 5


def _refuse(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse(error_response_body(message), status=status)


def _signed_at(header: str) -> int | None:
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


@csrf_exempt
@require_methods("POST")
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """Verify the Stripe-Signature over the raw body (at most 300 s old, and not from the future
    beyond CLOCK_SKEW), then store the event by its id. A bad or missing signature is 400 and
    stores nothing; an event already received is 200 and does nothing more. Every answer is JSON,
    refusals included."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        # An empty key signs nothing: anyone can make its HMAC (settings.py refuses it in production).
        return _refuse("Stripe's webhook is not set up here: it has no signing secret.", status=503)
    header = request.headers.get("Stripe-Signature", "")
    if not header:
        return _refuse("The Stripe-Signature header is missing.")
    try:
        payload = request.body.decode("utf-8")
    except RequestDataTooBig:
        return _refuse(TOO_LARGE, status=413)
    except UnicodeDecodeError:
        return _refuse("The Stripe-Signature header does not match this body.")
    try:
        stripe.WebhookSignature.verify_header(
            payload, header, settings.STRIPE_WEBHOOK_SECRET, tolerance=SIGNATURE_TOLERANCE
        )
    except stripe.SignatureVerificationError:
        return _refuse("The Stripe-Signature header does not match this body.")
    signed_at = _signed_at(header)
    if signed_at is None or signed_at > time.time() + CLOCK_SKEW:
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


# --- Paying in the browser: the pay page, the return page, receipts -----------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_csp(view):
    """Let a pay page run stripe.js (Stripe's guide: its script and frames, 3-D Secure's frames from
    hooks.stripe.com, calls to the API), from the configured origins only; every other page keeps
    the site's policy without them."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        script = _origin(settings.STRIPE_JS_URL)
        sources = {
            "script-src": [script],
            "frame-src": [script, "https://hooks.stripe.com"],
            "connect-src": [script, _origin(settings.STRIPE_API_BASE)],
        }
        return csp_update(sources)(view)(request, *args, **kwargs)

    return wrapper


@applicant_required
@require_http_methods(["GET", "POST"])
@stripe_csp
def application_pay(request, pk: int, purpose: str, *, applicant):
    """/me/applications/<id>/pay/<purpose>/: what is due for `purpose`, what it is for, the deadline
    and the refund policy, and Stripe's Payment Element. A GET changes nothing (a link crawler may
    open it); the page's script POSTs here to start (or resume) the payment (services.payment_start)
    and gets the PaymentIntent's client secret as JSON. Nothing due goes back to the application's
    page with the reason (a POST: 409 with it); another applicant's application is 404."""
    application = selectors.application_to_pay(applicant=applicant, pk=pk)
    if application is None or purpose not in P.values:
        raise Http404("No such application.")
    if request.method == "POST":
        try:
            payment = services.payment_start(application=application.pk, purpose=purpose, actor=request.user)
        except DomainError as refusal:
            return JsonResponse({"message": refusal.message, "extra": refusal.extra}, status=refusal.status)
        return_url = reverse("applicants:payment_return", kwargs={"pk": payment.pk})
        return JsonResponse(
            {
                "client_secret": payment.client_secret,
                "amount_cents": payment.amount_cents,
                "return_url": request.build_absolute_uri(return_url),
            }
        )
    amount = selectors.amount_due(application, purpose)
    if not amount:
        messages.info(request, selectors.nothing_due_message(purpose))
        return redirect("applicants:application_detail", pk=application.pk)
    terms = application_terms(application)
    return render(
        request,
        "payments/pay.html",
        {
            "application": application,
            "purpose": P(purpose),
            "amount_cents": amount,
            "alternatives": [
                due
                for due in selectors.amounts_due(application)
                if {due.purpose, purpose} == {P.DEPOSIT, P.FULL}
            ],
            "balance_deadline": selectors.balance_deadline(application) if purpose == P.BALANCE else None,
            "balance_due_on": selectors.balance_due_on(application),
            "balance_already_due": selectors.balance_due_on(application) <= timezone.now().date(),
            "balance_after_deposit_cents": terms.program_fee_cents - amount,
            "terms": terms,
            "refund_schedule": terms.refund_schedule(application.block)
            if purpose != P.APPLICATION_FEE
            else None,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        },
    )


@applicant_required
@require_GET
def payment_return(request, pk: int, *, applicant):
    """/me/payments/<id>/return/, where Stripe sends the browser back: what the payment came to, as
    Stripe says when asked from here (payment_sync), never as the browser's address says. A decline
    shows Stripe's message and another try while something is still due."""
    payment = selectors.applicant_payment(applicant=applicant, pk=pk)
    if payment is None:
        raise Http404("No such payment.")
    unreachable = False
    try:
        services.payment_sync(payment_id=payment.pk)
    except (stripe.StripeError, DomainError) as error:
        # Stripe out of reach, or the booking's block busy for a moment: the webhook's processing
        # (or reconciliation) records it, and the page says to look again shortly.
        logger.warning("Reading payment %s on its return page failed: %s", payment.pk, error)
        unreachable = True
    payment = selectors.applicant_payment(applicant=applicant, pk=pk)
    application = selectors.application_to_pay(applicant=applicant, pk=payment.application_id)
    due = selectors.amount_due(application, payment.purpose)
    return render(
        request,
        "payments/return.html",
        {"payment": payment, "application": application, "unreachable": unreachable, "due": due},
    )


@applicant_required
@require_GET
def payment_receipt(request, pk: int, *, applicant):
    """/me/payments/<id>/receipt/: the printable receipt of one of the applicant's succeeded payments,
    its refunds beneath. Any other payment is 404."""
    payment = selectors.applicant_payment(applicant=applicant, pk=pk, succeeded=True)
    if payment is None:
        raise Http404("No such receipt.")
    return render(
        request,
        "payments/receipt.html",
        {"payment": payment, "lines": selectors.receipt_lines(payment), "refunds": payment.refunds.all()},
    )


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
