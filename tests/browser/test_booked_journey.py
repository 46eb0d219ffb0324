"""From booking to the first day in a real browser: a ready applicant books a block at once, downloads
the enrollment letter, opens the page a consulate checks it on, and reads on the booking's page the
first day and the advisor our staff assigned. axe-core finds no serious or critical violation on
the booking's page, the verify page, or the account's calendar page."""

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from applicants.models import Application, EnrollmentLetter
from applicants.services import booking_advisor_assign
from rotations.models import DocumentKind, Rotation
from rotations.services import first_day_update
from tests.browser.actions import log_in
from tests.browser.audit import assert_keyboard_complete, assert_no_serious_axe_violations
from tests.factories import (
    ApplicantFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_applicant_books_at_once_downloads_the_letter_has_it_verified_and_reads_the_first_day(
    open_page,
):
    start = timezone.localdate() + timedelta(days=10)
    block = BlockFactory(
        start_date=start,
        apply_by=start - timedelta(days=3),
        rotation__title="Cardiology Ward Clerkship",
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW,
        rotation__application_fee_cents=0,
        rotation__deposit_cents=0,
        rotation__required_document_kinds=[DocumentKind.CV],
        rotation__preceptor__full_name="Grace Hopper",
    )
    rotation = block.rotation
    first_day_update(
        rotation=rotation,
        arrival_time=time(7, 30),
        where_to_go="North entrance, then room 301.",
        ask_for="Maria Lopez",
        dress_code="Business casual and a white coat.",
        what_to_bring="Passport and stethoscope.",
    )
    applicant = ApplicantFactory(legal_name="Chinedu Eze", citizenship="NG")
    EmailAddressFactory(user=applicant.user)
    DocumentFactory(applicant=applicant, kind=DocumentKind.CV)

    page = open_page()
    log_in(page, applicant.user.email)
    page.goto(f"/rotations/{rotation.slug}/")
    page.get_by_role("link", name="Book now the block starting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Book now: {rotation.title}")
    page.get_by_label("Personal statement").fill("I want to see heart failure care on a U.S. ward.")
    page.get_by_role("button", name="Book now").click()
    expect(page.get_by_role("alert")).to_contain_text("Booked.")
    application = Application.objects.get(applicant=applicant)
    assert application.status == Application.Status.CONFIRMED

    # Our staff assign the advisor (the admin's page for it is swept in test_pages_sweep.py).
    advisor = StaffFactory(full_name="Amara Okafor")
    booking_advisor_assign(application=application, advisor=advisor, actor=advisor)
    page.reload()
    first_day = page.get_by_role("region", name="Your first day")
    expect(first_day).to_contain_text("7:30 AM (local time)")
    expect(first_day).to_contain_text("North entrance, then room 301.")
    expect(first_day).to_contain_text("Maria Lopez")
    expect(first_day).to_contain_text("Grace Hopper, MD")
    advice = page.get_by_role("region", name="Your advisor")
    expect(advice).to_contain_text("Amara Okafor")
    expect(advice.get_by_role("link", name=advisor.email)).to_be_visible()
    assert_no_serious_axe_violations(page)
    assert_keyboard_complete(page)

    letter = EnrollmentLetter.objects.get(application=application)
    card = page.get_by_role("region", name="Enrollment letter")
    with page.expect_download() as download:
        card.get_by_role("link", name="Download the letter (PDF)").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    text = PdfReader(path).pages[0].extract_text()
    assert "Chinedu Eze" in text and letter.code_display in text

    card.get_by_role("link", name="See what the consulate sees").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This enrollment letter is genuine and valid")
    expect(page.get_by_role("main")).to_contain_text("Chinedu Eze")
    expect(page.get_by_role("main")).to_contain_text(letter.code_display)
    assert_no_serious_axe_violations(page)

    # The calendar feed that carries the booking, from the account menu.
    page.goto("/")
    page.get_by_role("button", name="Account").click()
    page.get_by_role("link", name="Calendar feed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar feed")
    assert_no_serious_axe_violations(page)
