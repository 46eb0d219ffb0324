"""What users do in the browser more than once across journeys: logging in."""

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def log_in(page: Page, email: str, password: str = PASSWORD, *, next_path: str = "") -> None:
    """Log in through allauth's form, as a person types it."""
    page.goto(f"/accounts/login/?next={next_path}" if next_path else "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
