"""A calendar feed in a real browser: from the account menu, confirm the password, copy the address
shown once, read the feed as a calendar app would (no cookies), replace the address."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import log_in
from tests.browser.audit import assert_keyboard_complete
from tests.factories import PASSWORD, ApplicantFactory, BlockFactory, EmailAddressFactory, take_seat

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_applicant_subscribes_to_their_calendar_and_replaces_the_address(page: Page, live_server):
    applicant = ApplicantFactory()
    EmailAddressFactory(user=applicant.user)
    take_seat(BlockFactory(rotation__title="Cardiology Externship"), applicant=applicant)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, applicant.user.email)
    page.get_by_role("button", name="Account").click()
    page.get_by_role("link", name="Calendar feed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar feed")
    assert_keyboard_complete(page)
    page.get_by_role("button", name="Create a calendar feed").click()

    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your calendar feed address")).to_be_visible()
    address = page.get_by_label("Calendar feed address", exact=True).input_value()
    assert address.startswith(f"{live_server.url}/calendar/") and address.endswith(".ics")
    page.get_by_role("button", name="Copy address").click()
    expect(page.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert_keyboard_complete(page)

    # The calendar app's own client: the address alone, none of the browser's cookies.
    app = page.context.browser.new_context()
    feed = app.request.get(address)
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "SUMMARY:Cardiology Externship" in feed.text()

    page.goto("/accounts/calendar/")
    assert address not in page.content()
    page.get_by_role("button", name="Replace the address").click()
    replaced = page.get_by_label("Calendar feed address", exact=True).input_value()
    assert replaced != address
    assert app.request.get(address).status == 404
    assert app.request.get(replaced).status == 200
    app.close()
