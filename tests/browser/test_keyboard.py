"""Keyboard-only use: Tab reaches every control in order with a visible focus ring, no control lacks
a label, and a person can log in, tick documents and submit an application without a mouse."""

import re

import pytest
from playwright.sync_api import Page, expect

from applicants.models import Application
from rotations.models import DocumentKind
from tests.browser.actions import log_in
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

# Every control a keyboard user must reach, as shown on the page (hidden, disabled and collapsed ones
# are out of reach for everyone, so they are left out).
MARK_CONTROLS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const controls = [...document.querySelectorAll(selector)].filter(
    (el) => !el.disabled && el.tabIndex >= 0 && el.checkVisibility({visibilityProperty: true})
  );
  controls.forEach((el, i) => { el.dataset.kb = String(i); });
  // Tab enters a radio group once; the arrow keys move within it.
  return controls.map((el, i) => ({
    group: el.type === 'radio' ? `radio:${el.form?.id}:${el.name}` : String(i),
    html: el.outerHTML.slice(0, 120),
  }));
}"""

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    kb: el.dataset.kb ?? null,
    html: el.outerHTML.slice(0, 120),
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
  };
}"""

# Form controls that a screen reader would announce without a name.
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter((el) => !['submit', 'button', 'reset', 'image'].includes(el.type))
  .filter((el) => el.labels.length === 0)
  .filter((el) => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML.slice(0, 160))"""


# aria-describedby / aria-labelledby naming an id that is not on the page: the help text or name is lost.
BROKEN_ARIA_REFERENCES = """() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby]')]
  .flatMap((el) => ['aria-describedby', 'aria-labelledby']
    .flatMap((attr) => (el.getAttribute(attr) || '').split(/\\s+/).filter(Boolean))
    .filter((id) => !document.getElementById(id))
    .map((id) => `${id} on ${el.outerHTML.slice(0, 120)}`))"""


def tab_through(page: Page) -> list[dict]:
    """Press Tab from the top of the page until focus comes round again; return each stop once."""
    controls = page.evaluate(MARK_CONTROLS)
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    stops: list[dict] = []
    for _ in range(4 * len(controls) + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        if stops and focused["kb"] == stops[0]["kb"]:
            break  # round again: nothing held the focus
        if not stops or focused["kb"] != stops[-1]["kb"]:  # date inputs take a Tab per part
            stops.append(focused)
    reached = {controls[int(stop["kb"])]["group"] for stop in stops if stop["kb"] is not None}
    missed = [control["html"] for control in controls if control["group"] not in reached]
    assert missed == [], f"{page.url}: Tab never reaches: {missed}"
    return stops


def assert_keyboard_complete(page: Page) -> None:
    stops = tab_through(page)
    without_ring = [stop["html"] for stop in stops if not stop["ring"]]
    assert without_ring == [], f"{page.url}: no visible focus outline on: {without_ring}"
    order = [int(stop["kb"]) for stop in stops]
    assert order == sorted(order), f"{page.url}: focus does not follow the reading order"
    assert page.evaluate(UNLABELLED) == [], page.url
    assert page.evaluate(BROKEN_ARIA_REFERENCES) == [], page.url


def press_tab_until(page: Page, name: str, *, limit: int = 40) -> None:
    """Tab until the control with accessible name `name` has the focus, as a keyboard user does."""
    target = (
        page.get_by_role("textbox", name=name)
        .or_(page.get_by_role("button", name=name))
        .or_(page.get_by_role("checkbox", name=re.compile(re.escape(name))))
    )
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate_all("(els) => els.includes(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached {name!r}")


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
