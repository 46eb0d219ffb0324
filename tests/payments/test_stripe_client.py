from payments.stripe_client import stripe_client


def test_the_stripe_client_talks_to_the_configured_stripe_api(settings):
    """Under `make test` this is localstripe, a real Stripe-API-compatible server."""
    customer = stripe_client().v1.customers.create(params={"email": "amina@example.test"})
    assert customer.id.startswith("cus_")
    fetched = stripe_client().v1.customers.retrieve(customer.id)
    assert fetched.email == "amina@example.test"
