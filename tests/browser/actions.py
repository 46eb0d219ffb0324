"""What users do in the browser in more than one journey: logging in, reading an authenticator app."""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def current_totp_code(secret: str) -> str:
    """What an authenticator app holding `secret` shows now (allauth's own TOTP arithmetic).

    A code about to expire is waited out, as a person would: the server accepts only the current one.
    """
    period = mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 2:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def log_in(page: Page, email: str, password: str = PASSWORD, *, totp_secret: str = "") -> None:
    """Log in through allauth's form as a person types it; with a TOTP secret, pass the second step."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    if totp_secret:
        expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
        page.get_by_label("Code").fill(current_totp_code(totp_secret))
        page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def type_card(page: Page, number: str) -> None:
    """Type a test card into the Payment Element, as a person does: spaces, "MM / YY", a CVC."""
    element = page.locator("#payment-element")
    element.get_by_label("Card number").press_sequentially(number)
    element.get_by_label("Expiration date (MM / YY)").press_sequentially("12 / 34")
    element.get_by_label("Security code").press_sequentially("123")
