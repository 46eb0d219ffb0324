"""The one Stripe client: real Stripe, or localstripe when `make run` / `make test` start it.

Stripe is never called inside a database transaction. A row locked (or written) while Stripe
answers stays locked for as long as Stripe takes: a slow Stripe would turn every booking of a
locked block into "busy". Services ask Stripe first, then open the transaction, lock, and check
again what Stripe said against the rows as they are now. `stripe_client()` refuses to be called
inside a transaction, so a service that forgets fails in tests, not in production.
"""

from functools import cache

import stripe
from django.conf import settings
from django.db import connection


class StripeInsideTransaction(RuntimeError):
    """Stripe was about to be called while this request's transaction holds its rows."""


@cache
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(api_key, base_addresses={"api": api_base}, max_network_retries=2)


def stripe_client() -> stripe.StripeClient:
    # The transaction a test case wraps around each test is not one of ours: it commits nothing.
    if any(not block._from_testcase for block in connection.atomic_blocks):
        raise StripeInsideTransaction(
            "Stripe is called outside database transactions: call it first, then lock and check again."
        )
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)
