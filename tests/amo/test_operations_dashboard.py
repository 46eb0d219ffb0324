"""The operations dashboard on the admin index: figures against hand-counted rows, each linking to
an admin list that shows the same count, in a constant number of queries."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amo.models import Reminder
from amo.operations import months_later
from applicants.models import Application, Document
from hosts.models import Organization
from payments.models import LedgerEntry, StripeEvent
from rotations.models import Rotation
from tests.factories import (
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    OrganizationFactory,
    RotationFactory,
    SpecialtyFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


def figures(response) -> dict[str, tuple[str, str]]:
    return {
        figure.label: (figure.value, figure.url)
        for section in response.context["operations"]
        for figure in section.figures
    }


def world(size: int) -> None:
    cardiology = SpecialtyFactory(name=f"Cardiology {size}")
    texas = OrganizationFactory(state="TX", is_verified=True)
    rotation = RotationFactory(organization=texas, specialty=cardiology, status=Rotation.Status.PUBLISHED)
    for _ in range(size):
        block = BlockFactory(rotation=rotation, start_date=date.today() + timedelta(days=10), capacity=4)
        ApplicationFactory(block=block, status=Application.Status.SUBMITTED)
        DocumentFactory(verification_status=Document.VerificationStatus.PENDING)
        StripeEvent.objects.create(event_id=f"evt_{size}_{block.pk}", type="x", payload={}, error="Boom")


def test_the_figures_match_the_rows_and_their_links_show_the_same_count(client):
    world(2)
    OrganizationFactory(is_verified=False)
    assert Organization.objects.filter(is_verified=False).exists()
    DocumentFactory(verification_status=Document.VerificationStatus.VERIFIED)
    client.force_login(StaffFactory())
    shown = figures(client.get(reverse("admin:index")))
    expected = {
        "Submitted": Application.objects.filter(status="submitted").count(),
        "Documents awaiting verification": 2,
        "Hosts awaiting verification": Organization.objects.filter(is_verified=False).count(),
        "Stripe webhooks that failed": 2,
        "Refunds Stripe refused": 0,
        "Reminders that failed to send": 0,
    }
    for label, count in expected.items():
        value, url = shown[label]
        assert value == str(count), label
        listed = client.get(url)
        assert listed.status_code == 200, url
        assert listed.context["cl"].result_count == count, label


def test_money_this_month_reads_the_ledger_in_cents():
    from amo.operations import operations_dashboard

    organization = OrganizationFactory()
    for kind, cents in [
        ("charge", 50_000),
        ("commission", -7_500),
        ("refund", -10_000),
        ("commission_reversal", 1_500),
    ]:
        LedgerEntry.objects.create(organization=organization, kind=kind, amount_cents=cents, currency="usd")
    money = next(s for s in operations_dashboard(user=StaffFactory()) if s.title == "Money this month")
    assert [(f.label, f.value) for f in money.figures] == [
        ("Revenue", "$500.00"),
        ("Refunds", "$100.00"),
        ("Commission", "$60.00"),
    ]


def test_fill_rate_counts_seats_of_blocks_starting_in_the_next_three_months(client):
    specialty = SpecialtyFactory(name="Neurology")
    rotation = RotationFactory(
        specialty=specialty, organization=OrganizationFactory(state="OH"), status=Rotation.Status.PUBLISHED
    )
    BlockFactory(rotation=rotation, start_date=date.today() + timedelta(days=5), capacity=4)
    BlockFactory(rotation=rotation, start_date=months_later(date.today(), 3) + timedelta(days=1), capacity=9)
    client.force_login(StaffFactory())
    rates = {
        rate.label: rate
        for section in client.get(reverse("admin:index")).context["operations"]
        for rate in section.fill_rates
    }
    assert (rates["Neurology"].taken, rates["Neurology"].capacity, rates["OH"].capacity) == (0, 4, 4)
    # Each rate's link lists the blocks it counts: the one starting in 5 days, not the later one.
    for label in ["Neurology", "OH"]:
        assert client.get(rates[label].url).context["cl"].result_count == 1, label


def test_reminders_unsent_an_hour_past_due_count_as_failed(client):
    from django.contrib.contenttypes.models import ContentType

    user = StaffFactory()
    about = ContentType.objects.get_for_model(user)
    now = timezone.now()
    for key, due in [("late", now - timedelta(hours=2)), ("soon", now - timedelta(minutes=5))]:
        Reminder.objects.create(
            key=key, recipient=user, kind="draft_left", about_type=about, about_id=1, due_at=due
        )
    client.force_login(user)
    value, url = figures(client.get(reverse("admin:index")))["Reminders that failed to send"]
    assert value == "1" and client.get(url).context["cl"].result_count == 1


def test_the_index_costs_the_same_queries_for_more_rows(client, django_assert_max_num_queries):
    client.force_login(StaffFactory())
    world(1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("admin:index")).status_code == 200
    world(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("admin:index")).status_code == 200
