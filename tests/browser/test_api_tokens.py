"""Getting an API token in a real browser: from the account menu, confirm the password, copy the
token shown once, call the API with it, revoke it."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.actions import log_in
from tests.factories import PASSWORD, ApplicantFactory, EmailAddressFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_applicant_gets_a_token_uses_it_and_revokes_it(page: Page, live_server):
    user = ApplicantFactory().user
    EmailAddressFactory(user=user)
    log_in(page, user.email)
    page.get_by_role("button", name="Account").click()
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    page.get_by_label("Name").fill("Nightly sync")
    page.get_by_label("Expires after").select_option(label="30 days")
    page.get_by_role("button", name="Create token").click()

    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your new token “Nightly sync”")).to_be_visible()
    secret = page.get_by_label("Token", exact=True).input_value()
    assert re.fullmatch(r"amo_[A-Za-z0-9_-]{43}", secret)

    # The script's own client: the token alone, none of the browser's cookies.
    script = page.context.browser.new_context(base_url=live_server.url)
    api = script.request
    profile = api.get("/api/v1/me/profile/", headers={"Authorization": f"Token {secret}"})
    assert profile.status == 200
    assert profile.json()["email"] == user.email

    page.goto("/accounts/tokens/")
    expect(page.get_by_role("cell", name=f"Nightly sync ends in {secret[-4:]}")).to_be_visible()
    assert secret not in page.content()
    page.get_by_role("button", name=f"Revoke Nightly sync (ends in {secret[-4:]})").click()
    expect(page.get_by_role("alert")).to_contain_text("is revoked")
    refused = api.get("/api/v1/me/profile/", headers={"Authorization": f"Token {secret}"})
    assert refused.status == 401
    assert "revoked" in refused.json()["message"]
    script.close()
