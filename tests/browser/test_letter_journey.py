"""The enrollment letter in a real browser: the applicant accepts an offer, the booking page offers the
letter, the PDF downloads and names them, and the verify page a consulate opens says it stands; both
pages work by keyboard."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from applicants.models import Application, EnrollmentLetter
from tests.browser.actions import log_in
from tests.browser.audit import assert_keyboard_complete
from tests.factories import ApplicationFactory, BlockFactory, EmailAddressFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_applicant_downloads_the_letter_of_a_confirmed_booking_and_a_consulate_verifies_it(open_page):
    block = BlockFactory(rotation__title="Family Medicine Clerkship", rotation__deposit_cents=0)
    application = ApplicationFactory(
        block=block,
        status=Application.Status.OFFERED,
        submitted_at=timezone.now(),
        applicant__legal_name="Chinedu Eze",
    )
    EmailAddressFactory(user=application.applicant.user)
    page = open_page()
    log_in(page, application.applicant.user.email)
    page.goto(f"/me/applications/{application.pk}/")
    expect(page.get_by_role("region", name="Enrollment letter")).to_have_count(0)
    page.get_by_role("region", name="Your offer").get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("alert")).to_contain_text("Offer accepted.")

    letter = EnrollmentLetter.objects.get(application=application)
    card = page.get_by_role("region", name="Enrollment letter")
    expect(card).to_contain_text(f"Verification code {letter.code_display}")
    assert_keyboard_complete(page)
    with page.expect_download() as download:
        card.get_by_role("link", name="Download the letter (PDF)").click()
    assert download.value.suggested_filename == f"enrollment-letter-{letter.code_display}.pdf"
    text = PdfReader(download.value.path()).pages[0].extract_text()
    assert "Chinedu Eze" in text and letter.code_display in text

    consulate = open_page()
    consulate.goto(f"/verify/{letter.code.lower()}/")
    expect(consulate.get_by_role("heading", level=1)).to_have_text(
        "This enrollment letter is genuine and valid"
    )
    expect(consulate.get_by_role("main")).to_contain_text("Chinedu Eze")
    expect(consulate.get_by_role("main")).to_contain_text(block.rotation.organization.name)
    assert_keyboard_complete(consulate)
