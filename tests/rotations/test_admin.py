"""The catalog's admin goes through the services: publishing, and a block's dates and capacity."""

from datetime import timedelta

import pytest
from django.urls import reverse

from amo.models import Notification
from applicants.models import Application
from rotations.models import Block, Rotation
from tests.admin_pages import messages_of
from tests.factories import ApplicationFactory, BlockFactory, RotationFactory, take_seat

pytestmark = pytest.mark.django_db


def _action(client, action: str, *rotations: Rotation):
    return client.post(
        reverse("admin:rotations_rotation_changelist"),
        {"action": action, "_selected_action": [rotation.pk for rotation in rotations]},
        follow=True,
    )


def test_staff_publish_a_draft_of_a_verified_host_through_the_service(founder_client):
    block = BlockFactory(rotation__status=Rotation.Status.DRAFT, rotation__organization__is_verified=True)
    response = _action(founder_client, "publish", block.rotation)
    block.rotation.refresh_from_db()
    assert block.rotation.status == Rotation.Status.PUBLISHED
    assert block.rotation.published_at is not None
    assert "1 rotation published." in messages_of(response)


def test_publishing_a_rotation_of_an_unverified_host_is_refused_with_a_message_and_changes_nothing(
    founder_client,
):
    block = BlockFactory(rotation__status=Rotation.Status.DRAFT, rotation__organization__is_verified=False)
    response = _action(founder_client, "publish", block.rotation)
    block.rotation.refresh_from_db()
    assert block.rotation.status == Rotation.Status.DRAFT
    assert any("not verified" in message for message in messages_of(response))


def test_unpublishing_takes_a_rotation_off_the_catalog_and_a_draft_is_refused(founder_client):
    published = RotationFactory(status=Rotation.Status.PUBLISHED)
    draft = RotationFactory(status=Rotation.Status.DRAFT)
    response = _action(founder_client, "unpublish", published, draft)
    published.refresh_from_db()
    draft.refresh_from_db()
    assert published.status == draft.status == Rotation.Status.DRAFT
    said = messages_of(response)
    assert any("Only a published rotation can be unpublished." in message for message in said)
    assert any(message.startswith("1 rotation taken off the catalog") for message in said)


def test_the_rotation_form_cannot_change_status_fees_currency_or_organization(founder_client):
    rotation = RotationFactory(status=Rotation.Status.DRAFT)
    url = reverse("admin:rotations_rotation_change", args=[rotation.pk])
    form = founder_client.get(url).context["adminform"].form
    for name in [
        "status",
        "currency",
        "program_fee_cents",
        "deposit_cents",
        "application_fee_cents",
        "organization",
    ]:
        assert name not in form.fields, name
    data = {name: form[name].value() for name in form.fields}
    data.update(
        {
            "title": "Renamed by staff",
            "status": "published",
            "program_fee_cents": 1,
            "blocks-TOTAL_FORMS": 0,
            "blocks-INITIAL_FORMS": 0,
        }
    )
    data = {key: value for key, value in data.items() if value is not None}
    response = founder_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    rotation.refresh_from_db()
    assert rotation.title == "Renamed by staff"
    assert (rotation.status, rotation.program_fee_cents) == (Rotation.Status.DRAFT, 250_000)


def test_the_block_inline_adds_changes_and_deletes_nothing(founder_client):
    block = BlockFactory()
    response = founder_client.get(reverse("admin:rotations_rotation_change", args=[block.rotation_id]))
    inline = response.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_change_permission
    assert not inline.has_delete_permission


def _block_page(client, block: Block, **changes):
    data = {
        "start_date": block.start_date.isoformat(),
        "weeks": block.weeks,
        "capacity": block.capacity,
        "apply_by": block.apply_by.isoformat(),
    }
    data.update(changes)
    return client.post(
        reverse("admin:rotations_rotation_block_change", args=[block.rotation_id, block.pk]), data
    )


def test_a_blocks_capacity_never_goes_below_its_seats_taken(founder_client):
    block = BlockFactory(capacity=3)
    take_seat(block)
    take_seat(block)
    response = _block_page(founder_client, block, capacity=1)
    assert response.status_code == 400
    assert "capacity cannot go below that" in response.content.decode()
    block.refresh_from_db()
    assert block.capacity == 3
    response = _block_page(founder_client, block, capacity=2)
    assert response.status_code == 302
    block.refresh_from_db()
    assert block.capacity == 2


def test_a_blocks_dates_stay_while_someone_is_booked_on_it(founder_client):
    block = BlockFactory()
    take_seat(block)
    start = block.start_date
    response = _block_page(founder_client, block, start_date=(start + timedelta(days=7)).isoformat())
    assert response.status_code == 400
    assert "its dates cannot change" in response.content.decode()
    block.refresh_from_db()
    assert block.start_date == start


def test_moving_a_block_tells_the_applicants_waiting_for_a_decision(founder_client):
    block = BlockFactory()
    waiting = ApplicationFactory(block=block, status=Application.Status.SUBMITTED)
    new_start = block.start_date + timedelta(days=7)
    response = _block_page(founder_client, block, start_date=new_start.isoformat())
    assert response.status_code == 302
    block.refresh_from_db()
    assert block.start_date == new_start
    assert Notification.objects.filter(
        recipient=waiting.applicant.user, subject__startswith="New dates"
    ).exists()
