"""GET /api/v1/rotations/ and friends: filters, sorts, errors, query counts."""

from datetime import date, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from rotations.models import Rotation
from rotations.search import search_dictionary_refresh
from rotations.tasks import catalog_refresh
from tests.factories import OrganizationFactory, catalog_rotation

pytestmark = pytest.mark.django_db
URL = "/api/v1/rotations/"


@pytest.fixture
def api():
    return APIClient()


def slugs(api, query: str) -> list[str]:
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 200, response.json()
    return [row["slug"] for row in response.json()["results"]]


def month_of(days_ahead: int) -> str:
    return (date.today() + timedelta(days=days_ahead)).strftime("%Y-%m")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("specialty=cardiology", {"a"}),
        ("state=IL", {"b"}),
        ("city=boston", {"c"}),
        ("type=observership", {"b"}),
        ("setting=outpatient", {"b", "c"}),
        (f"start_month={month_of(40)}", {"a"}),
        (
            f"start_from={date.today() + timedelta(days=50)}&start_to={date.today() + timedelta(days=150)}",
            {"b"},
        ),
        ("weeks=8", {"c"}),
        ("max_price=1500", {"b", "c"}),
        ("lor=true", {"a", "c"}),
        ("lor=false", {"b"}),
        ("visa=j1", {"b", "c"}),
        ("open_seats=true", {"a", "c"}),
        ("open_seats=true&weeks=2", set()),
        ("q=cardiology&lor=true", {"a"}),
    ],
)
def test_each_filter_keeps_exactly_the_matching_rotations(api, three_rotations, query, expected):
    assert set(slugs(api, query)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("soonest", ["a", "b", "c"]), ("price", ["b", "c", "a"]), ("newest", ["c", "b", "a"])],
)
def test_each_sort_orders_the_catalog(api, three_rotations, sort, expected):
    assert slugs(api, f"sort={sort}") == expected


def test_block_filters_hold_on_one_same_block(api):
    catalog_rotation(
        slug="split",
        blocks=[
            {"days_ahead": 60, "weeks": 4, "capacity": 1, "seats_taken": 1},
            {"days_ahead": 90, "weeks": 2},
        ],
    )
    assert slugs(api, "weeks=4&open_seats=true") == []
    assert slugs(api, "weeks=2&open_seats=true") == ["split"]


def test_blocks_closed_for_applications_do_not_count_as_open_seats(api):
    today = date.today()
    catalog_rotation(slug="closed", blocks=[{"days_ahead": 10, "apply_by": today - timedelta(days=1)}])
    assert slugs(api, "open_seats=true") == []
    assert slugs(api, "") == ["closed"]


def test_soonest_start_counts_only_blocks_still_open_to_applications_and_moves_as_they_close(api):
    today = date.today()
    catalog_rotation(
        slug="closing",
        blocks=[
            {"days_ahead": 10, "apply_by": today - timedelta(days=1)},  # not started, closed to applicants
            {"days_ahead": 60, "apply_by": today + timedelta(days=30)},
        ],
    )
    catalog_rotation(slug="open", blocks=[{"days_ahead": 40, "apply_by": today + timedelta(days=20)}])

    def soonest() -> list[tuple[str, str | None]]:
        rows = api.get(f"{URL}?sort=soonest").json()["results"]
        return [(row["slug"], row["next_start_date"]) for row in rows]

    assert soonest() == [
        ("open", str(today + timedelta(days=40))),
        ("closing", str(today + timedelta(days=60))),
    ]
    with time_machine.travel(today + timedelta(days=25), tick=False):
        assert catalog_refresh() == 1  # "open" closed for applications on day 20
        assert catalog_refresh() == 0
        assert soonest() == [("closing", str(today + timedelta(days=60))), ("open", None)]


def test_the_list_gives_a_total_count_and_pages(api, three_rotations):
    body = api.get(f"{URL}?page_size=2&sort=soonest").json()
    assert body["count"] == 3
    assert [row["slug"] for row in body["results"]] == ["a", "b"]
    assert [row["slug"] for row in api.get(body["next"]).json()["results"]] == ["c"]


def test_a_listed_rotation_shows_its_total_price_and_bookable_blocks_with_seats_left(api, three_rotations):
    row = next(r for r in api.get(URL).json()["results"] if r["slug"] == "b")
    assert row["total_price_cents"] == 95_000
    assert [(block["weeks"], block["seats_left"]) for block in row["blocks"]] == [(2, 0)]


def test_unpublished_rotations_are_never_listed_or_shown(api):
    draft = catalog_rotation(slug="draft", status=Rotation.Status.DRAFT)
    archived = catalog_rotation(slug="archived", status=Rotation.Status.ARCHIVED)
    assert api.get(URL).json()["count"] == 0
    assert api.get(f"{URL}{draft.pk}/").status_code == 404
    assert api.get(f"{URL}{archived.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("colour=blue", "colour"),
        ("weeks=four", "weeks"),
        ("weeks=0", "weeks"),
        ("lor=maybe", "lor"),
        ("type=cruise", "type"),
        ("specialty=astrology", "specialty"),
        ("state=XX", "state"),
        ("start_month=2026-13", "start_month"),
        ("start_from=tomorrow", "start_from"),
        ("max_price=-5", "max_price"),
        ("sort=cheapest", "sort"),
        ("page_size=500", "page_size"),
        ("page=zero", "page"),
        ("start_from=2027-05-01&start_to=2027-04-01", "start_to"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(api, query, parameter):
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith(f"{parameter}:")
    assert parameter in body["extra"]["fields"]


def test_the_list_query_count_does_not_grow_with_the_number_of_results(api, django_assert_max_num_queries):
    for index in range(30):
        catalog_rotation(slug=f"r{index}", blocks=[{"days_ahead": 60}, {"days_ahead": 90}])
    for query in ("page_size=2", "page_size=30", "q=externship&page_size=30", "open_seats=true&sort=price"):
        with django_assert_max_num_queries(5):
            assert api.get(f"{URL}?{query}").status_code == 200


def test_the_detail_shows_blocks_with_seats_left_and_refund_schedule(api, three_rotations):
    body = api.get(f"{URL}{three_rotations['a'].pk}/").json()
    assert body["organization"]["name"] == "Houston Heart"
    assert body["preceptor"]["credentials"] == "MD"
    [block] = body["blocks"]
    assert block["seats_left"] == 3
    assert [window["refund_percent"] for window in block["refund_schedule"]] == [
        50,
        0,
    ]  # 40 days out: the 100% window is over


def test_specialties_and_an_organization_with_its_published_rotations(api, three_rotations):
    names = [row["name"] for row in api.get("/api/v1/specialties/").json()]
    assert names == sorted(names) and "Cardiology" in names
    org = three_rotations["a"].organization
    catalog_rotation(slug="hidden", organization=org, status=Rotation.Status.DRAFT)
    body = api.get(f"/api/v1/organizations/{org.slug}/").json()
    assert body["city"] == "Houston"
    assert [row["slug"] for row in body["rotations"]] == ["a"]
    assert api.get(f"/api/v1/organizations/{OrganizationFactory.build().slug}-nope/").status_code == 404


def test_the_openapi_schema_documents_the_catalog_parameters(api):
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/rotations/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {
        "q",
        "specialty",
        "state",
        "start_month",
        "max_price",
        "open_seats",
        "sort",
        "page",
        "page_size",
    } <= names
    assert "/api/v1/rotations/{id}/" in schema["paths"]
    assert "/api/v1/organizations/{slug}/" in schema["paths"]


def test_a_corrected_search_reports_the_words_searched_next_to_the_count(
    api, three_rotations, django_assert_max_num_queries
):
    search_dictionary_refresh()
    with django_assert_max_num_queries(5):
        body = api.get(f"{URL}?q=pediatrcs").json()
    assert list(body) == ["count", "count_is_exact", "corrected_query", "next", "previous", "results"]
    assert body["count"] == 1 and body["corrected_query"] == "pediatrics"
    assert [row["slug"] for row in body["results"]] == ["b"]


@pytest.mark.parametrize("query", ["", "q=Pediatrics", "q=P%C3%A9diatrics%21"])
def test_a_search_that_needed_no_correction_reports_none(api, three_rotations, query):
    search_dictionary_refresh()
    body = api.get(f"{URL}?{query}").json()
    assert body["count"] >= 1 and body["corrected_query"] is None


def test_the_openapi_schema_documents_the_corrected_query(api):
    schema = api.get("/api/schema/?format=json").json()
    response = schema["paths"]["/api/v1/rotations/"]["get"]["responses"]["200"]
    name = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    properties = schema["components"]["schemas"][name]["properties"]
    assert list(properties)[:3] == ["count", "count_is_exact", "corrected_query"]
    assert properties["count_is_exact"]["type"] == "boolean"
    assert properties["corrected_query"]["type"] == "string" and properties["corrected_query"]["nullable"]
