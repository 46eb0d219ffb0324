"""Stripe's webhook: verified, stored once, answered at once; the worker does the rest."""

import json
import time

import stripe
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

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
