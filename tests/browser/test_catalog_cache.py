"""The catalog in a browser, served from the anonymous cache: htmx searches, and a host's edit shows."""

import pytest
from playwright.sync_api import expect

from rotations.services import rotation_update
from tests.factories import catalog_rotation

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_anonymous_search_served_from_the_cache_shows_a_host_edit_at_once(page):
    rotation = catalog_rotation(title="Cardiology Externship")
    catalog_rotation(title="Pediatrics Observership")
    page.goto("/rotations/")
    search = page.get_by_role("textbox", name="Search")
    for _ in range(2):  # the second search is answered from the cache
        search.fill("cardiology")
        search.press("Enter")
        expect(page.locator("#results h3")).to_have_text(["Cardiology Externship"])
        search.fill("")
        search.press("Enter")
        expect(page.locator("#results h3")).to_have_count(2)

    rotation_update(rotation=rotation, title="Cardiology Externship, Houston")
    search.fill("cardiology")
    search.press("Enter")
    expect(page.locator("#results h3")).to_have_text(["Cardiology Externship, Houston"])
