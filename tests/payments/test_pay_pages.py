"""Paying in the browser, through Django's client against the real localstripe: the pay page starts
the payment and hands stripe.js what it needs; the return page asks Stripe and never the browser;
receipts on a page and by email, once; anyone else's payment is 404."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amo.models import Notification
from amo.text import day_label, moment_label
from applicants.models import Application
from payments.models import Payment
from payments.services import balances_due_charge, payment_start, payment_sync, refund_create
from tests.factories import ApplicationFactory, BlockFactory
from tests.mail import envelope_text
from tests.payments.stripe_helpers import DECLINED, pay
from tests.waiting import wait_until

S = Application.Status
P = Payment.Purpose


def awaiting_deposit(**fields) -> Application:
    return ApplicationFactory(status=S.AWAITING_PAYMENT, **fields)


def signed_in(application: Application) -> Client:
    client = Client()
    client.force_login(application.applicant.user)
    return client


def pay_url(application: Application, purpose: str = P.DEPOSIT) -> str:
    return reverse("applicants:application_pay", kwargs={"pk": application.pk, "purpose": purpose})


def return_url(payment: Payment) -> str:
    return reverse("applicants:payment_return", kwargs={"pk": payment.pk})


def receipt_url(payment: Payment) -> str:
    return reverse("applicants:payment_receipt", kwargs={"pk": payment.pk})


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def start(client: Client, application: Application, purpose: str = P.DEPOSIT):
    """What the pay page's script does once the page is open: POST to start (or resume) paying."""
    return client.post(pay_url(application, purpose), HTTP_ACCEPT="application/json")


def on_the_pay_page(application: Application) -> tuple[Client, Payment]:
    """The applicant signed in, having opened the deposit's pay page and its script started the
    payment: the payment it started."""
    client = signed_in(application)
    assert client.get(pay_url(application)).status_code == 200
    assert start(client, application).status_code == 200
    return client, Payment.objects.get(application=application)


def succeeded(application: Application, purpose: str = P.DEPOSIT) -> Payment:
    payment = payment_start(application=application, purpose=purpose, actor=application.applicant.user)
    assert pay(payment) == "succeeded"
    return payment_sync(payment_id=payment.pk)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- The pay page ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_pay_page_shows_the_element_amount_deadline_and_refund_policy_and_starts_nothing():
    deadline = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    application = awaiting_deposit(seat=deadline)
    client = signed_in(application)
    response = client.get(pay_url(application))
    assert response.status_code == 200
    assert not Payment.objects.exists()  # a link crawler opening the page starts nothing
    page = response.content.decode()
    # What stripe.js needs, in data attributes (no inline script), and the scripts from their origins.
    assert f'data-publishable-key="{settings.STRIPE_PUBLISHABLE_KEY}"' in page
    assert f'action="{pay_url(application)}"' in page and 'name="csrfmiddlewaretoken"' in page
    assert f'<script src="{settings.STRIPE_JS_URL}"></script>' in page
    assert "/static/js/pay.js" in page
    assert "Pay $500.00" in page
    assert f"{moment_label(deadline)}</time> UTC: pay before then to confirm it" in page
    # The rest is charged to the same card later: the page says so before the card is given.
    assert "The balance of the program fee ($2,000.00) is due on" in page
    assert "Rather pay the whole program fee now?" in page
    assert pay_url(application, P.FULL) in page
    assert "From the start date: no refund." in page
    # Only the pay page lets stripe.js in.
    policy = response["Content-Security-Policy"]
    assert f"script-src 'self' {origin(settings.STRIPE_JS_URL)}" in policy
    assert origin(settings.STRIPE_API_BASE) in policy.split("connect-src")[1].split(";")[0]
    other = signed_in(application).get(reverse("applicants:application_detail", args=[application.pk]))
    assert origin(settings.STRIPE_JS_URL) not in other["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_pages_script_starts_the_payment_with_a_post_and_gets_what_stripe_js_needs():
    application = awaiting_deposit()
    client = signed_in(application)
    answer = start(client, application)
    assert answer.status_code == 200
    payment = Payment.objects.get(application=application)
    assert (payment.purpose, payment.amount_cents, payment.status) == ("deposit", 50_000, "requires_payment")
    assert answer.json() == {
        "client_secret": payment.client_secret,
        "amount_cents": 50_000,
        "return_url": f"http://testserver{return_url(payment)}",
    }


@pytest.mark.django_db
def test_opening_the_pay_page_again_resumes_the_same_payment():
    application = awaiting_deposit()
    client = signed_in(application)
    first = start(client, application).json()
    assert client.get(pay_url(application)).status_code == 200
    assert start(client, application).json() == first
    assert Payment.objects.filter(application=application).count() == 1


@pytest.mark.django_db
def test_a_post_without_the_pages_csrf_token_starts_nothing():
    application = awaiting_deposit()
    client = Client(enforce_csrf_checks=True)
    client.force_login(application.applicant.user)
    assert start(client, application).status_code == 403
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_the_application_fee_page_says_what_the_fee_is_for_and_when_it_comes_back():
    application = ApplicationFactory(status=S.SUBMITTED, application_fee_status=Application.FeeStatus.DUE)
    response = signed_in(application).get(pay_url(application, P.APPLICATION_FEE))
    page = response.content.decode()
    assert "Pay $100.00" in page
    assert "pays for the host's review" in page
    assert "refunded in full if the host cancels or does not decide within 10 days" in page


@pytest.mark.django_db
def test_nothing_due_goes_back_to_the_application_with_the_reason_and_writes_nothing():
    application = ApplicationFactory(status=S.OFFERED)
    response = signed_in(application).get(pay_url(application), follow=True)
    assert response.redirect_chain == [(reverse("applicants:application_detail", args=[application.pk]), 302)]
    assert [str(m) for m in response.context["messages"]] == ["No deposit is due on this application now."]
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_stripe_out_of_reach_is_a_clear_503_and_the_next_visit_tries_again(settings):
    application = awaiting_deposit()
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    response = start(signed_in(application), application)
    assert response.status_code == 503
    assert response.json()["message"] == "Payments are unavailable right now; please try again in a minute."
    assert Payment.objects.get(application=application).payment_intent_id is None


@pytest.mark.django_db
def test_another_applicants_pay_return_and_receipt_pages_are_404_and_write_nothing():
    application = awaiting_deposit()
    payment = succeeded(application)
    other = awaiting_deposit()
    intruder = signed_in(ApplicationFactory(status=S.SUBMITTED))
    for url in [pay_url(other), pay_url(application, P.BALANCE), return_url(payment), receipt_url(payment)]:
        assert intruder.get(url).status_code == 404, url
    for url in [pay_url(other), pay_url(application, P.BALANCE)]:
        assert intruder.post(url).status_code == 404, url
    assert not Payment.objects.filter(application=other).exists()
    assert signed_in(other).get(pay_url(other, "donation")).status_code == 404


@pytest.mark.django_db
def test_the_return_and_receipt_pages_take_only_gets():
    application = awaiting_deposit()
    payment = succeeded(application)
    client = signed_in(application)
    for url in [return_url(payment), receipt_url(payment)]:
        assert client.post(url).status_code == 405, url


# --- The return page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_return_page_believes_stripe_not_the_address_stripe_js_sends_the_browser_to():
    application = awaiting_deposit()
    client, payment = on_the_pay_page(application)
    forged = client.get(return_url(payment), {"redirect_status": "succeeded", "payment_intent": "pi_x"})
    assert "Payment not completed" in forged.content.decode()
    assert status_of(application) == S.AWAITING_PAYMENT

    assert pay(payment) == "succeeded"  # Stripe took the card; no webhook has arrived
    response = client.get(return_url(payment))
    page = response.content.decode()
    assert "Payment received" in page and "Your booking is confirmed." in page
    assert receipt_url(payment) in page
    assert status_of(application) == S.CONFIRMED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED


@pytest.mark.django_db
def test_a_declined_card_shows_stripes_message_and_another_try_is_a_new_payment():
    application = awaiting_deposit()
    client, payment = on_the_pay_page(application)
    pay(payment, DECLINED)
    page = client.get(return_url(payment)).content.decode()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert "Payment declined" in page
    assert f"Your card was not charged: {payment.failure_message}" in page
    assert f'href="{pay_url(application)}">Try again' in page

    assert client.get(pay_url(application)).status_code == 200
    assert start(client, application).status_code == 200
    fresh = Payment.objects.get(application=application, status=Payment.Status.REQUIRES_PAYMENT)
    assert fresh.pk != payment.pk and fresh.payment_intent_id != payment.payment_intent_id
    assert status_of(application) == S.AWAITING_PAYMENT


@pytest.mark.django_db
def test_the_return_page_with_stripe_out_of_reach_says_so_and_claims_nothing(settings):
    application = awaiting_deposit()
    client, payment = on_the_pay_page(application)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    response = client.get(return_url(payment))
    page = response.content.decode()
    assert response.status_code == 200
    assert "We could not check this payment just now" in page
    assert "nothing was charged" not in page


# --- The application page and the dashboard ----------------------------------------------------------


def detail(application: Application) -> str:
    url = reverse("applicants:application_detail", args=[application.pk])
    return signed_in(application).get(url).content.decode()


@pytest.mark.django_db
def test_the_application_page_offers_to_pay_what_is_due():
    awaiting = awaiting_deposit(application_fee_status=Application.FeeStatus.DUE)
    page = detail(awaiting)
    assert f'href="{pay_url(awaiting, P.DEPOSIT)}">Pay the deposit ($500.00)' in page
    assert f'href="{pay_url(awaiting, P.FULL)}">Pay the program fee in full ($2,500.00)' in page
    assert f'href="{pay_url(awaiting, P.APPLICATION_FEE)}">Pay the application fee ($100.00)' in page

    booked = ApplicationFactory(status=S.CONFIRMED, application_fee_status=Application.FeeStatus.PAID)
    page = detail(booked)
    assert f'href="{pay_url(booked, P.BALANCE)}">Pay the balance ($2,500.00)' in page
    assert pay_url(booked, P.DEPOSIT) not in page

    submitted = ApplicationFactory(status=S.SUBMITTED, application_fee_status=Application.FeeStatus.PAID)
    assert "Payment due" not in detail(submitted)
    # A draft's fee is not asked for before it is submitted.
    draft = ApplicationFactory(status=S.DRAFT, application_fee_status=Application.FeeStatus.DUE)
    assert "Payment due" not in detail(draft)
    assert signed_in(draft).get(pay_url(draft, P.APPLICATION_FEE)).status_code == 302
    # The dashboard sends a seat awaiting its deposit to the deposit's pay page.
    dashboard = signed_in(awaiting).get(reverse("applicants:dashboard")).content.decode()
    assert f'href="{pay_url(awaiting)}">Pay the deposit' in dashboard


@pytest.mark.django_db
def test_after_the_saved_card_failed_the_application_page_gives_the_balance_deadline_and_pay_link():
    start = timezone.now().date() + timedelta(days=50)
    application = ApplicationFactory(
        status=S.CONFIRMED,
        block=BlockFactory(start_date=start, rotation__balance_due_days_before_start=60),
    )
    balances_due_charge()  # no card was saved: the pay link and 7 days
    deadline = Payment.objects.get(application=application, off_session=True).balance_deadline
    page = detail(application)
    assert f'pay it by <time datetime="{deadline.isoformat()}">{moment_label(deadline)}</time> UTC' in page
    assert pay_url(application, P.BALANCE) in page
    told = Notification.objects.get(recipient=application.applicant.user, key__endswith="balance_unpaid")
    assert told.link == pay_url(application, P.BALANCE)
    balance_page = signed_in(application).get(told.link).content.decode()
    assert (
        f'Pay by <time datetime="{deadline.isoformat()}">{moment_label(deadline)}</time> UTC' in balance_page
    )


@pytest.mark.django_db
def test_accepting_an_offer_with_a_deposit_lands_on_the_deposit_pay_page():
    application = ApplicationFactory(status=S.OFFERED)
    client = signed_in(application)
    response = client.post(reverse("applicants:application_accept", args=[application.pk]), follow=True)
    assert response.redirect_chain == [(pay_url(application), 302)]
    assert "Pay $500.00" in response.content.decode()
    assert not Payment.objects.exists()  # the page's script starts it
    assert start(client, application).status_code == 200
    assert Payment.objects.get(application=application).purpose == P.DEPOSIT


# --- Receipts -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_receipt_names_host_rotation_block_purpose_amount_date_and_intent_with_refunds_beneath():
    application = awaiting_deposit(applicant__legal_name="Amina Bello")
    payment = succeeded(application)
    refund_create(payment=payment, amount_cents=12_345, reason="staff")
    response = signed_in(application).get(receipt_url(payment))
    assert response.status_code == 200
    page = response.content.decode()
    block = application.block
    organization = block.rotation.organization
    for label, value in [
        ("Issued by", "AMO"),
        ("Paid by", "Amina Bello"),
        ("Host organization", f"{organization.name}, Chicago, IL"),
        ("Rotation", block.rotation.title),
        ("Block", f"{day_label(block.start_date)} – {day_label(block.end_date)}"),
        ("For", "Deposit"),
        ("Amount", "$500.00"),
        ("Currency", "USD"),
        ("Paid on", f"{moment_label(payment.succeeded_at)} UTC"),
        ("Stripe PaymentIntent", payment.payment_intent_id),
    ]:
        assert f'<dt class="col-sm-4">{label}</dt><dd class="col-sm-8">{value}</dd>' in page, label
    refunds = page.split('id="refunds-heading"')[1]
    assert "Refunded by staff" in refunds and "$123.45" in refunds
    assert "Paid less refunds: <strong>$376.55</strong>" in refunds


@pytest.mark.django_db
def test_only_a_succeeded_payment_has_a_receipt():
    application = awaiting_deposit()
    client, payment = on_the_pay_page(application)
    assert client.get(receipt_url(payment)).status_code == 404


@pytest.mark.django_db
def test_the_receipt_costs_the_same_queries_for_any_number_of_refunds(django_assert_max_num_queries):
    application = awaiting_deposit()
    payment = succeeded(application)
    client = signed_in(application)
    refund_create(payment=payment, amount_cents=100, reason="staff")
    with django_assert_max_num_queries(12) as one:
        client.get(receipt_url(payment))
    for _ in range(3):
        refund_create(payment=payment, amount_cents=100, reason="staff")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert "$1.00" in client.get(receipt_url(payment)).content.decode()


@pytest.mark.django_db
def test_the_dashboard_links_every_receipt_in_the_same_queries_for_many(django_assert_max_num_queries):
    first = awaiting_deposit()
    receipts = [succeeded(first)]
    client = signed_in(first)
    dashboard = reverse("applicants:dashboard")
    with django_assert_max_num_queries(25) as one:
        client.get(dashboard)
    for _ in range(2):
        application = awaiting_deposit(applicant=first.applicant)
        receipts.append(succeeded(application))
        receipts.append(succeeded(application, P.BALANCE))
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(dashboard).content.decode()
    for payment in receipts:
        assert receipt_url(payment) in page


@pytest.mark.django_db(transaction=True)
def test_the_receipt_is_emailed_once_when_the_payment_succeeds(celery_worker, smtp_server):
    application = awaiting_deposit()
    client, payment = on_the_pay_page(application)
    pay(payment)
    # Stripe's word reaches us more than once: the return page twice, then reconciliation.
    client.get(return_url(payment))
    client.get(return_url(payment))
    payment_sync(payment_id=payment.pk)
    wait_until(
        lambda: not Notification.objects.filter(emailed_at__isnull=True).exists(),
        what="the worker emailing every notification",
    )
    receipts = [envelope_text(e) for e in smtp_server if "Receipt: deposit" in envelope_text(e)]
    assert len(receipts) == 1
    (text,) = receipts
    assert application.applicant.user.email in text
    assert f"Stripe PaymentIntent: {payment.payment_intent_id}" in text
    assert "Amount: $500.00" in text
    assert f"{settings.SITE_URL}{receipt_url(payment)}" in text
    assert Notification.objects.filter(key=f"payment:{payment.pk}:receipt").count() == 1
