import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_render_the_catalog_endpoints_without_console_or_csp_errors(page):
    page.goto("/api/docs/")
    expect(page.get_by_text("/api/v1/rotations/", exact=True).first).to_be_visible()
