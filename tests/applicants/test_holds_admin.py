"""Staff see seat holds and date changes in the admin, read-only (money received another way:
tests/payments/test_received_another_way.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applicants.models import Application
from rotations.models import Block, SeatHold
from tests.factories import ApplicationFactory, BlockChangeFactory, BlockFactory, StaffFactory

pytestmark = pytest.mark.django_db
S = Application.Status


def test_the_application_page_shows_its_holds_and_date_changes_and_changes_neither(client):
    client.force_login(StaffFactory())
    confirmed = ApplicationFactory(status=S.CONFIRMED, submitted_at=timezone.now())
    later = BlockFactory(
        rotation=confirmed.block.rotation, start_date=confirmed.block.start_date + timedelta(weeks=8)
    )
    BlockChangeFactory(application=confirmed, to_block=later, reason="Visa date.")
    url = reverse("admin:applicants_application_change", args=[confirmed.pk])

    page = client.get(url).content.decode()

    assert "Booking" in page and "Visa date." in page
    assert 'name="seat_holds-0-kind"' not in page  # shown, not a form field
    assert 'name="block_changes-0-status"' not in page
    # Status and every field only services write are read-only too: a posted change is ignored.
    client.post(url, {"status": S.CANCELLED})
    assert Application.objects.get(pk=confirmed.pk).status == S.CONFIRMED


def test_seat_holds_and_date_changes_have_read_only_lists_filtered_by_kind_and_release(client):
    client.force_login(StaffFactory())
    block = BlockFactory(capacity=3)
    offered = ApplicationFactory(block=block, status=S.OFFERED, submitted_at=timezone.now())
    booked = ApplicationFactory(block=block, status=S.CONFIRMED, submitted_at=timezone.now())
    holds = reverse("admin:rotations_seathold_changelist")

    def listed(query: str) -> set[int]:
        response = client.get(f"{holds}?{query}")
        assert response.status_code == 200
        return {hold.application_id for hold in response.context["cl"].result_list}

    assert listed("") == {offered.pk, booked.pk}
    assert listed("kind__exact=offer") == {offered.pk}
    assert listed("released_at__isempty=1") == {offered.pk, booked.pk}  # not released
    assert listed("released_at__isempty=0") == set()
    hold = SeatHold.objects.get(application=booked)
    assert (
        client.post(reverse("admin:rotations_seathold_change", args=[hold.pk]), {"kind": "offer"}).status_code
        == 403
    )
    assert client.get(reverse("admin:rotations_seathold_add")).status_code == 403
    assert (
        client.post(reverse("admin:rotations_seathold_delete", args=[hold.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert SeatHold.objects.get(pk=hold.pk).kind == SeatHold.Kind.BOOKING
    assert Block.objects.get(pk=block.pk).seats_taken == 2

    assert client.get(reverse("admin:applicants_blockchange_changelist")).status_code == 200
    assert client.get(reverse("admin:applicants_blockchange_add")).status_code == 403
