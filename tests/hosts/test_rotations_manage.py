from datetime import date, timedelta

import pytest
from django.urls import reverse

from amo.errors import DomainError
from rotations import services
from rotations.models import Block, Rotation
from tests.factories import BlockFactory, OrganizationFactory, RotationFactory, SpecialtyFactory, take_seat
from tests.hosts.conftest import login
from tests.hosts.test_isolation import api_rotation_data, rotation_form_data

pytestmark = pytest.mark.django_db
# Blocks start from today on, at most three years ahead (rotations.limits).
START = date.today() + timedelta(days=90)
APPLY_BY = START - timedelta(days=30)


def test_a_rotation_is_created_as_a_draft_with_fees_entered_in_dollars_stored_in_cents(client, tenant_a):
    login(client, tenant_a.coordinator)
    data = {
        **rotation_form_data(tenant_a),
        "title": "Family Medicine Observership",
        "program_fee": "2,500.50",
    }
    data["program_fee"] = "2500.50"
    data["required_document_kinds"] = ["cv", "passport"]
    response = client.post(reverse("hosts:rotation_create"), data)
    assert response.status_code == 302
    rotation = Rotation.objects.get(title="Family Medicine Observership")
    assert rotation.organization == tenant_a.organization
    assert rotation.status == Rotation.Status.DRAFT
    assert (rotation.application_fee_cents, rotation.program_fee_cents, rotation.deposit_cents) == (
        5_000,
        250_050,
        10_000,
    )
    assert rotation.required_document_kinds == ["cv", "passport"]
    assert rotation.slug.startswith("family-medicine-observership")


def test_a_deposit_above_the_program_fee_is_refused_and_nothing_is_saved(client, tenant_a):
    login(client, tenant_a.coordinator)
    data = {**rotation_form_data(tenant_a), "title": "Too dear", "deposit": "2000.00"}
    response = client.post(reverse("hosts:rotation_create"), data)
    assert response.status_code == 200
    assert "deposit cannot be more than the program fee" in response.content.decode()
    # The refusal is on the field the coordinator typed (dollars), not only above the form.
    assert response.context["form"].errors["deposit"] == ["The deposit cannot be more than the program fee."]
    assert data["title"] in response.content.decode()  # what they typed is kept
    assert not Rotation.objects.filter(title="Too dear").exists()


def test_editing_a_rotation_saves_through_the_service(client, tenant_a):
    login(client, tenant_a.coordinator)
    url = reverse("hosts:rotation_update", args=[tenant_a.rotation.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, rotation_form_data(tenant_a)).status_code == 302
    tenant_a.rotation.refresh_from_db()
    assert tenant_a.rotation.title == "Changed title"
    assert tenant_a.rotation.program_fee_cents == 100_000


def test_two_rotations_with_the_same_title_get_distinct_slugs():
    organization = OrganizationFactory()
    specialty = SpecialtyFactory()
    first = services.rotation_create(
        organization=organization,
        title="Cardiology",
        specialty=specialty,
        rotation_type="research",
        setting="outpatient",
        description="x",
    )
    second = services.rotation_create(
        organization=organization,
        title="Cardiology",
        specialty=specialty,
        rotation_type="research",
        setting="outpatient",
        description="x",
    )
    assert first.slug != second.slug


def test_only_a_verified_organization_publishes_and_only_with_a_block():
    unverified = RotationFactory(organization=OrganizationFactory(is_verified=False), status="draft")
    BlockFactory(rotation=unverified)
    with pytest.raises(DomainError, match="not verified"):
        services.rotation_publish(rotation=unverified)
    unverified.refresh_from_db()
    assert unverified.status == "draft"

    blockless = RotationFactory(status="draft")
    with pytest.raises(DomainError, match="at least one block"):
        services.rotation_publish(rotation=blockless)

    BlockFactory(rotation=blockless)
    published = services.rotation_publish(rotation=blockless)
    assert published.status == "published" and published.published_at is not None


def test_unpublishing_returns_to_draft_and_an_archived_rotation_takes_no_edit_or_block(client, tenant_a):
    login(client, tenant_a.coordinator)
    rotation = tenant_a.rotation
    assert client.post(reverse("hosts:rotation_unpublish", args=[rotation.pk])).status_code == 302
    rotation.refresh_from_db()
    assert rotation.status == "draft"
    assert client.post(reverse("hosts:rotation_publish", args=[rotation.pk])).status_code == 302
    rotation.refresh_from_db()
    assert rotation.status == "published"
    assert client.post(reverse("hosts:rotation_archive", args=[rotation.pk])).status_code == 302
    rotation.refresh_from_db()
    assert rotation.status == "archived"
    with pytest.raises(DomainError):
        services.rotation_update(rotation=rotation, title="Back")
    with pytest.raises(DomainError):
        services.block_create(rotation=rotation, start_date=START, weeks=4, capacity=2, apply_by=APPLY_BY)


def test_an_edit_from_a_page_loaded_before_publishing_keeps_the_rotation_published():
    rotation = RotationFactory(status=Rotation.Status.DRAFT)
    BlockFactory(rotation=rotation)
    loaded_by_the_edit_page = Rotation.objects.get(pk=rotation.pk)
    services.rotation_publish(rotation=rotation)

    services.rotation_update(rotation=loaded_by_the_edit_page, title="Renamed")

    rotation.refresh_from_db()
    assert (rotation.title, rotation.status) == ("Renamed", Rotation.Status.PUBLISHED)
    assert rotation.published_at is not None


def test_an_edit_from_a_page_loaded_before_archiving_is_refused():
    rotation = RotationFactory()
    loaded_by_the_edit_page = Rotation.objects.get(pk=rotation.pk)
    services.rotation_archive(rotation=rotation)

    with pytest.raises(DomainError, match="archived"):
        services.rotation_update(rotation=loaded_by_the_edit_page, title="Renamed")

    rotation.refresh_from_db()
    assert rotation.status == Rotation.Status.ARCHIVED and rotation.title != "Renamed"


def test_the_blocks_of_an_archived_rotation_cannot_be_edited(tenant_a):
    block = tenant_a.block
    services.rotation_archive(rotation=tenant_a.rotation)
    with pytest.raises(DomainError, match="archived"):
        services.block_update(
            block=block, start_date=block.start_date, weeks=2, capacity=9, apply_by=block.apply_by
        )
    block.refresh_from_db()
    assert (block.weeks, block.capacity) == (4, 3)


def test_the_publish_button_shows_why_an_unverified_organization_cannot(client, tenant_a):
    tenant_a.organization.is_verified = False
    tenant_a.organization.save()
    rotation = tenant_a.rotation
    rotation.status = "draft"
    rotation.save()
    login(client, tenant_a.coordinator)
    response = client.post(reverse("hosts:rotation_publish", args=[rotation.pk]), follow=True)
    assert "not verified yet" in response.content.decode()
    rotation.refresh_from_db()
    assert rotation.status == "draft"


def test_adding_a_block_from_the_rotation_page(client, tenant_a):
    login(client, tenant_a.coordinator)
    url = reverse("hosts:block_create", args=[tenant_a.rotation.pk])
    data = {"start_date": START, "weeks": 4, "capacity": 5, "apply_by": APPLY_BY}
    assert client.post(url, data).status_code == 302
    assert Block.objects.filter(rotation=tenant_a.rotation, start_date=START, capacity=5).exists()
    late = {**data, "apply_by": START + timedelta(days=1)}
    response = client.post(url, late)
    assert response.status_code == 400
    assert "on or before the start date" in response.content.decode()


def test_capacity_below_the_seats_confirmed_or_held_is_refused_everywhere(client, tenant_a):
    block = tenant_a.block
    take_seat(block)
    take_seat(block)
    login(client, tenant_a.coordinator)
    data = {"start_date": block.start_date, "weeks": 4, "capacity": 1, "apply_by": block.apply_by}
    page = client.post(reverse("hosts:block_update", args=[block.pk]), data)
    assert page.status_code == 200
    assert "already has 2 seats confirmed or held" in page.content.decode()
    api = client.patch(
        reverse("hosts_api:block-detail", args=[block.pk]), {"capacity": 1}, content_type="application/json"
    )
    assert api.status_code == 400
    assert api.json()["extra"]["seats_taken"] == 2
    assert list(api.json()["extra"]["fields"]) == ["capacity"]
    block.refresh_from_db()
    assert block.capacity == 3
    ok = client.patch(
        reverse("hosts_api:block-detail", args=[block.pk]), {"capacity": 2}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["seats_left"] == 0


def test_the_api_cannot_set_a_currency_the_platform_does_not_charge_in(client, tenant_a):
    login(client, tenant_a.coordinator)
    data = {**api_rotation_data(tenant_a), "currency": "eur"}
    created = client.post(reverse("hosts_api:rotation-list"), data, content_type="application/json")
    assert created.status_code == 400
    assert created.json()["message"] == "Currency: Fees are in USD only."
    assert not Rotation.objects.filter(title=data["title"]).exists()
    changed = client.patch(
        reverse("hosts_api:rotation-detail", args=[tenant_a.rotation.pk]),
        {"currency": "eur"},
        content_type="application/json",
    )
    assert changed.status_code == 400
    tenant_a.rotation.refresh_from_db()
    assert tenant_a.rotation.currency == "usd"


def test_the_api_creates_and_publishes_rotations_and_blocks(client, tenant_a):
    login(client, tenant_a.coordinator)
    created = client.post(
        reverse("hosts_api:rotation-list"), api_rotation_data(tenant_a), content_type="application/json"
    )
    assert created.status_code == 201, created.json()
    rotation_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    publish = reverse("hosts_api:rotation-publish", args=[rotation_id])
    refused = client.post(publish)
    assert refused.status_code == 409
    assert refused.json()["message"] == "Add at least one block before publishing."
    block = client.post(
        reverse("hosts_api:block-list"),
        {
            "rotation": rotation_id,
            "start_date": START.isoformat(),
            "weeks": 4,
            "capacity": 2,
            "apply_by": APPLY_BY.isoformat(),
        },
        content_type="application/json",
    )
    assert block.status_code == 201, block.json()
    assert client.post(publish).json()["status"] == "published"
    too_dear = client.patch(
        reverse("hosts_api:rotation-detail", args=[rotation_id]),
        {"deposit_cents": 999_999},
        content_type="application/json",
    )
    assert too_dear.status_code == 400
    assert too_dear.json()["extra"]["fields"] == {
        "deposit_cents": ["The deposit cannot be more than the program fee."]
    }
    assert Rotation.objects.get(pk=rotation_id).deposit_cents == 10_000


def test_the_host_api_is_in_the_openapi_schema(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    for path in [
        "/api/v1/host/rotations/",
        "/api/v1/host/blocks/{id}/",
        "/api/v1/host/applications/",
        "/api/v1/host/applications/{id}/offer/",
        "/api/v1/host/applications/bulk/",
        "/api/v1/host/applications/{id}/cancel/",
        "/api/v1/host/applications/{id}/no-show/",
        "/api/v1/host/applications/{id}/end-early/",
        "/api/v1/host/block-changes/",
        "/api/v1/host/block-changes/{id}/approve/",
        "/api/v1/host/block-changes/{id}/decline/",
    ]:
        assert path in schema["paths"]
    # The date change's status is its own enum, not confused with the application's.
    enums = schema["components"]["schemas"]
    assert enums["BlockChangeStatusEnum"]["enum"] == ["requested", "approved", "declined", "withdrawn"]


def test_fields_a_host_must_not_set_are_ignored_by_the_api(client, tenant_a, tenant_b):
    login(client, tenant_a.coordinator)
    rotation, block = tenant_a.rotation, tenant_a.block
    response = client.patch(
        reverse("hosts_api:rotation-detail", args=[rotation.pk]),
        {"title": "Renamed", "status": "archived", "organization": tenant_b.organization.pk, "slug": "x"},
        content_type="application/json",
    )
    assert response.status_code == 200
    rotation.refresh_from_db()
    assert (rotation.title, rotation.status, rotation.organization_id) == (
        "Renamed",
        Rotation.Status.PUBLISHED,
        tenant_a.organization.pk,
    )
    assert rotation.slug != "x"

    response = client.patch(
        reverse("hosts_api:block-detail", args=[block.pk]),
        {"capacity": 5, "seats_taken": 5},
        content_type="application/json",
    )
    assert response.status_code == 200
    block.refresh_from_db()
    assert (block.capacity, block.seats_taken) == (5, 0)


def test_withdrawing_verification_takes_the_organizations_rotations_off_the_catalog():
    from hosts.services import organization_set_verified

    organization = OrganizationFactory(is_verified=True)
    listed = RotationFactory(organization=organization)
    draft = RotationFactory(organization=organization, status=Rotation.Status.DRAFT)
    elsewhere = RotationFactory()
    organization_set_verified(organization=organization, verified=False)
    listed.refresh_from_db()
    assert listed.status == Rotation.Status.DRAFT
    assert not Rotation.objects.published().filter(organization=organization).exists()
    draft.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (draft.status, elsewhere.status) == (Rotation.Status.DRAFT, Rotation.Status.PUBLISHED)


@pytest.mark.parametrize(
    ("verified", "with_block", "reason"),
    [
        (False, True, "not verified yet"),
        (True, False, "Add at least one block before publishing."),
        (True, True, None),
    ],
)
def test_publish_is_offered_only_when_the_rotation_can_be_published(
    client, tenant_a, verified, with_block, reason
):
    tenant_a.organization.is_verified = verified
    tenant_a.organization.save()
    rotation = RotationFactory(organization=tenant_a.organization, status=Rotation.Status.DRAFT)
    if with_block:
        BlockFactory(rotation=rotation)
    login(client, tenant_a.coordinator)
    page = client.get(reverse("hosts:rotation_detail", args=[rotation.pk])).content.decode()
    offered = reverse("hosts:rotation_publish", args=[rotation.pk]) in page
    assert offered == (reason is None)
    if reason:
        assert reason in page


def test_an_archived_rotations_blocks_offer_no_edit(client, tenant_a):
    services.rotation_archive(rotation=tenant_a.rotation)
    login(client, tenant_a.coordinator)
    page = client.get(reverse("hosts:rotation_detail", args=[tenant_a.rotation.pk])).content.decode()
    assert reverse("hosts:block_update", args=[tenant_a.block.pk]) not in page
