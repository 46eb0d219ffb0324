import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_page_renders_with_vendored_assets_and_no_console_errors(page):
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("U.S. clinical rotations")
    # Bootstrap's CSS came from static/ (nothing from a CDN): the navbar has its brand colour.
    colour = page.eval_on_selector(".amo-navbar", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(11, 83, 148)"
    assert page.evaluate("typeof htmx") == "object"


def test_keyboard_user_reaches_main_content_with_the_skip_link(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
