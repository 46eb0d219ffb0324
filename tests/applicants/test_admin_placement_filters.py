"""The placement list (the applications' admin list) filtered as staff filter it: by state,
organization, specialty, the month the block starts, and advisor. Each choice the list offers shows
exactly the applications it names."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from applicants.models import Application
from applicants.services import booking_advisor_assign
from tests.factories import ApplicationFactory, BlockFactory, StaffFactory

pytestmark = pytest.mark.django_db
S = Application.Status
LIST = reverse("admin:applicants_application_changelist")


@pytest.fixture
def placements():
    """A confirmed booking in March 2027 with an advisor, and an application in April 2027 at another
    host, in another specialty, with none."""
    march = BlockFactory(start_date=date(2027, 3, 8), apply_by=date(2027, 2, 1))
    april = BlockFactory(start_date=date(2027, 4, 12), apply_by=date(2027, 3, 1))
    booked = ApplicationFactory(block=march, status=S.CONFIRMED, submitted_at=timezone.now())
    advisor = StaffFactory(full_name="Ada Advisor")
    booking_advisor_assign(application=booked, advisor=advisor, actor=advisor)
    waiting = ApplicationFactory(block=april, status=S.SUBMITTED, submitted_at=timezone.now())
    return booked, waiting


def choices(client, title: str) -> dict[str, str]:
    """The list's choices of the filter titled `title`: what each says, and its address."""
    changelist = client.get(LIST).context["cl"]
    (spec,) = [spec for spec in changelist.filter_specs if spec.title == title]
    return {str(choice["display"]): choice["query_string"] for choice in spec.choices(changelist)}


def shown(client, query_string: str) -> set[int]:
    response = client.get(LIST + query_string)
    assert response.status_code == 200
    return {application.pk for application in response.context["cl"].result_list}


def test_each_placement_filter_shows_only_the_applications_it_names(founder_client, placements):
    booked, waiting = placements
    march, april = booked.block.rotation, waiting.block.rotation
    expected = {
        "status": {"Confirmed": {booked.pk}, "Submitted": {waiting.pk}},
        "organization": {str(march.organization): {booked.pk}, str(april.organization): {waiting.pk}},
        "specialty": {str(march.specialty): {booked.pk}, str(april.specialty): {waiting.pk}},
        "start month": {"March 2027": {booked.pk}, "April 2027": {waiting.pk}},
        "advisor": {"Ada Advisor": {booked.pk}, "No advisor": {waiting.pk}},
    }
    for title, wanted in expected.items():
        offered = choices(founder_client, title)
        for display, pks in wanted.items():
            assert shown(founder_client, offered[display]) == pks, (title, display)
    # Two filters at once narrow to what both name.
    both = choices(founder_client, "start month")["March 2027"].lstrip("?")
    assert shown(founder_client, f"?{both}&advisor=none") == set()


def test_the_start_months_offered_are_those_with_placements_in_date_order(founder_client, placements):
    months = [display for display in choices(founder_client, "start month") if display != "All"]
    assert months == ["March 2027", "April 2027"]


@pytest.mark.parametrize("month", ["2027-13", "March", "2027-3-1"])
def test_a_start_month_that_is_no_month_shows_nothing_rather_than_failing(founder_client, placements, month):
    assert shown(founder_client, f"?start_month={month}") == set()
