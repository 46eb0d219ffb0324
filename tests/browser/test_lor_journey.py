"""A letter of recommendation from request to ERAS, in a real browser, with a real Celery worker and
a real SMTP server (aiosmtpd): the applicant of a completed rotation asks its preceptor for a letter
(the waiver left as it starts, waived); the author follows the link in the email the worker sent,
accepts, uploads an A4 PDF and reads why the ERAS portal would refuse it, uploads a US Letter one,
and confirms the day they submitted it to ERAS; the applicant sees "Submitted to ERAS" and never the
letter. axe-core finds no serious or critical violation on any of these pages."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applicants.models import LetterRequest
from tests.browser.actions import log_in
from tests.browser.audit import assert_no_serious_axe_violations
from tests.factories import EmailAddressFactory, completed_booking
from tests.mail import envelope_text
from tests.pdfs import a4_pdf_bytes, letter_pdf_bytes
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]

AUTHOR = "preceptor@lakeside.test"
LINK = re.compile(r"https?://[^/\s]+(/letters/author/[^/\s]+/)")
S = LetterRequest.Status


def pdf(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": data}


def test_an_applicant_asks_for_a_letter_and_its_author_gets_it_to_eras_without_an_account(
    open_page, celery_worker, smtp_server
):
    booking = completed_booking(applicant__legal_name="Chinedu Eze")
    preceptor = booking.block.rotation.preceptor
    EmailAddressFactory(user=booking.applicant.user)
    applicant = open_page()
    log_in(applicant, booking.applicant.user.email)
    applicant.goto(f"/me/applications/{booking.pk}/")
    letters = applicant.get_by_role("region", name="Letters of recommendation")
    assert_no_serious_axe_violations(applicant)
    letters.get_by_role("link", name="Request a letter of recommendation").click()
    expect(applicant.get_by_role("heading", level=1)).to_have_text("Request a letter of recommendation")
    expect(applicant.get_by_label("Author", exact=True)).to_have_value(str(preceptor.pk))
    applicant.get_by_label("Author's title or department").fill("Professor of Medicine")
    applicant.get_by_label("Author's email").fill(AUTHOR)
    applicant.get_by_label("ERAS Letter ID").fill("LOR-2027-0042")
    applicant.get_by_label("Needed in ERAS by").fill((timezone.localdate() + timedelta(days=30)).isoformat())
    applicant.get_by_label("Letter Request Form (PDF)").set_input_files(
        pdf("letter-request-form.pdf", letter_pdf_bytes(text=("ERAS Letter Request Form",)))
    )
    expect(applicant.get_by_role("radio", name=re.compile("^I waive my right"))).to_be_checked()
    assert_no_serious_axe_violations(applicant)
    applicant.get_by_role("button", name="Request the letter").click()
    expect(applicant.get_by_role("alert")).to_contain_text(f"Letter requested from {preceptor.full_name}")
    expect(letters).to_contain_text("LOR-2027-0042")
    expect(letters).to_contain_text("Requested")
    letter = LetterRequest.objects.get(application=booking)
    assert (letter.author_email, letter.waived) == (AUTHOR, True)

    # The worker emails the author at once; they follow the link, with no account.
    wait_until(lambda: any(AUTHOR in e.rcpt_tos for e in smtp_server), what="the request email to the author")
    email = next(envelope_text(e) for e in smtp_server if AUTHOR in e.rcpt_tos)
    author = open_page()
    author.goto(LINK.search(email).group(1))
    expect(author.get_by_role("heading", level=1)).to_have_text("A letter for Chinedu Eze")
    expect(author.locator("#letter-id")).to_have_text("LOR-2027-0042")
    assert_no_serious_axe_violations(author)
    author.get_by_role("button", name="Accept to write this letter").click()
    expect(author.get_by_role("alert")).to_contain_text("you accepted to write this letter")

    upload = author.get_by_label("The letter (PDF)")
    upload.set_input_files(pdf("Letter for Chinedu Eze.pdf", a4_pdf_bytes()))
    author.get_by_role("button", name="Check and keep the letter").click()
    problems = author.locator("#letter-problems")
    expect(problems).to_contain_text("US Letter pages (8.5 × 11 in)")
    assert_no_serious_axe_violations(author)
    assert not letter.versions.exists()

    author.get_by_label("The letter (PDF)").set_input_files(
        pdf("Letter for Chinedu Eze.pdf", letter_pdf_bytes())
    )
    author.get_by_role("button", name="Check and keep the letter").click()
    expect(author.locator("#letter-versions")).to_contain_text("Version 1 (the one for ERAS)")
    author.get_by_label("The day you uploaded it to ERAS").fill(timezone.localdate().isoformat())
    author.get_by_role("button", name="Confirm the submission to ERAS").click()
    expect(author.get_by_role("alert")).to_contain_text("the submission to ERAS is recorded")
    # The link has nothing left to do, and says so.
    expect(author.get_by_role("heading", level=1)).to_have_text("This letter request is closed")
    assert_no_serious_axe_violations(author)
    letter.refresh_from_db()
    assert (letter.status, letter.eras_submitted_on) == (S.SUBMITTED, timezone.localdate())

    # The applicant follows it to ERAS and never sees the letter.
    applicant.reload()
    expect(letters).to_contain_text("Submitted to ERAS")
    expect(letters).to_contain_text("Letter received for safekeeping")
    expect(letters.get_by_role("link", name=re.compile("Download", re.I))).to_have_count(0)
    hrefs = applicant.locator("a[href]").evaluate_all("(links) => links.map((link) => link.href)")
    assert not [href for href in hrefs if "/me/letters/" in urlsplit(href).path or "/letters/author/" in href]
    assert "Letter for Chinedu Eze" not in applicant.content()
    assert_no_serious_axe_violations(applicant)
