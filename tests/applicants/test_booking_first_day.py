"""From confirmation on, the applicant's booking shows the preceptor, the site with a map link and
the host's first-day information, on the page and in the API; before, none of it. The first day is
read live: the host's latest version, not a term fixed when the booking was made."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from applicants import selectors
from applicants.models import Application
from rotations.services import first_day_update
from tests.factories import ApplicationFactory, StaffFactory

pytestmark = pytest.mark.django_db
S = Application.Status

FIRST_DAY = {
    "where_to_go": "Main entrance on Erie Street, then room 301.",
    "ask_for": "Maria Lopez, rotation coordinator",
    "dress_code": "Business casual and a white coat.",
    "what_to_bring": "Passport and stethoscope.",
}
BEFORE_A_BOOKING = [S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.WAITLISTED, S.OFFERED, S.AWAITING_PAYMENT]
BOOKED = [S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED, S.ENDED_EARLY, S.NO_SHOW]


def application_in(status: str, **fields) -> Application:
    application = ApplicationFactory(status=status, **fields)
    first_day_update(rotation=application.block.rotation, arrival_time="07:30", **FIRST_DAY)
    return application


def page(client, application: Application) -> str:
    client.force_login(application.applicant.user)
    response = client.get(reverse("applicants:application_detail", args=[application.pk]))
    assert response.status_code == 200
    return response.content.decode()


def api_detail(application: Application) -> dict:
    client = APIClient()
    client.force_authenticate(application.applicant.user)
    response = client.get(f"/api/v1/applications/{application.pk}/")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("status", [*BEFORE_A_BOOKING, S.CANCELLED, S.REJECTED, S.WITHDRAWN], ids=str)
def test_before_confirmation_no_first_day_information_shows(client, status):
    application = application_in(status)
    preceptor = application.block.rotation.preceptor

    assert selectors.booking_first_day(application) is None
    text = page(client, application)
    assert "Your first day" not in text
    for secret in [*FIRST_DAY.values(), preceptor.full_name, "openstreetmap"]:
        assert secret not in text
    assert api_detail(application)["first_day"] is None


@pytest.mark.parametrize("status", BOOKED, ids=str)
def test_from_confirmation_the_booking_shows_the_preceptor_the_site_and_the_first_day(client, status):
    application = application_in(status, block__rotation__organization__address_line="251 E Huron St")
    rotation = application.block.rotation

    text = page(client, application)

    assert "Your first day" in text
    assert "7:30 AM" in text
    for shown in FIRST_DAY.values():
        assert shown in text
    assert f"{rotation.preceptor.full_name}, MD" in text
    assert rotation.preceptor.board_certification in text
    assert "251 E Huron St" in text and "Chicago, IL 60601" in text
    assert "https://www.openstreetmap.org/search?query=251+E+Huron+St%2C+Chicago%2C+IL+60601" in text


def test_accepting_an_offer_is_what_reveals_the_first_day(client):
    application = application_in(S.OFFERED, block__rotation__deposit_cents=0)
    assert "Your first day" not in page(client, application)

    client.post(reverse("applicants:application_accept", args=[application.pk]))

    application.refresh_from_db()
    assert application.status == S.CONFIRMED
    assert FIRST_DAY["where_to_go"] in page(client, application)


def test_the_first_day_is_read_live_so_a_host_edit_reaches_a_booking_made_before_it(client):
    application = application_in(S.CONFIRMED)
    first_day_update(
        rotation=application.block.rotation, where_to_go="Use the north door: the main one is closed."
    )
    text = page(client, application)
    assert "Use the north door: the main one is closed." in text
    assert FIRST_DAY["where_to_go"] not in text


def test_a_booking_whose_host_wrote_no_first_day_yet_says_so_and_still_shows_the_site(client):
    application = ApplicationFactory(status=S.CONFIRMED)
    text = page(client, application)
    assert "The host has not written the first-day plan yet" in text
    assert application.block.rotation.organization.name in text
    assert "openstreetmap.org" in text
    first_day = api_detail(application)["first_day"]
    assert first_day["arrival_time"] is None and first_day["where_to_go"] == ""


def test_the_map_link_points_at_the_coordinates_when_known_else_searches_the_address():
    application = ApplicationFactory(status=S.CONFIRMED)
    site = application.block.rotation.organization
    assert site.map_url == "https://www.openstreetmap.org/search?query=100+Main+Street%2C+Chicago%2C+IL+60601"
    site.latitude, site.longitude = Decimal("41.894780"), Decimal("-87.621870")
    assert site.map_url == (
        "https://www.openstreetmap.org/?mlat=41.894780&mlon=-87.621870#map=17/41.894780/-87.621870"
    )


def test_a_rotation_without_a_named_preceptor_says_so(client):
    application = ApplicationFactory(status=S.CONFIRMED, block__rotation__preceptor=None)
    assert "The host has not named the preceptor yet." in page(client, application)
    assert api_detail(application)["first_day"]["preceptor"] is None


# --- The API ------------------------------------------------------------------------------------


def test_the_api_detail_carries_the_first_day_and_the_advisor_of_a_booking():
    application = application_in(S.CONFIRMED)
    advisor = StaffFactory(full_name="Amara Okafor")
    Application.objects.filter(pk=application.pk).update(
        advisor=advisor, advisor_assigned_at="2026-01-05T10:00Z"
    )
    rotation = application.block.rotation

    body = api_detail(application)

    assert body["advisor"] == {"name": "Amara Okafor", "email": advisor.email}
    first_day = body["first_day"]
    assert {name: first_day[name] for name in FIRST_DAY} == FIRST_DAY
    assert first_day["arrival_time"] == "07:30"
    assert first_day["updated_at"] is not None
    assert first_day["preceptor"]["full_name"] == rotation.preceptor.full_name
    assert first_day["preceptor"]["credentials"] == "MD"
    assert first_day["site"] == {
        "name": rotation.organization.name,
        "address_line": "100 Main Street",
        "city": "Chicago",
        "state": "IL",
        "zip_code": "60601",
        "address": "100 Main Street, Chicago, IL 60601",
        "map_url": rotation.organization.map_url,
    }


def test_the_api_detail_has_no_advisor_or_first_day_before_a_booking():
    application = application_in(S.SUBMITTED, submitted_at="2026-01-05T10:00Z")
    body = api_detail(application)
    assert (body["advisor"], body["first_day"]) == (None, None)


def test_the_api_list_costs_the_same_queries_with_bookings_that_have_advisors_and_first_days(
    django_assert_max_num_queries,
):
    first = application_in(S.CONFIRMED)
    applicant = first.applicant
    client = APIClient()
    client.force_authenticate(applicant.user)

    def add_bookings(n: int) -> None:
        for _ in range(n):
            booking = application_in(S.CONFIRMED, applicant=applicant)
            Application.objects.filter(pk=booking.pk).update(
                advisor=StaffFactory(), advisor_assigned_at="2026-01-05T10:00Z"
            )

    add_bookings(1)
    with django_assert_max_num_queries(12) as few:
        assert client.get("/api/v1/applications/").status_code == 200
    add_bookings(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/applications/").json()["results"]) == 10


def test_the_schema_documents_the_advisor_and_the_first_day_as_nullable_objects():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    detail = schema["components"]["schemas"]["ApplicationDetail"]["properties"]
    for name in ("advisor", "first_day"):
        assert detail[name].get("nullable") is True, detail[name]
        assert detail[name]["readOnly"] is True
