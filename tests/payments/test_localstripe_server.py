"""The Stripe behaviours payments rely on, against the localstripe that `make test` starts
(tools/localstripe_server.py), through the project's own client."""

import json
import urllib.error
import urllib.request
import uuid

import pytest
import stripe
from django.conf import settings

from payments.stripe_client import stripe_client
from tests.payments.stripe_helpers import DECLINED, VISA

ALWAYS_AUTHENTICATES = "4000002760003184"  # Stripe's "authentication required", on- or off-session
AUTHENTICATES_UNTIL_SAVED = "4000002500003155"  # asks once; saved for later, charges off-session


def _card_data(number: str) -> dict:
    return {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}


def _card(number: str) -> str:
    return stripe_client().v1.payment_methods.create(params=_card_data(number)).id


def _saved_cards(customer_id: str) -> list[str]:
    listed = stripe_client().v1.payment_methods.list(params={"customer": customer_id, "type": "card"})
    return [payment_method.id for payment_method in listed.data]


def _authenticate(payment_intent) -> dict:
    """What Stripe.js does when the customer passes 3-D Secure (localstripe's own endpoint)."""
    request = urllib.request.Request(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{payment_intent.id}/_authenticate?success=true",
        data=json.dumps(
            {"key": "pk_test_localstripe", "client_secret": payment_intent.client_secret}
        ).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def customer():
    return stripe_client().v1.customers.create(params={"email": f"{uuid.uuid4().hex}@example.test"})


def _deposit(customer, payment_method: str, save_card: bool = True):
    """The deposit: charged now, its card saved for the balance."""
    params = {"amount": 50_000, "currency": "usd", "customer": customer.id, "payment_method": payment_method}
    if save_card:
        params["setup_future_usage"] = "off_session"
    return stripe_client().v1.payment_intents.create(params={**params, "confirm": True})


def _balance(customer, payment_method: str):
    """The balance, charged later without the customer."""
    return stripe_client().v1.payment_intents.create(
        params={
            "amount": 150_000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": payment_method,
            "off_session": True,
            "confirm": True,
        }
    )


def test_a_retried_create_with_the_same_idempotency_key_creates_one_payment_intent():
    key = f"amo-test-{uuid.uuid4()}"
    params = {"amount": 12_500, "currency": "usd", "metadata": {"payment": "1"}}
    first = stripe_client().v1.payment_intents.create(params=params, options={"idempotency_key": key})
    again = stripe_client().v1.payment_intents.create(params=params, options={"idempotency_key": key})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers


def test_a_retried_confirm_with_the_same_idempotency_key_charges_once(customer):
    intent = stripe_client().v1.payment_intents.create(
        params={"amount": 9_900, "currency": "usd", "customer": customer.id}
    )
    key = f"amo-test-{uuid.uuid4()}"
    confirm = {"payment_method": "pm_card_visa"}
    first = stripe_client().v1.payment_intents.confirm(
        intent.id, params=confirm, options={"idempotency_key": key}
    )
    again = stripe_client().v1.payment_intents.confirm(
        intent.id, params=confirm, options={"idempotency_key": key}
    )
    assert first.status == again.status == "succeeded"
    assert again.latest_charge.id == first.latest_charge.id


def test_the_same_idempotency_key_with_other_parameters_is_an_idempotency_error():
    key = f"amo-test-{uuid.uuid4()}"
    stripe_client().v1.payment_intents.create(
        params={"amount": 12_500, "currency": "usd"}, options={"idempotency_key": key}
    )
    with pytest.raises(stripe.IdempotencyError) as raised:
        stripe_client().v1.payment_intents.create(
            params={"amount": 99_900, "currency": "usd"}, options={"idempotency_key": key}
        )
    assert raised.value.http_status == 400
    assert key in raised.value.user_message


def test_a_request_refused_before_it_ran_does_not_use_up_its_idempotency_key():
    key = f"amo-test-{uuid.uuid4()}"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client().v1.payment_intents.create(
            params={"amount": 12_500, "currency": "usd", "setup_future_usage": "sometimes"},
            options={"idempotency_key": key},
        )
    created = stripe_client().v1.payment_intents.create(
        params={"amount": 12_500, "currency": "usd"}, options={"idempotency_key": key}
    )
    assert created.status == "requires_payment_method"


def test_a_deposit_with_setup_future_usage_saves_its_card_to_the_customer(customer):
    deposit = _deposit(customer, "pm_card_visa")
    assert deposit.status == "succeeded"
    assert deposit.setup_future_usage == "off_session"
    assert deposit.payment_method.startswith("pm_") and deposit.payment_method != "pm_card_visa"
    assert _saved_cards(customer.id) == [deposit.payment_method]


def test_a_payment_without_setup_future_usage_saves_no_card(customer):
    paid = _deposit(customer, "pm_card_visa", save_card=False)
    assert paid.status == "succeeded"
    assert _saved_cards(customer.id) == []


def test_the_saved_card_pays_the_balance_off_session(customer):
    deposit = _deposit(customer, "pm_card_visa")
    balance = _balance(customer, deposit.payment_method)
    assert balance.status == "succeeded"
    assert balance.latest_charge.amount == 150_000
    assert balance.latest_charge.payment_method == deposit.payment_method


def test_a_card_that_always_asks_for_authentication_fails_off_session_with_authentication_required(customer):
    card = _card(ALWAYS_AUTHENTICATES)
    stripe_client().v1.payment_methods.attach(card, params={"customer": customer.id})
    with pytest.raises(stripe.CardError) as raised:
        _balance(customer, card)
    error = raised.value
    assert error.http_status == 402
    assert error.code == "authentication_required"
    assert error.error.decline_code == "authentication_required"
    failed = stripe_client().v1.payment_intents.retrieve(error.error.payment_intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.code == "authentication_required"


def test_a_card_that_always_asks_for_authentication_requires_action_on_session(customer):
    deposit = _deposit(customer, _card(ALWAYS_AUTHENTICATES))
    assert deposit.status == "requires_action"
    assert _saved_cards(customer.id) == []


def test_a_card_authenticated_with_the_deposit_is_saved_and_charges_the_balance_off_session(customer):
    card = _card(AUTHENTICATES_UNTIL_SAVED)
    deposit = _deposit(customer, card)
    assert deposit.status == "requires_action"
    assert _authenticate(deposit)["status"] == "succeeded"
    assert _saved_cards(customer.id) == [card]
    assert _balance(customer, card).status == "succeeded"


def test_a_declined_off_session_charge_is_a_card_error_carrying_the_payment_intent(customer):
    with pytest.raises(stripe.CardError) as raised:
        _balance(customer, "pm_card_chargeCustomerFail")
    assert raised.value.code == "card_declined"
    assert raised.value.error.payment_intent.status == "requires_payment_method"


# --- What Stripe.js does in the browser -----------------------------------------------------------


def _stripe_js_confirm(intent, card: str, **credentials) -> tuple[int, dict]:
    """Confirm `intent` with `card` as Stripe.js does from the page: no secret key, but the
    publishable key and the intent's client secret in the body (`credentials` replace them; None
    leaves one out)."""
    body = {"key": settings.STRIPE_PUBLISHABLE_KEY, "client_secret": intent.client_secret, **credentials}
    body = {name: value for name, value in body.items() if value is not None}
    request = urllib.request.Request(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{intent.id}/confirm",
        data=json.dumps({**body, "payment_method_data": _card_data(card)}).encode(),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def _intent():
    return stripe_client().v1.payment_intents.create(
        params={"amount": 50_000, "currency": "usd", "payment_method_types": ["card"]}
    )


def test_stripe_js_confirms_a_payment_intent_with_the_publishable_key_and_its_client_secret():
    intent = _intent()
    status, paid = _stripe_js_confirm(intent, VISA, return_url="http://testserver/me/payments/1/return/")
    assert (status, paid["status"]) == (200, "succeeded")
    assert stripe_client().v1.payment_intents.retrieve(intent.id).latest_charge.amount == 50_000


@pytest.mark.parametrize(
    "credentials",
    [
        lambda intent: {"client_secret": f"{intent.id}_secret_guessed"},
        lambda intent: {"client_secret": None},
        lambda intent: {"key": None},
    ],
    ids=["another client secret", "no client secret", "no publishable key"],
)
def test_stripe_js_without_the_intents_client_secret_is_refused_and_charges_nothing(credentials):
    intent = _intent()
    status, refusal = _stripe_js_confirm(intent, VISA, **credentials(intent))
    assert status == 401, refusal
    assert stripe_client().v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_a_card_declined_in_the_browser_is_a_card_error_and_the_intent_waits_for_another_card():
    status, refusal = _stripe_js_confirm(_intent(), DECLINED)
    assert status == 402 and refusal["error"]["type"] == "card_error"
    assert refusal["error"]["payment_intent"]["status"] == "requires_payment_method"


def test_localstripe_serves_stripe_js_with_the_payment_element_and_confirm_payment():
    with urllib.request.urlopen(f"{settings.STRIPE_API_BASE}/js.stripe.com/v3/", timeout=10) as response:
        script = response.read().decode()
        assert response.headers["Content-Type"].startswith("application/javascript")
    assert "const LOCALSTRIPE_BASE_API" in script  # localstripe's own first
    # ...inside one function: its `class Element` must not hide the DOM's Element from the page.
    assert script.startswith("(function () {\n") and script.endswith("})();\n")
    assert 'type !== "payment"' in script and "stripe.confirmPayment = " in script
