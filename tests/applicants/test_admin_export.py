"""Staff export the placement list as CSV from the admin: the file holds exactly the rows the list
shows with its filters and search, every cell a spreadsheet would run as a formula is neutralised,
it costs the same few queries for 3 rows or 50, it only reads, and it needs the list's permission."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from amo.csv_export import csv_safe
from amo.staff_groups import PLACEMENT_COORDINATOR, SUPPORT
from applicants.models import Application
from applicants.selectors import PLACEMENT_CSV_HEADER
from payments.models import Payment
from tests.admin_pages import member_of
from tests.amo.test_get_writes_nothing import every_row
from tests.factories import ApplicationFactory, BlockFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Application.Status
EXPORT = "admin:applicants_application_export_csv"


@pytest.fixture
def coordinator_client(client):
    client.force_login(member_of(PLACEMENT_COORDINATOR))
    return client


def export(client, **params) -> list[list[str]]:
    response = client.get(reverse(EXPORT), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="placements-')
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_file_starts_with_its_header_and_shows_each_column_of_a_booking(coordinator_client):
    advisor = StaffFactory(full_name="Grace Advisor")
    block = BlockFactory(
        rotation__title="Cardiology Observership",
        rotation__organization__name="Lakeside Heart Institute",
        rotation__specialty__name="Cardiology",
        start_date=date(2027, 3, 1),
        apply_by=date(2027, 1, 1),
    )
    booking = ApplicationFactory(
        block=block,
        status=S.CONFIRMED,
        applicant__legal_name="Amaka Obi",
        applicant__user__email="amaka@example.test",
        submitted_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        advisor=advisor,
        advisor_assigned_at=timezone.now(),
    )
    Payment.objects.create(
        application=booking,
        purpose=Payment.Purpose.DEPOSIT,
        amount_cents=50_000,
        refunded_cents=12_345,
        status=Payment.Status.SUCCEEDED,
        succeeded_at=timezone.now(),
    )
    header, *rows = export(coordinator_client)
    assert (
        header
        == PLACEMENT_CSV_HEADER
        == [
            "Application",
            "Applicant",
            "Applicant email",
            "Rotation",
            "Organization",
            "Specialty",
            "Block start",
            "Block end",
            "State",
            "Fee paid",
            "Submitted (UTC)",
            "Advisor",
        ]
    )
    assert rows == [
        [
            str(booking.pk),
            "Amaka Obi",
            "amaka@example.test",
            "Cardiology Observership",
            "Lakeside Heart Institute",
            "Cardiology",
            "2027-03-01",
            "2027-03-28",
            "Confirmed",
            "$376.55",
            "2026-11-02 09:30",
            "Grace Advisor",
        ]
    ]


def test_the_filtered_and_searched_export_holds_exactly_the_rows_the_list_shows(coordinator_client):
    confirmed = [
        ApplicationFactory(status=S.CONFIRMED, applicant__legal_name=f"Booked {name}")
        for name in ["Amara", "Luis", "Mei"]
    ]
    ApplicationFactory(status=S.SUBMITTED, applicant__legal_name="Booked but only submitted")
    ApplicationFactory(status=S.WAITLISTED, applicant__legal_name="Someone waiting")

    params = {"status__exact": S.CONFIRMED}
    shown = coordinator_client.get(reverse("admin:applicants_application_changelist"), params)
    listed = {application.pk for application in shown.context["cl"].result_list}
    _, *rows = export(coordinator_client, **params)
    assert {int(row[0]) for row in rows} == listed == {application.pk for application in confirmed}

    _, *searched = export(coordinator_client, q="Luis")
    assert [row[0] for row in searched] == [str(confirmed[1].pk)]
    _, *both = export(coordinator_client, q="Booked", status__exact=S.SUBMITTED)
    assert [row[1] for row in both] == ["Booked but only submitted"]


def test_the_list_links_to_the_export_with_its_filters_and_search(coordinator_client):
    ApplicationFactory(status=S.CONFIRMED)
    page = coordinator_client.get(
        reverse("admin:applicants_application_changelist"), {"status__exact": S.CONFIRMED, "q": "Obi"}
    )
    link = f'href="{reverse(EXPORT)}?status__exact=confirmed&amp;q=Obi"'
    assert link in page.content.decode()
    assert "Export these placements as CSV" in page.content.decode()


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTabbed", "'\tTabbed"),
        ("\rReturned", "'\rReturned"),
        ("\nFed", "'\nFed"),
        ("  =1+1", "'  =1+1"),
        ("Amaka Obi", "Amaka Obi"),
        ("Zoë O'Brien-Smith", "Zoë O'Brien-Smith"),
        ("1+1", "1+1"),
        ("", ""),
    ],
)
def test_a_cell_that_begins_like_a_formula_gets_a_quote_and_no_other_does(typed, written):
    assert csv_safe(typed) == written


def test_names_typed_as_formulas_come_out_as_text_and_ordinary_ones_untouched(coordinator_client):
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "Amaka Obi"]
    for name in names:
        ApplicationFactory(
            status=S.SUBMITTED, applicant__legal_name=name, block__rotation__title=f"{name} rot"
        )
    _, *rows = export(coordinator_client)
    assert sorted(row[1] for row in rows) == sorted(
        ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "Amaka Obi"]
    )
    assert sorted(row[3] for row in rows) == sorted(
        ['\'=HYPERLINK("http://x") rot', "'+1 rot", "'-2 rot", "'@SUM(A1) rot", "Amaka Obi rot"]
    )


def _export_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        _, *rows = export(client)
    return len(rows), len(queries)


def test_the_export_costs_the_same_queries_for_3_rows_or_50(coordinator_client):
    advisor = StaffFactory()
    block = BlockFactory()
    ApplicationFactory.create_batch(
        3, block=block, status=S.SUBMITTED, advisor=advisor, advisor_assigned_at=timezone.now()
    )
    few_rows, few = _export_queries(coordinator_client)
    ApplicationFactory.create_batch(
        47, status=S.SUBMITTED, advisor=advisor, advisor_assigned_at=timezone.now()
    )
    many_rows, many = _export_queries(coordinator_client)
    assert (few_rows, many_rows) == (3, 50)
    # The session, the user, the second factor, two of permissions, the list's two counts, the rows,
    # and the list's filters reading their choices (organizations, specialties, months, advisors…)
    # as the list builds them: none of it grows with the rows.
    assert few == many <= 16


def test_exporting_writes_nothing(coordinator_client):
    ApplicationFactory(status=S.CONFIRMED)
    before = every_row()
    export(coordinator_client)
    assert every_row() == before


def test_staff_without_the_lists_permission_get_403_and_support_may_export(client):
    ApplicationFactory(status=S.CONFIRMED)
    client.force_login(StaffFactory(is_superuser=False))
    assert client.get(reverse(EXPORT)).status_code == 403
    client.force_login(UserFactory())
    assert client.get(reverse(EXPORT)).status_code == 302  # to the login page: not staff at all
    client.force_login(member_of(SUPPORT))
    assert len(export(client)) == 2
