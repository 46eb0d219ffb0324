"""The one Stripe client: real Stripe, or localstripe when `make run` / `make test` start it."""

from functools import cache

import stripe
from django.conf import settings


@cache
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(api_key, base_addresses={"api": api_base}, max_network_retries=2)


def stripe_client() -> stripe.StripeClient:
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)
