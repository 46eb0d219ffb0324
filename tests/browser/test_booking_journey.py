"""The booking lifecycle in a real browser: a host's offer accepted and confirmed (or awaiting the
deposit), a waitlisted applicant promoted when an offer lapses, and a paid booking cancelled with
the policy's refund from the deposit shown first, then refunded."""

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from amo.models import Notification
from applicants.models import Application
from applicants.services import holds_sweep
from payments.models import Payment, Refund
from rotations.models import Block, Rotation, SeatHold
from tests.browser.actions import log_in
from tests.browser.audit import assert_keyboard_complete
from tests.factories import ApplicationFactory, BlockFactory, EmailAddressFactory, MembershipFactory
from tests.payments.stripe_helpers import confirmed_booking
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

S = Application.Status


def moment(when: datetime) -> str:
    """A deadline as the pages print it ("M j, Y H:i", UTC)."""
    return f"{when:%b} {when.day}, {when.year} {when:%H:%M}"


def day(when: date) -> str:
    return f"{when:%b} {when.day}, {when.year}"


def applicant_with_verified_email(**fields) -> Application:
    application = ApplicationFactory(submitted_at=timezone.now(), **fields)
    EmailAddressFactory(user=application.applicant.user)
    return application


def status_badge(page: Page):
    """The status pill next to the application page's heading."""
    return page.get_by_role("main").locator(".badge").first


def dashboard_card(page: Page, title: str):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    return page.get_by_role("article").filter(has_text=title)


def test_an_offer_made_on_the_host_page_is_accepted_by_the_applicant_and_confirmed_without_a_deposit(
    open_page,
):
    coordinator = MembershipFactory()
    EmailAddressFactory(user=coordinator.user)
    block = BlockFactory(
        rotation__organization=coordinator.organization,
        rotation__title="Family Medicine Clerkship",
        rotation__deposit_cents=0,
        capacity=2,
    )
    application = applicant_with_verified_email(
        block=block, status=S.SUBMITTED, applicant__legal_name="Chinedu Eze"
    )
    deadline = (timezone.now() + timedelta(days=5)).replace(hour=17, minute=0, second=0, microsecond=0)

    host = open_page()
    log_in(host, coordinator.user.email)
    host.goto(f"/host/applications/{application.pk}/")
    host.get_by_label("Offer expires at (UTC)").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    host.get_by_role("button", name="Offer a seat").click()
    expect(host.get_by_role("alert")).to_have_text("Offer sent; a seat is held until the deadline.")
    expect(host.get_by_role("list", name="Seat and deadlines")).to_contain_text(
        f"offer hold until {moment(deadline)} UTC"
    )

    applicant = open_page()
    log_in(applicant, application.applicant.user.email)
    card = dashboard_card(applicant, "Family Medicine Clerkship")
    expect(card).to_contain_text("Offered")
    expect(card).to_contain_text(f"until {moment(deadline)} UTC")
    card.get_by_role("link", name="Family Medicine Clerkship").click()
    expect(applicant.get_by_role("heading", level=1)).to_have_text("Family Medicine Clerkship")
    expect(status_badge(applicant)).to_have_text("Offered")
    expect(applicant.locator("#hold-deadline")).to_have_text(
        f"Offer held for you until {moment(deadline)} UTC."
    )
    offer = applicant.get_by_role("region", name="Your offer")
    expect(offer).to_contain_text("accepting confirms your booking at once")
    assert_keyboard_complete(applicant)

    offer.get_by_role("button", name="Accept the offer").click()
    expect(applicant.get_by_role("alert")).to_contain_text("Offer accepted. Your seat is booked.")
    expect(status_badge(applicant)).to_have_text("Confirmed")
    expect(applicant.get_by_role("region", name="Your offer")).to_have_count(0)
    expect(dashboard_card(applicant, "Family Medicine Clerkship")).to_contain_text("Confirmed")

    application = Application.objects.with_hold().get(pk=application.pk)
    assert (application.status, application.hold_kind, application.hold_expires_at) == (
        S.CONFIRMED,
        SeatHold.Kind.BOOKING,
        None,
    )
    assert Block.objects.get(pk=block.pk).seats_taken == 1

    host.get_by_role("navigation", name="Host dashboard").get_by_role("link", name="Roster").click()
    roster = host.get_by_role("region", name=re.compile("^Family Medicine Clerkship"))
    expect(roster).to_contain_text("(1/2 seats, 1 left)")
    expect(roster.get_by_role("listitem")).to_have_text("Chinedu Eze — Confirmed")


def test_accepting_an_offer_on_a_rotation_with_a_deposit_awaits_the_deposit_by_the_offer_deadline(page):
    deadline = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    application = applicant_with_verified_email(
        block__rotation__title="Pediatrics Externship",
        block__rotation__deposit_cents=45_000,
        status=S.OFFERED,
        seat=deadline,
    )
    log_in(page, application.applicant.user.email)
    page.get_by_role("link", name="Pediatrics Externship").click()
    offer = page.get_by_role("region", name="Your offer")
    expect(offer).to_contain_text("while the deposit of $450.00 is paid")

    offer.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("alert")).to_contain_text("Pay the deposit before the deadline")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay the deposit")
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="Application").click()
    expect(status_badge(page)).to_have_text("Awaiting payment")
    expect(page.get_by_role("region", name="Payment due")).to_contain_text(
        f"Deposit to confirm your seat: $450.00, due by {moment(deadline)} UTC"
    )
    assert_keyboard_complete(page)
    expect(dashboard_card(page, "Pediatrics Externship")).to_contain_text("Awaiting payment")
    application = Application.objects.with_hold().get(pk=application.pk)
    assert (application.status, application.hold_expires_at) == (S.AWAITING_PAYMENT, deadline)


def test_when_an_offer_lapses_the_sweep_offers_the_seat_to_the_waitlisted_applicant_who_accepts(open_page):
    block = BlockFactory(
        rotation__title="Emergency Medicine Observership", rotation__deposit_cents=0, capacity=1
    )
    deadline = timezone.now() + timedelta(minutes=1)
    lapsing = applicant_with_verified_email(block=block, status=S.OFFERED, seat=deadline)
    waiting = applicant_with_verified_email(block=block, status=S.WAITLISTED)
    assert Block.objects.get(pk=block.pk).seats_taken == 1

    # The beat's sweep, a minute after the deadline; the live server shares this process's clock only
    # while the sweep runs, so the browsers below see the real time again.
    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        assert holds_sweep().expired == 1

    promoted = open_page()
    log_in(promoted, waiting.applicant.user.email)
    notifications = promoted.get_by_role("region", name="Notifications")
    notifications.get_by_role("link", name="A seat opened up: Emergency Medicine Observership").click()
    expect(promoted.get_by_role("heading", level=1)).to_have_text("Emergency Medicine Observership")
    expect(status_badge(promoted)).to_have_text("Offered")
    expect(promoted.locator("#hold-deadline")).to_contain_text("Offer held for you until")
    promoted.get_by_role("region", name="Your offer").get_by_role("button", name="Accept the offer").click()
    expect(promoted.get_by_role("alert")).to_contain_text("Offer accepted. Your seat is booked.")
    expect(status_badge(promoted)).to_have_text("Confirmed")

    lapsed = open_page()
    log_in(lapsed, lapsing.applicant.user.email)
    lapsed.get_by_role("region", name="Notifications").get_by_role(
        "link", name="Your offer expired: Emergency Medicine Observership"
    ).click()
    expect(status_badge(lapsed)).to_have_text("Expired")
    expect(lapsed.get_by_text("This application expired: a deadline passed")).to_be_visible()
    expect(lapsed.get_by_role("region", name="Your offer")).to_have_count(0)

    statuses = dict(Application.objects.filter(pk__in=[lapsing.pk, waiting.pk]).values_list("pk", "status"))
    assert statuses == {lapsing.pk: S.EXPIRED, waiting.pk: S.CONFIRMED}
    assert Block.objects.get(pk=block.pk).seats_taken == 1
    assert Notification.objects.filter(
        recipient=waiting.applicant.user, subject="A seat opened up: Emergency Medicine Observership"
    ).exists()


def test_cancelling_a_paid_booking_shows_the_refund_first_refunds_it_and_gives_the_seat_to_the_waitlist(
    page, celery_worker
):
    # 45 days before the start the moderate policy refunds half of the program fee paid: the $500
    # deposit, paid at localstripe.
    block = BlockFactory(
        rotation__title="Cardiology Observership",
        rotation__cancellation_policy=Rotation.CancellationPolicy.MODERATE,
        rotation__balance_due_days_before_start=30,  # the balance is still to come
        start_date=date.today() + timedelta(days=45),
        capacity=1,
    )
    booking = confirmed_booking(block, application_fee=True)
    EmailAddressFactory(user=booking.applicant.user)
    waiting = applicant_with_verified_email(block=block, status=S.WAITLISTED)
    log_in(page, booking.applicant.user.email)

    page.get_by_role("link", name="Cardiology Observership", exact=True).click()
    expect(status_badge(page)).to_have_text("Confirmed")
    assert_keyboard_complete(page)
    page.get_by_role("region", name="Your booking").get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your booking?")
    refund = page.get_by_role("region", name="What you get back if you cancel today")
    for label, amount in [
        ("Program fee paid so far", "$500.00"),
        ("Refund today by the moderate policy (50%)", "$250.00"),
        ("from your deposit", "$250.00"),
        ("Application fee ($100.00 paid): not refunded", "$0.00"),
        ("You get back", "$250.00"),
    ]:
        expect(refund).to_contain_text(re.compile(rf"{re.escape(label)}\s*{re.escape(amount)}"))
    expect(refund).to_contain_text(f"50% until {day(block.start_date - timedelta(days=30))}")
    expect(refund).to_contain_text("nothing from the start date")
    assert_keyboard_complete(page)
    assert Application.objects.get(pk=booking.pk).status == S.CONFIRMED
    assert not Refund.objects.exists()

    page.get_by_label("Reason (optional)").fill("My visa interview was moved to that month.")
    page.get_by_role("button", name="Confirm cancellation").click()
    expect(page.get_by_role("alert")).to_have_text("Booking cancelled.")
    expect(status_badge(page)).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Cancel booking")).to_have_count(0)
    refunds = page.get_by_role("region", name="Refunds")
    expect(refunds).to_contain_text("Deposit")
    expect(refunds).to_contain_text("$250.00")
    wait_until(
        lambda: Refund.objects.filter(payment__application=booking, status="succeeded").exists(),
        what="the worker sending the refund to Stripe",
    )
    page.reload()
    expect(page.get_by_role("region", name="Refunds")).to_contain_text("Succeeded")
    expect(dashboard_card(page, "Cardiology Observership")).to_contain_text("Cancelled")

    statuses = dict(Application.objects.filter(pk__in=[booking.pk, waiting.pk]).values_list("pk", "status"))
    assert statuses == {booking.pk: S.CANCELLED, waiting.pk: S.OFFERED}
    assert Block.objects.get(pk=block.pk).seats_taken == 1
    assert Payment.objects.get(application=booking, purpose="deposit").refunded_cents == 25_000
