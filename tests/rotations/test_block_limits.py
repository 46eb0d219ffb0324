"""A block's dates and numbers are bounded at the edge, alike on the host page and the API (one
definition: rotations.limits); a bad row from before the limits cannot take the catalog down."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from rotations.limits import BLOCK_MAX_SEATS, latest_block_start
from rotations.models import Block
from tests.factories import ApplicationFactory, BlockFactory, catalog_rotation
from tests.hosts.conftest import Tenant, login, make_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant("Alpha")


TODAY = date.today()
START = TODAY + timedelta(days=90)
VALID = {"start_date": START, "weeks": 4, "capacity": 3, "apply_by": START - timedelta(days=30)}

# (what is wrong, the input the error is on, the words it says)
REFUSED = [
    ({"start_date": TODAY - timedelta(days=1), "apply_by": TODAY}, "start_date", "in the past"),
    ({"start_date": latest_block_start() + timedelta(days=1)}, "start_date", "at most 3 years ahead"),
    ({"start_date": date(9999, 12, 31)}, "start_date", "at most 3 years ahead"),
    ({"apply_by": TODAY - timedelta(days=1)}, "apply_by", "cannot be in the past"),
    ({"apply_by": START + timedelta(days=1)}, "apply_by", "on or before the start date"),
    ({"capacity": 40000}, "capacity", f"less than or equal to {BLOCK_MAX_SEATS}"),
    ({"capacity": 0}, "capacity", "greater than or equal to 1"),
    ({"weeks": 53}, "weeks", "less than or equal to 52"),
    ({"weeks": 0}, "weeks", "greater than or equal to 1"),
]


def as_form(data: dict) -> dict:
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in data.items()}


@pytest.mark.parametrize(("change", "field", "words"), REFUSED)
def test_the_block_page_and_the_api_refuse_the_same_values_on_the_same_input(
    client, tenant, change, field, words
):
    login(client, tenant.coordinator)
    data = as_form({**VALID, **change})
    before = Block.objects.count()

    page = client.post(reverse("hosts:block_create", args=[tenant.rotation.pk]), data)
    assert page.status_code == 400
    assert words in " ".join(page.context["block_form"].errors[field])

    api = client.post(
        reverse("hosts_api:block-list"),
        {**data, "rotation": tenant.rotation.pk},
        content_type="application/json",
    )
    assert api.status_code == 400
    body = api.json()
    assert words in body["message"] and words in " ".join(body["extra"]["fields"][field])
    assert Block.objects.count() == before


@pytest.mark.parametrize(("change", "field", "words"), REFUSED)
def test_editing_a_block_meets_the_same_limits(client, tenant, change, field, words):
    login(client, tenant.coordinator)
    block = tenant.other_block  # nobody on its roster: its dates may change
    page = client.post(reverse("hosts:block_update", args=[block.pk]), as_form({**VALID, **change}))
    assert words in " ".join(page.context["form"].errors[field])
    api = client.patch(
        reverse("hosts_api:block-detail", args=[block.pk]), as_form(change), content_type="application/json"
    )
    assert api.status_code == 400 and field in api.json()["extra"]["fields"]
    refreshed = Block.objects.get(pk=block.pk)
    assert (refreshed.start_date, refreshed.capacity, refreshed.weeks) == (
        block.start_date,
        block.capacity,
        block.weeks,
    )


def test_a_block_that_has_started_can_still_change_its_capacity(client, tenant):
    block = BlockFactory(
        rotation=tenant.rotation, start_date=TODAY - timedelta(days=3), apply_by=TODAY - timedelta(days=10)
    )
    login(client, tenant.coordinator)
    api = client.patch(
        reverse("hosts_api:block-detail", args=[block.pk]), {"capacity": 9}, content_type="application/json"
    )
    assert api.status_code == 200, api.json()
    assert Block.objects.get(pk=block.pk).capacity == 9


def test_a_block_from_before_the_limits_does_not_take_any_page_down(client, tenant):
    """Year 9999 fits PostgreSQL's dates but its end overflows Python's: the row must still show."""
    rotation = catalog_rotation(
        organization=tenant.organization,
        blocks=[{"start_date": date(9999, 12, 20), "apply_by": date(9999, 12, 1), "weeks": 52}],
    )
    ApplicationFactory(block=rotation.blocks.get(), status="submitted")
    block = rotation.blocks.get()
    assert block.end_date == date.max

    public = [
        reverse("rotations:list"),
        reverse("rotations:detail", args=[rotation.slug]),
        reverse("rotations_api:rotation-list") + "?sort=newest",
        reverse("rotations_api:rotation-list") + "?sort=soonest",
        reverse("rotations_api:rotation-detail", args=[rotation.pk]),
    ]
    for url in public:
        assert client.get(url).status_code == 200, url
    login(client, tenant.coordinator)
    host = [
        reverse("hosts:rotation_detail", args=[rotation.pk]),
        reverse("hosts:block_update", args=[block.pk]),
        reverse("hosts:roster"),
        reverse("hosts:calendar"),
        reverse("hosts:applications"),
        reverse("hosts_api:block-list"),
        reverse("hosts_api:block-detail", args=[block.pk]),
    ]
    for url in host:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start_month=9999-12", "start_month"),
        ("start_month=0001-01", "start_month"),
        ("start_from=9999-12-31", "start_from"),
        ("start_to=0001-01-01", "start_to"),
        ("weeks=53", "weeks"),
        ("weeks=2.5", "weeks"),
        ("max_price=1e309", "max_price"),
    ],
)
def test_a_catalog_filter_out_of_range_is_a_400_in_the_api_and_a_form_error_on_the_page(client, query, field):
    api = client.get(f"{reverse('rotations_api:rotation-list')}?{query}")
    assert api.status_code == 400
    body = api.json()
    assert body["message"].startswith(f"{field}: ") and field in body["extra"]["fields"]
    page = client.get(f"{reverse('rotations:list')}?{query}")
    assert page.status_code == 200
    assert page.context["form"].errors[field]
    assert page.context["page"] is None


def test_a_catalog_month_this_month_is_accepted(client):
    api = client.get(reverse("rotations_api:rotation-list"), {"start_month": TODAY.strftime("%Y-%m")})
    assert api.status_code == 200


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_the_review_queue_refuses_a_date_out_of_range(client, tenant, value):
    login(client, tenant.coordinator)
    page = client.get(reverse("hosts:applications"), {"submitted_to": value})
    assert page.status_code == 200 and page.context["filters"].errors["submitted_to"]
    api = client.get(reverse("hosts_api:application-list"), {"submitted_to": value})
    assert api.status_code == 400 and "submitted_to" in api.json()["extra"]["fields"]
