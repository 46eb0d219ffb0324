"""The cache of the anonymous catalog (rotations.cache): served from Redis, never stale after a change.

Tests that change the catalog through a page or a service let the change commit (a transactional
database, or the commit's callbacks run), since the catalog version is bumped only once it commits.
"""

import ast
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from applicants.services import application_book_now
from rotations.models import Block, Rotation
from tests.applicants.test_apply import STATEMENT, _ready_applicant_and_block
from tests.factories import OrganizationFactory, PreceptorFactory, StaffFactory, catalog_rotation
from tests.hosts.conftest import login, make_tenant
from tests.hosts.test_isolation import rotation_form_data

LIST = "/rotations/"
API = "/api/v1/rotations/"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def api():
    return APIClient()


def titles(response) -> list[str]:
    assert response.status_code == 200
    if response["Content-Type"].startswith("application/json"):
        return [row["title"] for row in response.json()["results"]]
    return re.findall(r'<h3 class="h5 mb-1"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def retitle_behind_the_cache(rotation: Rotation, title: str) -> None:
    """A write that does not say the catalog changed: what a request then shows comes from the cache."""
    Rotation.objects.filter(pk=rotation.pk).update(title=title)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "headers"), [(LIST, {}), (LIST, HTMX), (API, {})], ids=["page", "htmx results", "api"]
)
def test_a_second_anonymous_request_is_served_from_the_cache_without_a_query(
    client, django_assert_num_queries, path, headers
):
    rotation = catalog_rotation(title="Cardiology Externship")
    assert titles(client.get(path, {"q": "cardiology", "page_size": 10}, headers=headers)) == [rotation.title]
    retitle_behind_the_cache(rotation, "Renamed Behind The Cache")
    with django_assert_num_queries(0):
        again = client.get(path, {"q": "cardiology", "page_size": 10}, headers=headers)
    assert titles(again) == ["Cardiology Externship"]


@pytest.mark.django_db
def test_a_rotations_page_is_served_from_the_cache_to_anonymous_visitors_only(
    client, django_assert_num_queries
):
    rotation = catalog_rotation(title="Cardiology Externship")
    detail = reverse("rotations:detail", args=[rotation.slug])
    assert "<title>Cardiology Externship" in client.get(detail).content.decode()
    retitle_behind_the_cache(rotation, "Renamed Behind The Cache")
    with django_assert_num_queries(0):
        page = client.get(detail).content.decode()
    assert "<title>Cardiology Externship" in page and '<h1 class="h3">Cardiology Externship</h1>' in page
    signed_in = Client()
    signed_in.force_login(StaffFactory())
    assert '<h1 class="h3">Renamed Behind The Cache</h1>' in signed_in.get(detail).content.decode()
    assert client.get(reverse("rotations:detail", args=["no-such-rotation"])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", [LIST, "rotation"])
def test_an_anonymous_page_is_cached_whole_as_it_holds_nothing_of_the_visitor(
    client, django_assert_num_queries, path
):
    """No CSRF token (htmx sends one for signed-in visitors only; forms carry their own), no cookie:
    every anonymous visitor gets the same page, byte for byte."""
    rotation = catalog_rotation()
    if path == "rotation":
        path = reverse("rotations:detail", args=[rotation.slug])
    first = Client().get(path)
    with django_assert_num_queries(0):
        second = client.get(path)
    assert second.content == first.content
    assert "csrftoken" not in second.cookies and "X-CSRFToken" not in second.content.decode()
    signed_in = Client()
    signed_in.force_login(StaffFactory())
    token = re.compile(r'"X-CSRFToken": "([^"]+)"')
    assert token.search(signed_in.get(path).content.decode())


@pytest.mark.django_db
def test_a_message_waiting_for_a_visitor_is_shown_not_the_cached_page(client):
    catalog_rotation()
    Client().get(LIST)  # the page is cached
    visitor = Client()
    visitor.force_login(StaffFactory())
    visitor.post(reverse("account_logout"))  # "You have signed out." waits for the next page
    page = visitor.get(LIST).content.decode()
    assert "You have signed out." in page
    assert "You have signed out." not in visitor.get(LIST).content.decode()  # shown once


@pytest.mark.django_db
def test_the_same_query_spelled_differently_shares_an_entry(client, django_assert_num_queries):
    """Empty parameters are defaults and the order of parameters does not matter."""
    catalog_rotation(title="Cardiology Externship", organization=OrganizationFactory(state="TX"))
    client.get(f"{LIST}?q=cardiology&state=TX&city=&sort=")
    with django_assert_num_queries(0):
        assert titles(client.get(f"{LIST}?state=TX&q=cardiology")) == ["Cardiology Externship"]


@pytest.mark.django_db
def test_different_queries_pages_and_answers_never_share_an_entry(client, api):
    texas = catalog_rotation(
        title="Houston Externship",
        organization=OrganizationFactory(state="TX"),
        published_at=date(2026, 1, 2),
    )
    illinois = catalog_rotation(
        title="Chicago Externship",
        organization=OrganizationFactory(state="IL"),
        published_at=date(2026, 1, 1),
    )
    newest = {"sort": "newest", "page_size": 1}
    assert titles(client.get(LIST, {"state": "TX"})) == [texas.title]
    assert titles(client.get(LIST, {"state": "IL"})) == [illinois.title]
    assert titles(client.get(LIST, {**newest, "page": 1})) == [texas.title]
    assert titles(client.get(LIST, {**newest, "page": 2})) == [illinois.title]
    assert titles(client.get(LIST, {"sort": "newest", "page_size": 2})) == [texas.title, illinois.title]
    # The page, its htmx results and the API answer the same query each in their own shape.
    page = client.get(LIST, {"state": "TX"}).content.decode()
    results = client.get(LIST, {"state": "TX"}, headers=HTMX).content.decode()
    assert "<html" in page and "<html" not in results and 'hx-swap-oob="innerHTML"' in results
    assert titles(api.get(API, {"state": "TX"})) == [texas.title]
    assert api.get(API, {"state": "TX", "format": "json"}).json()["count"] == 1


@pytest.mark.django_db
def test_a_signed_in_visitor_is_never_served_the_anonymous_cache(client):
    rotation = catalog_rotation(title="Cardiology Externship")
    anonymous = Client()
    assert titles(anonymous.get(LIST)) == [rotation.title]
    retitle_behind_the_cache(rotation, "Renamed Cardiology Externship")
    client.force_login(StaffFactory())
    assert titles(client.get(LIST)) == ["Renamed Cardiology Externship"]
    signed_in_api = APIClient()
    signed_in_api.force_authenticate(StaffFactory())
    assert titles(signed_in_api.get(API)) == ["Renamed Cardiology Externship"]
    assert titles(anonymous.get(LIST)) == ["Cardiology Externship"]  # the anonymous entry is still there


@pytest.mark.django_db
def test_parameters_the_catalog_does_not_read_bypass_the_cache(client):
    """Its pages' links repeat the address's parameters, which another visitor's must not carry."""
    rotation = catalog_rotation(title="Cardiology Externship")
    assert titles(client.get(LIST, {"utm_source": "newsletter"})) == [rotation.title]
    retitle_behind_the_cache(rotation, "Renamed Cardiology Externship")
    assert titles(client.get(LIST, {"utm_source": "newsletter"})) == ["Renamed Cardiology Externship"]


@pytest.mark.django_db
def test_a_new_day_is_a_new_entry_so_blocks_closed_to_applications_leave_the_page(client):
    today = date.today()
    catalog_rotation(blocks=[{"start_date": today + timedelta(days=30), "apply_by": today}])
    assert "3 seats left" in client.get(LIST).content.decode()
    with time_machine.travel(datetime.combine(today + timedelta(days=1), time(12), tzinfo=UTC)):
        assert "No blocks open for applications right now." in client.get(LIST).content.decode()


@pytest.mark.django_db
def test_the_cache_switched_off_reads_the_database_every_time(client, settings):
    settings.CATALOG_CACHE_SECONDS = 0
    rotation = catalog_rotation(title="Cardiology Externship")
    client.get(LIST)
    retitle_behind_the_cache(rotation, "Renamed Cardiology Externship")
    assert titles(client.get(LIST)) == ["Renamed Cardiology Externship"]


@pytest.mark.django_db(transaction=True)
def test_a_host_edit_shows_at_once_on_the_anonymous_page_and_api(client, api):
    tenant = make_tenant("Alpha")
    assert "Alpha Cardiology" in titles(client.get(LIST))
    assert "Alpha Cardiology" in titles(api.get(API))
    detail = reverse("rotations:detail", args=[tenant.rotation.slug])
    assert "<title>Alpha Cardiology" in client.get(detail).content.decode()

    host = login(Client(), tenant.coordinator)
    edit = reverse("hosts:rotation_update", args=[tenant.rotation.pk])
    assert host.post(edit, rotation_form_data(tenant)).status_code == 302

    assert "Changed title" in titles(client.get(LIST))
    assert "Changed title" in titles(api.get(API))
    assert "Alpha Cardiology" not in titles(client.get(LIST, headers=HTMX))
    assert '<h1 class="h3">Changed title</h1>' in client.get(detail).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_preceptors_edit_shows_at_once_on_the_rotations_page(client):
    preceptor = PreceptorFactory(full_name="Dr. Ana Ruiz")
    rotation = catalog_rotation(organization=preceptor.organization, preceptor=preceptor)
    detail = reverse("rotations:detail", args=[rotation.slug])
    assert "Dr. Ana Ruiz, MD" in client.get(detail).content.decode()
    preceptor.full_name = "Dr. Ana Ruiz-Ortega"
    preceptor.save()
    assert "Dr. Ana Ruiz-Ortega, MD" in client.get(detail).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_booking_that_fills_a_block_shows_it_full_at_once(client, api):
    applicant, block, documents = _ready_applicant_and_block(
        capacity=1, rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, rotation__deposit_cents=0
    )
    assert "1 seat left" in client.get(LIST).content.decode()
    assert api.get(API).json()["results"][0]["blocks"][0]["seats_left"] == 1
    detail = reverse("rotations:detail", args=[block.rotation.slug])
    assert "Sign in to book" in client.get(detail).content.decode()

    application_book_now(applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents)

    assert Block.objects.get(pk=block.pk).seats_taken == 1
    page = client.get(LIST).content.decode()
    assert "1 seat left" not in page and '<span class="text-danger">full</span>' in page
    assert api.get(API).json()["results"][0]["blocks"][0]["seats_left"] == 0
    assert titles(client.get(LIST, {"open_seats": "true"})) == []
    page = client.get(detail).content.decode()
    assert "Sign in to book" not in page and "Full — join the waitlist" in page


@pytest.mark.django_db
def test_withdrawing_verification_in_the_admin_takes_the_rotations_off_the_cached_page(
    client, django_capture_on_commit_callbacks
):
    rotation = catalog_rotation(title="Cardiology Externship")
    anonymous = Client()
    assert titles(anonymous.get(LIST)) == [rotation.title]
    client.force_login(StaffFactory())
    withdraw = reverse("admin:hosts_organization_withdraw_verification") + f"?ids={rotation.organization_id}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(withdraw, {"reason": "Its license lapsed."})
    assert response.status_code == 302
    assert titles(anonymous.get(LIST)) == []


# --- Every write that bypasses signals says the catalog changed -----------------------------------

# The models a listing shows: their saves and deletes are signalled (rotations.cache); their
# QuerySet.update() and bulk writes are not, so the function making one must call catalog_changed()
# (or a function that does).
CATALOG_MODELS = {"Rotation", "Block", "Organization", "Preceptor", "Specialty", "SearchSynonym"}
# Writes to a catalog model that change nothing a listing or a rotation's page shows.
UNSHOWN_WRITES = {
    "hosts/services.py:invitation_accept",  # links a preceptor to their new account
}
BULK_WRITES = {"update", "bulk_create", "bulk_update"}
BUMPS = {"catalog_changed", "search_dictionary_refresh", "next_start_dates_refresh"}
SOURCES = ["amo", "applicants", "hosts", "payments", "rotations", "seeding"]
ROOT = Path(__file__).resolve().parents[2]


def _chain_root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _called_names(function: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def catalog_bulk_writes() -> list[tuple[str, bool]]:
    """Each function of the source that bulk-writes a catalog model, and whether it says so."""
    found = []
    for directory in SOURCES:
        for path in sorted((ROOT / directory).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # every migration says so at once (post_migrate)
            tree = ast.parse(path.read_text(), filename=str(path))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef):
                    continue
                writes = [
                    node
                    for node in ast.walk(function)
                    if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in BULK_WRITES
                    and _chain_root(node.func.value) in CATALOG_MODELS
                ]
                if writes:
                    where = f"{path.relative_to(ROOT)}:{function.name}"
                    found.append((where, bool(_called_names(function) & BUMPS)))
    return found


def test_every_bulk_write_of_a_catalog_model_says_the_catalog_changed():
    writes = dict(catalog_bulk_writes())
    # The scan finds the writes known today, so it would find a new one.
    assert {
        "rotations/services.py:_recount",
        "hosts/services.py:organization_set_verified",
        "seeding/catalog.py:seed_demo_catalog",
        "seeding/bench_catalog.py:seed_scale_catalog",
    } <= set(writes)
    assert [where for where, says in writes.items() if not says and where not in UNSHOWN_WRITES] == []
    assert set(writes) >= UNSHOWN_WRITES  # an exemption does not outlive its write
