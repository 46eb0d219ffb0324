"""Paying in a real browser: the applicant accepts the host's offer, types a test card into the Payment
Element that localstripe's stripe.js draws, and pays; the booking is confirmed because the server
asked Stripe (the return page's payment_sync), never because the browser came back. Then the
receipt. A declined card is told with Stripe's message, and another try pays; a card whose bank asks
for 3-D Secure pays once the cardholder passes localstripe's dialog."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from applicants.models import Application
from payments.models import Payment
from payments.stripe_client import stripe_client
from rotations.models import SeatHold
from tests.browser.actions import log_in, type_card
from tests.browser.audit import assert_keyboard_complete
from tests.factories import ApplicationFactory, EmailAddressFactory
from tests.payments.stripe_helpers import DECLINED

pytestmark = pytest.mark.django_db(transaction=True)

S = Application.Status
RETURN_PAGE = re.compile(r"/me/payments/\d+/return/")


def offered(title: str) -> Application:
    """The host's offer of a seat on a rotation with a $450 deposit, held for three days."""
    deadline = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    application = ApplicationFactory(
        block__rotation__title=title,
        block__rotation__deposit_cents=45_000,
        block__rotation__program_fee_cents=180_000,
        status=S.OFFERED,
        submitted_at=timezone.now(),
        seat=deadline,
    )
    EmailAddressFactory(user=application.applicant.user)
    return application


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def accept_the_offer(page: Page, application: Application) -> None:
    log_in(page, application.applicant.user.email)
    page.get_by_role("link", name=application.block.rotation.title).click()
    page.get_by_role("region", name="Your offer").get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay the deposit")


def test_an_accepted_offer_is_paid_in_the_payment_element_confirmed_by_stripes_word_and_receipted(page):
    application = offered("Cardiology Externship")
    accept_the_offer(page, application)
    summary = page.get_by_role("region", name="What you pay")
    expect(summary).to_contain_text("$450.00")
    expect(summary).to_contain_text("The balance of the program fee ($1,350.00) is due on")
    expect(summary).to_contain_text("UTC: pay before then to confirm it")
    expect(page.get_by_role("button", name="Pay $450.00")).to_be_enabled()
    assert_keyboard_complete(page)

    # When the browser comes back, Stripe has the money and we have not been told: the booking
    # still waits. Only the return page's question to Stripe confirms it.
    at_return = {}

    def on_return(route: Route) -> None:
        payment = Payment.objects.get(application=application)
        at_return["stripe"] = stripe_client().v1.payment_intents.retrieve(payment.payment_intent_id).status
        at_return["ours"] = (status_of(application), payment.status)
        route.continue_()

    page.route(RETURN_PAGE, on_return)
    type_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay $450.00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    assert at_return == {"stripe": "succeeded", "ours": (S.AWAITING_PAYMENT, Payment.Status.REQUIRES_PAYMENT)}
    expect(page.get_by_role("status")).to_contain_text("Stripe confirmed your payment of $450.00.")
    expect(page.get_by_role("status")).to_contain_text("Your booking is confirmed.")
    assert status_of(application) == S.CONFIRMED
    assert SeatHold.objects.unreleased().get(application=application).kind == SeatHold.Kind.BOOKING

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    card = page.get_by_role("article").filter(has_text="Cardiology Externship")
    expect(card).to_contain_text("Confirmed")
    card.get_by_role("link", name="Deposit ($450.00)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Receipt")
    payment = Payment.objects.get(application=application)
    receipt = page.locator("#receipt-lines")
    expect(receipt).to_contain_text(application.block.rotation.organization.name)
    expect(receipt).to_contain_text("Deposit")
    expect(receipt).to_contain_text("$450.00")
    expect(receipt).to_contain_text(payment.payment_intent_id)
    expect(page.get_by_role("region", name="Refunds")).to_contain_text("None.")
    assert_keyboard_complete(page)


def test_a_declined_card_is_told_with_stripes_message_and_another_card_pays(page):
    application = offered("Neurology Observership")
    accept_the_offer(page, application)
    pay = page.get_by_role("button", name="Pay $450.00")

    page.locator("#payment-element").get_by_label("Card number").fill("4242 4242")
    pay.click()
    expect(page.locator("#payment-message")).to_have_text("Your card number is incomplete.")
    assert Payment.objects.get(application=application).status == Payment.Status.REQUIRES_PAYMENT

    page.locator("#payment-element").get_by_label("Card number").fill("")
    type_card(page, " ".join(DECLINED[i : i + 4] for i in range(0, 16, 4)))
    pay.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment declined")
    declined = Payment.objects.get(application=application)
    assert declined.status == Payment.Status.FAILED and declined.failure_message
    expect(page.get_by_role("alert")).to_have_text(f"Your card was not charged: {declined.failure_message}")
    assert status_of(application) == S.AWAITING_PAYMENT

    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay the deposit")
    type_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay $450.00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    assert status_of(application) == S.CONFIRMED
    assert sorted(Payment.objects.filter(application=application).values_list("status", flat=True)) == [
        Payment.Status.FAILED,
        Payment.Status.SUCCEEDED,
    ]


def test_a_card_asking_for_3d_secure_pays_once_the_cardholder_passes_the_banks_check(page):
    application = offered("Dermatology Observership")
    accept_the_offer(page, application)
    type_card(page, "4000 0027 6000 3184")  # Stripe's "always authenticate" test card
    page.get_by_role("button", name="Pay $450.00").click()
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment declined")
    expect(page.get_by_role("alert")).to_contain_text("failed authentication")
    assert status_of(application) == S.AWAITING_PAYMENT

    page.get_by_role("link", name="Try again").click()
    type_card(page, "4000 0027 6000 3184")
    page.get_by_role("button", name="Pay $450.00").click()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    assert status_of(application) == S.CONFIRMED
