"""A booking's first day and advisor in a real browser: the host writes the first-day plan, the
applicant sees none of it with an offer and all of it once the offer is accepted, then reads who
their advisor is and writes to them."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applicants.models import AdvisorMessage, Application
from applicants.services import booking_advisor_assign
from tests.browser.actions import log_in
from tests.browser.audit import assert_keyboard_complete
from tests.factories import ApplicationFactory, EmailAddressFactory, MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_host_writes_the_first_day_and_the_confirmed_applicant_reads_it_and_writes_to_their_advisor(
    open_page,
):
    coordinator = MembershipFactory()
    EmailAddressFactory(user=coordinator.user)
    application = ApplicationFactory(
        block__rotation__organization=coordinator.organization,
        block__rotation__title="Cardiology Observership",
        block__rotation__deposit_cents=0,
        block__rotation__preceptor__full_name="Grace Hopper",
        status=Application.Status.OFFERED,
        submitted_at=timezone.now(),
    )
    EmailAddressFactory(user=application.applicant.user)

    host = open_page()
    log_in(host, coordinator.user.email)
    host.goto(f"/host/rotations/{application.block.rotation.pk}/")
    host.get_by_role("link", name="Edit first-day information").click()
    host.get_by_label("Arrival time").fill("07:30")
    host.get_by_label("Where to go").fill("North entrance, then room 301.")
    host.get_by_label("Who to ask for").fill("Maria Lopez")
    host.get_by_label("Dress code").fill("Business casual and a white coat.")
    host.get_by_label("What to bring").fill("Passport and stethoscope.")
    assert_keyboard_complete(host)
    host.get_by_role("button", name="Save").click()
    expect(host.get_by_role("alert")).to_contain_text("First-day information saved")
    expect(host.get_by_role("region", name="First day")).to_contain_text("North entrance, then room 301.")

    applicant = open_page()
    log_in(applicant, application.applicant.user.email)
    applicant.goto(f"/me/applications/{application.pk}/")
    expect(applicant.get_by_role("region", name="Your first day")).to_have_count(0)
    expect(applicant.get_by_role("main")).not_to_contain_text("North entrance")

    applicant.get_by_role("region", name="Your offer").get_by_role("button", name="Accept the offer").click()
    first_day = applicant.get_by_role("region", name="Your first day")
    expect(first_day).to_contain_text("7:30 AM (local time)")
    expect(first_day).to_contain_text("North entrance, then room 301.")
    expect(first_day).to_contain_text("Maria Lopez")
    expect(first_day).to_contain_text("Grace Hopper, MD")
    expect(first_day.get_by_role("link", name="Open the site on OpenStreetMap")).to_have_attribute(
        "href", application.block.rotation.organization.map_url
    )
    expect(applicant.get_by_role("region", name="Your advisor")).to_have_count(0)

    advisor = StaffFactory(full_name="Amara Okafor")
    booking_advisor_assign(application=application, advisor=advisor, actor=advisor)
    applicant.reload()
    advice = applicant.get_by_role("region", name="Your advisor")
    expect(advice).to_contain_text("Amara Okafor")
    expect(advice.get_by_role("link", name=advisor.email)).to_be_visible()
    assert_keyboard_complete(applicant)
    advice.get_by_label("Message").fill("Which bus goes to the hospital?")
    advice.get_by_role("button", name="Send to your advisor").click()
    expect(applicant.get_by_role("alert")).to_contain_text("Message sent to your advisor.")
    expect(applicant.get_by_role("region", name="Your advisor")).to_contain_text(
        "Which bus goes to the hospital?"
    )
    assert AdvisorMessage.objects.get().recipient == advisor
