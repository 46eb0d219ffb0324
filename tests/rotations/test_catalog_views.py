"""The catalog pages: /rotations/ (search, filters, htmx, errors) and /rotations/<slug>/."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from rotations.models import Rotation
from tests.factories import OrganizationFactory, catalog_rotation

pytestmark = pytest.mark.django_db
LIST = "/rotations/"


def test_the_catalog_lists_published_rotations_with_count_price_and_seats(client, three_rotations):
    catalog_rotation(title="Secret Draft Rotation", slug="draft", status=Rotation.Status.DRAFT)
    page = client.get(LIST).content.decode()
    assert "3 rotations" in page
    assert "Cardiology Externship" in page and "Secret Draft Rotation" not in page
    assert "$2,600.00" in page  # $100 application + $2,500 program fee
    assert "3 seats left" in page


def test_filters_in_the_url_filter_the_page(client, three_rotations):
    page = client.get(LIST, {"state": "IL", "sort": "price"}).content.decode()
    assert "1 rotation" in page
    assert "Pediatrics Observership" in page and "Cardiology Externship" not in page


def test_search_on_the_page_survives_a_typo(client, three_rotations):
    from rotations.search import search_dictionary_refresh

    search_dictionary_refresh()
    page = client.get(LIST, {"q": "pediatrcs"}).content.decode()
    assert "Pediatrics Observership" in page and "Cardiology Externship" not in page


def test_bad_parameters_show_the_form_error_and_no_results(client, three_rotations):
    response = client.get(LIST, {"weeks": "four", "start_month": "May"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please correct the search" in page
    assert "Enter a number." in page and "Enter a month as YYYY-MM." in page
    assert 'aria-invalid="true"' in page
    assert "Cardiology Externship" not in page


def test_htmx_gets_the_results_alone_and_a_plain_request_the_whole_page(client, three_rotations):
    partial = client.get(LIST, {"type": "telehealth"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert "Telepsychiatry Rotation" in partial.content.decode()
    assert "HX-Request" in partial["Vary"]
    assert 'id="results-status" hx-swap-oob="innerHTML">1 rotation found.' in partial.content.decode()
    full = client.get(LIST, {"type": "telehealth"}).content.decode()
    assert "<html" in full and 'hx-get="/rotations/"' in full


def test_page_links_keep_the_filters(client):
    for index in range(3):
        catalog_rotation(slug=f"r{index}", rotation_type="research")
    page = client.get(LIST, {"type": "research", "page_size": 2}).content.decode()
    assert "?type=research&amp;page_size=2&amp;page=2" in page


def test_the_list_page_query_count_does_not_grow_with_the_number_of_results(
    client, django_assert_max_num_queries
):
    for index in range(25):
        catalog_rotation(slug=f"r{index}", blocks=[{"days_ahead": 60}, {"days_ahead": 90}])
    for params in ({"page_size": 2}, {"page_size": 25}, {"q": "externship", "page_size": 25}):
        with django_assert_max_num_queries(5):
            assert client.get(LIST, params).status_code == 200


def test_the_detail_page_shows_cost_blocks_refunds_host_and_an_apply_link(
    client, django_assert_max_num_queries
):
    today = date.today()
    rotation = catalog_rotation(
        slug="detail",
        cancellation_policy=Rotation.CancellationPolicy.STRICT,
        organization=OrganizationFactory(name="Harbor Clinic", city="Tampa", state="FL"),
        blocks=[
            {"days_ahead": 120, "capacity": 4, "seats_taken": 1},
            {"days_ahead": 150, "capacity": 2, "seats_taken": 2},
        ],
    )
    # The rotation and its blocks, its reviews, and its track record counted afresh (hosts.track_records:
    # the rotation's ratings, its host's and its preceptor's two each), however many there are.
    with django_assert_max_num_queries(8):
        page = client.get(reverse("rotations:detail", args=[rotation.slug])).content.decode()
    assert "$2,600.00" in page and "$500.00" in page  # total, deposit
    assert "3 of 4" in page and "Full" in page
    assert "50% back ($1,250.00)" in page  # strict: half the program fee until 90 days before
    first = rotation.blocks.get(start_date=today + timedelta(days=120))
    assert reverse("applicants:apply", args=[first.pk]) in page
    assert "Harbor Clinic" in page and rotation.preceptor.full_name in page


def test_an_unpublished_rotation_has_no_page(client):
    rotation = catalog_rotation(slug="draft", status=Rotation.Status.DRAFT)
    assert client.get(reverse("rotations:detail", args=[rotation.slug])).status_code == 404


def test_the_home_page_has_a_search_box_that_leads_to_the_catalog(client):
    page = client.get("/").content.decode()
    assert f'action="{LIST}"' in page and 'name="q"' in page


def test_a_corrected_search_says_what_was_searched_and_keeps_the_words_typed(
    client, three_rotations, django_assert_max_num_queries
):
    from rotations.search import search_dictionary_refresh

    search_dictionary_refresh()
    with django_assert_max_num_queries(5):
        page = client.get(LIST, {"q": "pediatrcs"}).content.decode()
    assert "Showing results for <strong>pediatrics</strong>" in page
    assert 'value="pediatrcs"' in page  # the search box keeps what was typed
    assert "Pediatrics Observership" in page and "Cardiology Externship" not in page
    partial = client.get(LIST, {"q": "pediatrcs"}, headers={"HX-Request": "true"}).content.decode()
    assert "1 rotation found for pediatrics." in partial


@pytest.mark.parametrize("q", ["", "Pediatrics", "  pédiatrics, "])
def test_a_search_that_needed_no_correction_shows_no_notice(client, three_rotations, q):
    from rotations.search import search_dictionary_refresh

    search_dictionary_refresh()
    page = client.get(LIST, {"q": q}).content.decode()
    assert "Pediatrics Observership" in page
    assert "Showing results for" not in page
