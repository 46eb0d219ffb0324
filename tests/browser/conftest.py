"""Browser journeys: real Chromium (Debian's package) driven by Playwright against live_server.

`make test` installs Chromium with apt-get when it is missing, or stops before the suite saying
how (tools/devstack.py); set CHROMIUM to use another binary. Run some other way without a
Chromium binary, these tests fail with that message rather than skip quietly.
"""

import os

import pytest
from django.conf import settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # This machine's network is closed: background connections only fail and slow the start.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    from tools.devstack import chromium_path as find_chromium

    path = find_chromium()
    if not path:
        pytest.fail("Chromium is not installed: `sudo apt-get install -y chromium` (`make test` does it).")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls that tests make
    # between page actions are still synchronous and safe.
    # Set only while the browser runs: other tests' subprocesses must not inherit it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def open_page(browser, live_server):
    """Open a page in a fresh browser context (its own cookies: another person at another computer).

    Every page opened fails the test on a console error or a Content-Security-Policy violation.
    """
    opened: list[tuple[object, list[str]]] = []

    def open_page():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[tuple[str, str]] = []
        refusals: dict[str, int] = {}
        # A Content-Security-Policy violation or a script error is a defect, not noise.
        page.on(
            "console",
            lambda message: (
                errors.append((message.text, message.location.get("url", "")))
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: errors.append((str(error), "")))
        # A form the server refuses comes back as a 400 page the user reads, a link that no longer
        # works (a letter author's expired one) as a 410 page saying so, and Stripe answers a
        # declined card with a 402 that stripe.js reads; Chromium logs each like a failed load.
        # Any other failed page or resource is still an error.
        page.on(
            "response",
            lambda response: (
                refusals.__setitem__(response.url, response.status)
                if (response.status in (400, 410) and response.request.resource_type == "document")
                or (response.status == 402 and response.url.startswith(settings.STRIPE_API_BASE))
                else None
            ),
        )
        opened.append((context, errors, refusals))
        return page

    yield open_page
    for context, _, _ in opened:
        context.close()
    errors = [
        text
        for _, page_errors, refusals in opened
        for text, url in page_errors
        if not (text.startswith("Failed to load resource") and url in refusals and str(refusals[url]) in text)
    ]
    assert errors == [], f"browser console errors: {errors}"


@pytest.fixture
def page(open_page):
    return open_page()
