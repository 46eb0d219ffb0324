"""Keyboard-only use: Tab reaches every control in order with a visible focus ring, no control lacks
a label, and a person can log in, tick documents and submit an application without a mouse."""

import re

import pytest
from playwright.sync_api import expect

from applicants.models import Application
from rotations.models import DocumentKind
from tests.browser.actions import log_in
from tests.browser.audit import assert_keyboard_complete, press_tab_until
from tests.factories import (
    PASSWORD,
    ApplicantFactory,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def ready_applicant_and_block():
    block = BlockFactory(
        rotation__required_document_kinds=[DocumentKind.CV], rotation__title="Family Medicine Clerkship"
    )
    applicant = ApplicantFactory(user__email="keyboard@example.test")
    EmailAddressFactory(user=applicant.user)
    DocumentFactory(applicant=applicant, kind=DocumentKind.CV, original_filename="my-cv.pdf")
    return applicant, block


def test_the_login_page_is_complete_by_keyboard_and_a_user_logs_in_without_a_mouse(page):
    applicant, _ = ready_applicant_and_block()
    page.goto("/accounts/login/")
    assert_keyboard_complete(page)

    page.goto("/accounts/login/")
    press_tab_until(page, "Email")
    page.keyboard.type(applicant.user.email)
    press_tab_until(page, "Password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/me/$"))


def test_the_apply_form_is_complete_by_keyboard_and_submits_without_a_mouse(page):
    applicant, block = ready_applicant_and_block()
    log_in(page, applicant.user.email)
    page.goto(f"/apply/{block.pk}/")
    assert_keyboard_complete(page)

    page.goto(f"/apply/{block.pk}/")
    press_tab_until(page, "Personal statement")
    page.keyboard.type("I would like to see primary care in a U.S. community clinic.")
    checkbox = page.get_by_role("checkbox", name=re.compile("my-cv.pdf"))
    if checkbox.is_checked():  # the page suggests the documents the rotation requires
        press_tab_until(page, "my-cv.pdf")
        page.keyboard.press("Space")
        expect(checkbox).not_to_be_checked()
        page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    press_tab_until(page, "Submit application")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Application submitted")
    application = Application.objects.get(applicant=applicant, block=block)
    assert application.status == Application.Status.SUBMITTED
    assert [d.original_filename for d in application.documents.all()] == ["my-cv.pdf"]


def test_the_review_queue_and_an_application_are_complete_by_keyboard(page):
    coordinator = MembershipFactory()
    EmailAddressFactory(user=coordinator.user)
    block = BlockFactory(rotation__organization=coordinator.organization)
    for name in ["Amara Nwosu", "Luis Ortega"]:
        ApplicationFactory(block=block, status=Application.Status.SUBMITTED, applicant__legal_name=name)
    log_in(page, coordinator.user.email)

    page.goto("/host/applications/")
    assert_keyboard_complete(page)

    page.goto("/host/applications/")
    press_tab_until(page, "Select application of Luis Ortega")
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name="Select application of Luis Ortega")).to_be_checked()

    page.get_by_role("link", name="Amara Nwosu").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Amara Nwosu")
    assert_keyboard_complete(page)


def test_on_a_phone_the_collapsed_menu_opens_by_keyboard(page):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/")
    log_in_link = page.get_by_role("link", name="Log in")
    expect(log_in_link).to_be_hidden()
    press_tab_until(page, "Toggle navigation")
    page.keyboard.press("Enter")
    expect(log_in_link).to_be_visible()
    expect(page.get_by_role("button", name="Toggle navigation")).to_have_attribute("aria-expanded", "true")
    assert_keyboard_complete(page)


def test_the_account_menu_opens_moves_and_closes_by_keyboard(page):
    applicant, _ = ready_applicant_and_block()
    log_in(page, applicant.user.email)
    press_tab_until(page, "Account")
    page.keyboard.press("Enter")
    email_link = page.get_by_role("link", name="Email address")
    expect(email_link).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(email_link).to_be_focused()
    page.keyboard.press("Escape")
    expect(email_link).to_be_hidden()
    expect(page.get_by_role("button", name="Account")).to_be_focused()
