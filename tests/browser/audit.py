"""Accessibility audits run in the browser: what Tab reaches, whether focus shows, and whether every
control has a name and every ARIA reference resolves; and axe-core's rules (WCAG 2.x A and AA, and
its best practices), run in the page."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# axe-core's impacts that block or seriously hinder a person using assistive technology; the minor
# and moderate ones are advice.
BLOCKING_IMPACTS = ("serious", "critical")

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
    """Press Tab from the first control until focus comes round to it again; return each stop once.

    The last stop is the first control, reached by Tab like the others. Only once the page has
    loaded and its scripts have drawn what they fetch (the pay page mounts the card form after its
    POST answers): until its stylesheets apply, a collapsed menu's links still look shown, and they
    would be counted as controls Tab must reach.
    """
    page.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")
    controls = page.evaluate(MARK_CONTROLS)
    page.evaluate("() => document.querySelector('[data-kb=\"0\"]').focus()")
    stops: list[dict] = []
    for _ in range(4 * len(controls) + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (stops and focused["kb"] == stops[-1]["kb"]):
            continue  # the page itself between rounds, or the next part of a date input
        stops.append(focused)
        if focused["kb"] == "0":
            break  # round again: nothing held the focus
    reached = {controls[int(stop["kb"])]["group"] for stop in stops if stop["kb"] is not None}
    missed = [control["html"] for control in controls if control["group"] not in reached]
    assert missed == [], f"{page.url}: Tab never reaches: {missed}"
    return stops


def assert_keyboard_complete(page: Page) -> None:
    stops = tab_through(page)
    without_ring = [stop["html"] for stop in stops if not stop["ring"]]
    assert without_ring == [], f"{page.url}: no visible focus outline on: {without_ring}"
    hidden = [stop["html"] for stop in stops if stop["kb"] is None]
    assert hidden == [], f"{page.url}: Tab stops on what the page does not show: {hidden}"
    order = [int(stop["kb"]) for stop in stops[:-1]]
    assert order == sorted(order), f"{page.url}: focus does not follow the reading order: {stops}"
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


# Whether a stylesheet of the page @imports another (the Django admin's forms.css does). axe-core's
# CSSOM preload rebuilds such a sheet as a <style> element, which our Content-Security-Policy
# (style-src 'self') refuses, as it should: on such a page axe runs without that preload. Only
# css-orientation-lock reads it, and it could not read the refused sheet anyway.
IMPORTS_A_STYLESHEET = """() => [...document.styleSheets].some((sheet) => {
  try { return [...sheet.cssRules].some((rule) => rule instanceof CSSImportRule); }
  catch { return false; }
})"""


def assert_no_serious_axe_violations(page: Page) -> None:
    """axe-core (the copy bundled with axe-playwright-python) finds no serious or critical
    violation on the page as it now shows, once it has loaded and drawn what its scripts fetch."""
    page.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")
    options = {"resultTypes": ["violations"]}
    if page.evaluate(IMPORTS_A_STYLESHEET):
        options["preload"] = {"assets": ["media"]}
    results = Axe().run(page, options=options)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}: " + "; ".join(node["html"][:160] for node in v["nodes"])
        for v in blocking
    )
    assert blocking == [], f"{page.url}: axe-core finds:\n{report}"
