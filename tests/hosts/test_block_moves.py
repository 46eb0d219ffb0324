"""A block with people on its roster keeps its dates; moving one tells everyone waiting on it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amo.models import Notification
from amo.text import day_label
from applicants.models import Application
from hosts.selectors import OPEN_STATUSES, ROSTER_STATUSES
from rotations.models import Block
from tests.factories import ApplicationFactory
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db
S = Application.Status


def moved(block: Block, days: int = 7) -> dict:
    return {
        "start_date": (block.start_date + timedelta(days=days)).isoformat(),
        "weeks": block.weeks,
        "capacity": block.capacity,
        "apply_by": block.apply_by.isoformat(),
    }


@pytest.mark.parametrize("status", ROSTER_STATUSES)
def test_a_block_with_someone_on_its_roster_cannot_move_on_the_page_or_the_api(client, tenant_a, status):
    block = tenant_a.other_block
    # Its real seat hold: an offer's or a checkout's until a deadline, a booking's without.
    ApplicationFactory(
        block=block, status=status, submitted_at=timezone.now(), seat=timezone.now() + timedelta(days=3)
    )
    login(client, tenant_a.coordinator)

    page = client.post(reverse("hosts:block_update", args=[block.pk]), moved(block))
    assert "cannot change" in " ".join(page.context["form"].errors["start_date"])
    api = client.patch(
        reverse("hosts_api:block-detail", args=[block.pk]),
        {"weeks": block.weeks + 1},
        content_type="application/json",
    )
    assert api.status_code == 409
    assert "1 applicant on this block has an offer or a confirmed seat" in api.json()["message"]
    assert Block.objects.get(pk=block.pk).start_date == block.start_date
    assert Block.objects.get(pk=block.pk).weeks == block.weeks

    # Its capacity and last day to apply may still change: nobody's dates move.
    ok = client.patch(
        reverse("hosts_api:block-detail", args=[block.pk]),
        {"capacity": block.capacity + 2, "apply_by": (block.apply_by - timedelta(days=1)).isoformat()},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.json()


def test_moving_a_block_tells_each_applicant_waiting_on_it_and_nobody_else(client, tenant_a):
    block = tenant_a.other_block
    waiting = [tenant_a.other_application] + [
        ApplicationFactory(block=block, status=status, submitted_at=timezone.now())
        for status in OPEN_STATUSES
    ]
    others = [ApplicationFactory(block=block, status=status) for status in (S.DRAFT, S.REJECTED, S.WITHDRAWN)]
    login(client, tenant_a.coordinator)

    response = client.post(reverse("hosts:block_update", args=[block.pk]), moved(block, days=14))
    assert response.status_code == 302
    new_start = block.start_date + timedelta(days=14)
    assert Block.objects.get(pk=block.pk).start_date == new_start

    told = Notification.objects.filter(key__contains=":block-moved:")
    assert sorted(told.values_list("recipient", flat=True)) == sorted(a.applicant.user_id for a in waiting)
    notice = told.first()
    assert day_label(new_start) in notice.body and day_label(block.start_date) in notice.body
    assert notice.link.startswith("/me/applications/")
    assert not Notification.objects.filter(recipient__in=[a.applicant.user for a in others]).exists()

    # Moved again, they are told again.
    client.post(reverse("hosts:block_update", args=[block.pk]), moved(Block.objects.get(pk=block.pk)))
    assert told.count() == 2 * len(waiting)


def test_saving_a_block_without_moving_it_tells_nobody(client, tenant_a):
    block = tenant_a.other_block
    login(client, tenant_a.coordinator)
    data = {**moved(block, days=0), "capacity": block.capacity + 1}
    assert client.post(reverse("hosts:block_update", args=[block.pk]), data).status_code == 302
    assert not Notification.objects.filter(key__contains=":block-moved:").exists()
