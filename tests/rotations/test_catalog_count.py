"""The catalog's capped count: exact up to a cap, "N+ rotations" beyond it, pages still linked."""

import re
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from rotations.selectors import CatalogPaginator, rotation_catalog
from tests.factories import catalog_rotation

pytestmark = pytest.mark.django_db
LIST = "/rotations/"
URL = "/api/v1/rotations/"
MAX_QUERIES = 6


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def five_externships(db):
    return [
        catalog_rotation(slug=f"e{index}", title=f"Externship {index}", blocks=[{"days_ahead": 40 + index}])
        for index in range(5)
    ]


@pytest.fixture
def cap_of_three(monkeypatch):
    """The cap is 1,000 in production; three keeps the rows a test needs few."""
    monkeypatch.setattr(CatalogPaginator, "count_cap", 3)


@pytest.mark.parametrize("query", ["sort=soonest", "q=externship"])
def test_the_api_counts_exactly_up_to_the_cap(api, five_externships, query, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        body = api.get(f"{URL}?{query}&page_size=2").json()
    assert list(body)[:3] == ["count", "count_is_exact", "corrected_query"]
    assert (body["count"], body["count_is_exact"]) == (5, True)


@pytest.mark.parametrize(
    "query", ["sort=soonest", "q=externship", "q=externship&sort=soonest", "q=externship&sort=price"]
)
def test_beyond_the_cap_the_api_says_at_least_and_next_links_reach_every_row(
    api, five_externships, cap_of_three, query, django_assert_max_num_queries
):
    with django_assert_max_num_queries(MAX_QUERIES):
        body = api.get(f"{URL}?{query}&page_size=2").json()
    assert (body["count"], body["count_is_exact"]) == (3, False)
    seen = [row["slug"] for row in body["results"]]
    while body["next"]:
        with django_assert_max_num_queries(MAX_QUERIES):
            body = api.get(body["next"]).json()
        seen += [row["slug"] for row in body["results"]]
    # The last page is counted to its own end, so it knows the total and that nothing follows. Past
    # the cap a search lists by another plan (its sort's index, or ranked candidates): same rows.
    assert (body["count"], body["count_is_exact"]) == (5, True)
    assert sorted(seen) == sorted(rotation.slug for rotation in five_externships)
    assert api.get(body["previous"]).json()["results"]


def test_exactly_the_cap_is_an_exact_count(api, five_externships, cap_of_three):
    body = api.get(f"{URL}?q=externship&page_size=2&page=3").json()
    assert (body["count"], body["count_is_exact"], body["next"]) == (5, True, None)
    five_externships[0].blocks.all().delete()
    five_externships[0].delete()
    five_externships[1].delete()
    body = api.get(f"{URL}?q=externship").json()
    assert (body["count"], body["count_is_exact"]) == (3, True)


def test_beyond_the_cap_the_page_says_n_plus_and_links_next_without_a_last_page(
    client, five_externships, cap_of_three, django_assert_max_num_queries
):
    with django_assert_max_num_queries(MAX_QUERIES):
        page = client.get(LIST, {"q": "externship", "page_size": 2}).content.decode()
    assert "3+ rotations" in page
    assert "Page 1<" in page and "Page 1 of" not in page
    assert "q=externship&amp;page_size=2&amp;page=2" in page
    # A page of 20 reaches past the cap of three: it counts the whole page's worth.
    partial = client.get(LIST, {"q": "externship", "page_size": 2}, headers={"HX-Request": "true"})
    assert 'hx-swap-oob="innerHTML">3+ rotations found.' in partial.content.decode()
    full_page = client.get(LIST, {"q": "externship"}).content.decode()
    assert "5 rotations" in full_page and "Page 1<" not in full_page


def test_below_the_cap_the_page_gives_the_exact_count_and_its_last_page(
    client, five_externships, django_assert_max_num_queries
):
    with django_assert_max_num_queries(MAX_QUERIES):
        page = client.get(LIST, {"q": "externship", "page_size": 2}).content.decode()
    assert "5 rotations" in page and "5+" not in page
    assert "Page 1 of 3" in page


@pytest.mark.parametrize("page_size", [1, 2, 4])
def test_paging_by_best_match_past_the_cap_never_repeats_or_skips_a_rotation(
    api, five_externships, cap_of_three, page_size
):
    """Best match ranks the first candidates the index finds and lists the rest in the order found,
    the same on every page: pages that counted further must not rank a different set."""
    # Saving a row writes its new version after the others: a scan in table order finds them last.
    for rotation in five_externships[:2]:
        rotation.description += " Rewritten."
        rotation.save(update_fields=["description"])
    body = api.get(f"{URL}?q=externship&page_size={page_size}").json()
    seen = [row["slug"] for row in body["results"]]
    while body["next"]:
        body = api.get(body["next"]).json()
        seen += [row["slug"] for row in body["results"]]
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize("sort", ["relevance", "soonest", "price", "newest"])
@pytest.mark.parametrize("q", ["", "externship"])
def test_a_page_chosen_with_the_count_is_in_the_sorts_own_order(api, sort, q):
    """The count chooses a page's ids by ORDERINGS_OVER_CANDIDATES; they must list the rows in
    the order the catalog's ORDERINGS give, ties (same price, start and publication) included."""
    published = datetime(2026, 1, 1, tzinfo=UTC)
    for index in range(9):
        catalog_rotation(
            slug=f"r{index}",
            title=f"Externship {index}" + " externship" * (index % 2),  # two ranks
            program_fee_cents=100_000 * (1 + index % 3),
            published_at=published if index % 2 else None,
            blocks=[{"days_ahead": 40 + index % 4}] if index != 4 else [],  # one with no upcoming block
        )
    expected = [rotation.slug for rotation in rotation_catalog(q=q, sort=sort)]
    seen = []
    url = f"{URL}?sort={sort}&page_size=4" + (f"&q={q}" if q else "")
    while url:
        body = api.get(url).json()
        seen += [row["slug"] for row in body["results"]]
        url = body["next"]
    assert seen == expected and len(expected) == 9


def slugs_listed(html: str) -> list[str]:
    return re.findall(r'<h3 class="h5 mb-1"><a href="/rotations/([^/]+)/">', html)


@pytest.fixture
def externships_ranked_against_their_start(db):
    """Five externships starting on days 40..44; the later one starts, the more it says "externship"
    (the better it matches), but for e2, which says it more than e0 and e1. Listed last first, so
    that the table holds them in no order of start."""
    mentions = [1, 1, 3, 4, 5]
    created = {
        index: catalog_rotation(
            slug=f"e{index}",
            title="Externship" + " externship" * (mentions[index] - 1),
            blocks=[{"days_ahead": 40 + index}],
        )
        for index in [4, 3, 1, 0, 2]
    }
    return [created[index] for index in range(5)]


def test_best_match_past_the_cap_ranks_the_soonest_starting_matches_then_lists_the_rest_by_start(
    api, externships_ranked_against_their_start, cap_of_three
):
    body = api.get(f"{URL}?q=externship&page_size=3").json()
    assert (body["count"], body["count_is_exact"]) == (3, False)
    # The three that start soonest, best match first (e0 and e1 tie: the sooner first); e4, the best
    # match of all, starts last, so it is not among the ranked candidates.
    assert [row["slug"] for row in body["results"]] == ["e2", "e0", "e1"]
    body = api.get(body["next"]).json()
    assert [row["slug"] for row in body["results"]] == ["e3", "e4"]


@pytest.mark.django_db(transaction=True)
def test_best_match_pages_rank_the_same_candidates_however_the_table_rows_move_between_pages(
    externships_ranked_against_their_start, cap_of_three
):
    api = APIClient()
    body = api.get(f"{URL}?q=externship&page_size=2").json()
    seen = [row["slug"] for row in body["results"]]
    while body["next"]:
        # Each save writes the row's new version at the end of the table, before the next page.
        for rotation in externships_ranked_against_their_start[:3]:
            rotation.description += " Rewritten."
            rotation.save(update_fields=["description"])
        body = api.get(body["next"]).json()
        seen += [row["slug"] for row in body["results"]]
    assert seen == ["e2", "e0", "e1", "e3", "e4"]


@pytest.mark.parametrize("query", ["q=externship", "q=externship&sort=price", "sort=newest"])
def test_a_page_past_the_end_shows_the_last_page_as_paging_reaches_it(
    client, externships_ranked_against_their_start, cap_of_three, query, django_assert_max_num_queries
):
    last = slugs_listed(client.get(f"{LIST}?{query}&page_size=2&page=3").content.decode())
    assert len(last) == 1
    with django_assert_max_num_queries(MAX_QUERIES):
        past = client.get(f"{LIST}?{query}&page_size=2&page=9").content.decode()
    assert slugs_listed(past) == last
    assert "Page 3 of 3" in past


def test_pages_reach_only_the_first_rows_of_a_list_and_say_so(api, client, five_externships, monkeypatch):
    monkeypatch.setattr(CatalogPaginator, "paged_rows_max", 4)
    monkeypatch.setattr(CatalogPaginator, "count_cap", 3)
    body = api.get(f"{URL}?q=externship&page_size=2&page=2").json()
    # The deepest page: more rotations exist (count is not exact), yet no page follows.
    assert (body["count"], body["count_is_exact"], body["next"]) == (4, False, None)
    refused = api.get(f"{URL}?q=externship&page_size=2&page=3")
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "page: Pages list the first 4 rotations found: narrow the search or the filters to see others."
    )
    page = client.get(LIST, {"q": "externship", "page_size": 2, "page": 3}).content.decode()
    assert "Pages list the first 4 rotations found" in page and slugs_listed(page) == []


def test_a_deep_page_number_is_refused_before_anything_is_counted(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):  # the form's specialties, nothing of the catalog
        refused = api.get(f"{URL}?q=externship&page=50000000")
    assert refused.status_code == 400
    # Within reach, the empty catalog's pages are past its end (404); beyond it, refused (400).
    assert api.get(f"{URL}?page=500").status_code == 404
    assert api.get(f"{URL}?page=501").status_code == 400
    assert api.get(f"{URL}?page=100&page_size=100").status_code == 404
    assert api.get(f"{URL}?page=101&page_size=100").status_code == 400
