"""A rotation's first-day information, kept by its host on the dashboard and through the API:
saved through rotations.services.first_day_update, refused whole on bad input, and only ever the
member's own organization's."""

from datetime import time

import pytest
from django.urls import reverse

from amo.errors import DomainError
from rotations import services
from rotations.models import FirstDayInformation, Rotation
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db

FIRST_DAY = {
    "arrival_time": "07:30",
    "where_to_go": "Main entrance on Erie Street,\nthen the 3rd floor, room 301.",
    "ask_for": "Maria Lopez, rotation coordinator",
    "dress_code": "Business casual and a white coat.",
    "what_to_bring": "Passport, badge form, stethoscope.",
}


def page_url(rotation: Rotation) -> str:
    return reverse("hosts:rotation_first_day", args=[rotation.pk])


def api_url(rotation: Rotation) -> str:
    return reverse("hosts_api:rotation-first-day", args=[rotation.pk])


def stored(rotation: Rotation) -> dict | None:
    return FirstDayInformation.objects.filter(rotation=rotation).values(*FirstDayInformation.FIELDS).first()


def test_a_coordinator_writes_the_first_day_and_the_rotation_page_shows_it(client, tenant_a):
    login(client, tenant_a.coordinator)
    detail = client.get(reverse("hosts:rotation_detail", args=[tenant_a.rotation.pk])).content.decode()
    assert "No first-day information yet" in detail
    assert page_url(tenant_a.rotation) in detail

    response = client.post(page_url(tenant_a.rotation), FIRST_DAY)

    assert response.status_code == 302
    assert stored(tenant_a.rotation) == {**FIRST_DAY, "arrival_time": time(7, 30)}
    detail = client.get(reverse("hosts:rotation_detail", args=[tenant_a.rotation.pk])).content.decode()
    assert "7:30 AM" in detail and "Maria Lopez, rotation coordinator" in detail
    # The form shows what is stored, the time as the time input reads it.
    form = client.get(page_url(tenant_a.rotation)).content.decode()
    assert 'value="07:30"' in form and "Passport, badge form, stethoscope." in form


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ask_for", "Maria\nLopez", "without line breaks"),
        ("where_to_go", "x" * 1001, "at most 1000 characters"),
        ("arrival_time", "25:00", "Enter a valid time."),
    ],
)
def test_bad_first_day_input_is_refused_on_its_field_and_nothing_is_saved(
    client, tenant_a, field, value, message
):
    services.first_day_update(rotation=tenant_a.rotation, ask_for="Front desk")
    login(client, tenant_a.coordinator)

    response = client.post(page_url(tenant_a.rotation), {**FIRST_DAY, field: value})

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert stored(tenant_a.rotation) == {
        "arrival_time": None,
        "where_to_go": "",
        "ask_for": "Front desk",
        "dress_code": "",
        "what_to_bring": "",
    }


def test_the_service_refuses_text_past_its_bound_in_words_and_writes_nothing(tenant_a):
    with pytest.raises(DomainError) as refused:
        services.first_day_update(rotation=tenant_a.rotation, what_to_bring="x" * 1001)
    assert refused.value.message == "Keep what to bring to 1000 characters."
    assert stored(tenant_a.rotation) is None


def test_a_preceptor_reads_the_first_day_but_may_not_change_it(client, tenant_a):
    services.first_day_update(rotation=tenant_a.rotation, ask_for="Front desk")
    login(client, tenant_a.preceptor_member)
    assert client.get(page_url(tenant_a.rotation)).status_code == 403
    assert client.post(page_url(tenant_a.rotation), FIRST_DAY).status_code == 403
    assert client.get(api_url(tenant_a.rotation)).json()["ask_for"] == "Front desk"
    patched = client.patch(api_url(tenant_a.rotation), {"ask_for": "Me"}, content_type="application/json")
    assert patched.status_code == 403
    assert stored(tenant_a.rotation)["ask_for"] == "Front desk"


def test_an_archived_rotation_keeps_its_first_day_editable_for_the_bookings_it_still_has(client, tenant_a):
    services.rotation_archive(rotation=tenant_a.rotation)
    login(client, tenant_a.coordinator)
    assert client.post(page_url(tenant_a.rotation), FIRST_DAY).status_code == 302
    assert stored(tenant_a.rotation)["ask_for"] == FIRST_DAY["ask_for"]


def test_another_organizations_first_day_is_404_and_stays_as_it_was(client, tenant_a, tenant_b):
    services.first_day_update(rotation=tenant_b.rotation, ask_for="Bravo's front desk")
    login(client, tenant_a.owner)
    assert client.get(page_url(tenant_b.rotation)).status_code == 404
    assert client.post(page_url(tenant_b.rotation), FIRST_DAY).status_code == 404
    assert client.get(api_url(tenant_b.rotation)).status_code == 404
    patched = client.patch(api_url(tenant_b.rotation), {"ask_for": "Alpha"}, content_type="application/json")
    assert patched.status_code == 404
    assert stored(tenant_b.rotation)["ask_for"] == "Bravo's front desk"


# --- The API ------------------------------------------------------------------------------------


def test_the_api_reads_an_empty_first_day_before_the_host_writes_any(client, tenant_a):
    login(client, tenant_a.coordinator)
    assert client.get(api_url(tenant_a.rotation)).json() == {
        "arrival_time": None,
        "where_to_go": "",
        "ask_for": "",
        "dress_code": "",
        "what_to_bring": "",
        "updated_at": None,
    }
    assert stored(tenant_a.rotation) is None  # reading writes nothing


def test_an_api_patch_changes_what_it_sends_and_keeps_the_rest(client, tenant_a):
    login(client, tenant_a.coordinator)
    first = client.patch(api_url(tenant_a.rotation), FIRST_DAY, content_type="application/json")
    assert first.status_code == 200
    assert first.json()["arrival_time"] == "07:30"

    second = client.patch(
        api_url(tenant_a.rotation), {"arrival_time": "08:15", "ask_for": ""}, content_type="application/json"
    )

    assert second.status_code == 200
    body = second.json()
    assert (body["arrival_time"], body["ask_for"], body["dress_code"]) == (
        "08:15",
        "",
        FIRST_DAY["dress_code"],
    )
    assert stored(tenant_a.rotation)["arrival_time"] == time(8, 15)


@pytest.mark.parametrize("arrival_time", ["7:30", "07:30:00", "07:30Z", "24:00", "0730", 730])
def test_the_api_takes_the_arrival_time_as_hh_mm_only(client, tenant_a, arrival_time):
    login(client, tenant_a.coordinator)
    response = client.patch(
        api_url(tenant_a.rotation),
        {"arrival_time": arrival_time, "ask_for": "Nobody"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {
        "arrival_time": ["Enter a time as HH:MM on the 24-hour clock, e.g. 07:30."]
    }
    assert stored(tenant_a.rotation) is None


def test_the_api_refuses_a_line_break_in_who_to_ask_for_and_writes_nothing(client, tenant_a):
    login(client, tenant_a.coordinator)
    response = client.patch(
        api_url(tenant_a.rotation),
        {"ask_for": "Maria\nLopez", "dress_code": "Scrubs"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["ask_for"]
    assert stored(tenant_a.rotation) is None
