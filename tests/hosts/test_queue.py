from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.models import Application
from hosts.models import Membership
from tests.factories import (
    ApplicationFactory,
    BlockFactory,
    InvitationFactory,
    MembershipFactory,
    PreceptorFactory,
    RotationFactory,
    take_seat,
)
from tests.hosts.conftest import document_for, login, submitted

S = Application.Status
pytestmark = pytest.mark.django_db


def count_queries(client, url, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(queries)


def add_applications(tenant, n: int) -> None:
    for _ in range(n):
        document_for(submitted(block=tenant.block))


@pytest.mark.parametrize(
    "name",
    [
        "hosts:applications",
        "hosts_api:application-list",
        "hosts:roster",
        "hosts:rotations",
        "hosts:dashboard",
    ],
)
def test_host_lists_cost_the_same_queries_for_2_or_32_applications(
    client, tenant_a, name, django_assert_max_num_queries
):
    login(client, tenant_a.coordinator)
    url = reverse(name)
    few = count_queries(client, url)
    add_applications(tenant_a, 30)
    for _ in range(5):
        RotationFactory(organization=tenant_a.organization)
    with django_assert_max_num_queries(few):
        client.get(url)


@pytest.mark.parametrize(
    "name", ["hosts:members", "hosts:preceptor_create", "hosts_api:rotation-list", "hosts_api:block-list"]
)
def test_member_preceptor_and_catalog_lists_cost_the_same_queries_for_few_or_many_rows(
    client, tenant_a, name, django_assert_max_num_queries
):
    login(client, tenant_a.owner)
    url = reverse(name)
    few = count_queries(client, url)
    organization = tenant_a.organization
    for _ in range(6):
        preceptor = PreceptorFactory(organization=organization)
        MembershipFactory(organization=organization, role=Membership.Role.PRECEPTOR, preceptor=preceptor)
        InvitationFactory(organization=organization, role=Membership.Role.PRECEPTOR, preceptor=preceptor)
        BlockFactory(rotation=RotationFactory(organization=organization, preceptor=preceptor))
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200


def test_the_calendar_costs_the_same_queries_for_few_or_many_blocks(
    client, tenant_a, django_assert_max_num_queries
):
    login(client, tenant_a.coordinator)
    url = reverse("hosts:calendar")
    few = count_queries(client, url)
    today = timezone.now().date()
    for weeks in range(20):
        BlockFactory(
            rotation=tenant_a.rotation, start_date=today + timedelta(weeks=weeks + 1), apply_by=today
        )
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert sum(len(row.blocks) for row in response.context["months"]) >= 20


def test_the_queue_shows_a_count_and_paginates(client, tenant_a):
    login(client, tenant_a.coordinator)
    add_applications(tenant_a, 28)
    response = client.get(reverse("hosts:applications"))
    assert response.context["paginator"].count == 30
    assert len(response.context["object_list"]) == 25
    assert "Page 1 of 2" in response.content.decode()
    second = client.get(reverse("hosts:applications"), {"page": 2})
    assert len(second.context["object_list"]) == 5


def test_the_queue_filters_by_rotation_block_status_and_submission_date(client, tenant_a):
    login(client, tenant_a.coordinator)
    url = reverse("hosts:applications")
    a, other = tenant_a.application, tenant_a.other_application
    Application.objects.filter(pk=other.pk).update(
        status=S.UNDER_REVIEW, submitted_at=timezone.now() - timedelta(days=10)
    )
    draft = submitted(block=tenant_a.block)
    Application.objects.filter(pk=draft.pk).update(status=S.DRAFT)

    def ids(**query):
        return [x.pk for x in client.get(url, query).context["object_list"]]

    assert ids() == [other.pk, a.pk]  # oldest submission first; drafts never shown
    assert ids(rotation=tenant_a.rotation.pk) == [a.pk]
    assert ids(block=tenant_a.other_block.pk) == [other.pk]
    assert ids(status="under_review") == [other.pk]
    today = timezone.now().date()
    assert ids(submitted_from=today - timedelta(days=1)) == [a.pk]
    assert ids(submitted_to=today - timedelta(days=5)) == [other.pk]


def waitlisted(block, minutes_ago: int) -> Application:
    now = timezone.now()
    return ApplicationFactory(
        block=block,
        status=S.WAITLISTED,
        submitted_at=now - timedelta(minutes=minutes_ago),
        waitlisted_at=now - timedelta(minutes=minutes_ago),
    )


def test_the_waitlist_is_apart_from_the_queue_each_block_in_line_order(client, tenant_a):
    login(client, tenant_a.coordinator)
    late = waitlisted(tenant_a.block, minutes_ago=1)
    early = waitlisted(tenant_a.block, minutes_ago=30)
    other = waitlisted(tenant_a.other_block, minutes_ago=10)
    url = reverse("hosts:applications")

    queue = client.get(url)
    assert {a.pk for a in queue.context["object_list"]} == {
        tenant_a.application.pk,
        tenant_a.other_application.pk,
    }
    assert queue.context["waitlist_count"] == 3
    assert "Waitlist <span" in queue.content.decode()

    line = client.get(url, {"status": "waitlisted"})
    assert [(a.pk, a.waitlist_position) for a in line.context["object_list"]] == [
        (early.pk, 1),
        (late.pk, 2),
        (other.pk, 1),
    ]
    html = line.content.decode()
    assert '<th scope="col">In line</th>' in html and "<td>#2</td>" in html
    review = client.get(reverse("hosts:application_detail", args=[late.pk])).content.decode()
    assert "#2 on this block's waitlist" in review
    narrowed = client.get(url, {"status": "waitlisted", "block": tenant_a.other_block.pk})
    assert [a.pk for a in narrowed.context["object_list"]] == [other.pk]
    assert narrowed.context["waitlist_count"] == 1


def test_the_api_queue_keeps_the_waitlist_apart_and_gives_places_in_line(client, tenant_a):
    login(client, tenant_a.coordinator)
    late = waitlisted(tenant_a.block, minutes_ago=1)
    early = waitlisted(tenant_a.block, minutes_ago=30)
    url = reverse("hosts_api:application-list")

    queue = client.get(url).json()["results"]
    assert {row["id"] for row in queue} == {tenant_a.application.pk, tenant_a.other_application.pk}
    assert {row["waitlist_position"] for row in queue} == {None}
    line = client.get(url, {"status": "waitlisted"}).json()["results"]
    assert [(row["id"], row["waitlist_position"]) for row in line] == [(early.pk, 1), (late.pk, 2)]
    one = client.get(reverse("hosts_api:application-detail", args=[late.pk])).json()
    assert one["waitlist_position"] == 2


def test_the_waitlist_tab_costs_the_same_queries_for_2_or_20_waitlisted(
    client, tenant_a, django_assert_max_num_queries
):
    login(client, tenant_a.coordinator)
    url = reverse("hosts:applications")
    for minutes in range(2):
        document_for(waitlisted(tenant_a.block, minutes_ago=minutes))
    few = count_queries(client, url, {"status": "waitlisted"})
    for minutes in range(2, 20):
        document_for(waitlisted(tenant_a.block, minutes_ago=minutes))
    with django_assert_max_num_queries(few):
        response = client.get(url, {"status": "waitlisted"})
    assert [a.waitlist_position for a in response.context["object_list"]] == list(range(1, 21))


def test_the_api_queue_filters_by_rotation_and_refuses_an_unknown_status(client, tenant_a):
    login(client, tenant_a.coordinator)
    response = client.get(reverse("hosts_api:application-list"), {"rotation": tenant_a.other_rotation.pk})
    assert [row["id"] for row in response.json()["results"]] == [tenant_a.other_application.pk]
    assert response.json()["count"] == 1
    bad = client.get(reverse("hosts_api:application-list"), {"status": "nonsense"})
    assert bad.status_code == 400


def test_the_roster_lists_offered_and_confirmed_applicants_per_block(client, tenant_a):
    login(client, tenant_a.coordinator)
    booked = take_seat(tenant_a.block)
    response = client.get(reverse("hosts:roster"))
    blocks = {block.pk: block for block in response.context["object_list"]}
    assert [a.pk for a in blocks[tenant_a.block.pk].roster] == [booked.pk]
    assert blocks[tenant_a.other_block.pk].roster == []
    assert booked.applicant.legal_name in response.content.decode()


def test_the_roster_keeps_blocks_in_progress_and_drops_those_that_ended(client, tenant_a):
    today = timezone.now().date()
    running = BlockFactory(
        rotation=tenant_a.rotation,
        start_date=today - timedelta(weeks=3),
        weeks=4,
        apply_by=today - timedelta(weeks=5),
    )
    ended = BlockFactory(
        rotation=tenant_a.rotation,
        start_date=today - timedelta(weeks=4),
        weeks=4,
        apply_by=today - timedelta(weeks=6),
    )
    login(client, tenant_a.coordinator)
    shown = {block.pk for block in client.get(reverse("hosts:roster")).context["object_list"]}
    assert running.pk in shown
    assert ended.pk not in shown
