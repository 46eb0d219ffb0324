"""Counts read as English wherever they are shown: "1 week", never "1 weeks"."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import strip_tags

from amo.errors import DomainError
from applicants.models import Application
from rotations.services import block_change_capacity
from tests.factories import (
    ApplicationFactory,
    BlockFactory,
    EmailAddressFactory,
    OwnerFactory,
    RotationFactory,
    take_seat,
)
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db

NOUNS = "weeks|seats|days|hours|applications|applicants|rotations|blocks|documents|members|minutes|letters"
ONE_OF_MANY = re.compile(rf"(?<![\d.,])1\s+(?:[a-z]+\s+)?(?:{NOUNS})\b")


def assert_singular(text: str, where: str) -> None:
    found = ONE_OF_MANY.findall(" ".join(strip_tags(text).split()))
    assert not found, f"{where}: {found}"


def test_every_page_says_one_in_the_singular(client):
    owner = OwnerFactory()
    rotation = RotationFactory(
        organization=owner.organization, weekly_hours=1, balance_due_days_before_start=1
    )
    block = BlockFactory(
        rotation=rotation, weeks=1, capacity=3, start_date=timezone.localdate() + timedelta(days=5)
    )
    take_seat(block)  # with the offer below: one seat left
    other_block = BlockFactory(rotation=rotation, weeks=1, capacity=1)
    application = ApplicationFactory(
        block=block,
        status=Application.Status.OFFERED,
        submitted_at=timezone.now(),
        seat=timezone.now() + timedelta(days=1),
    )
    applicant = application.applicant
    EmailAddressFactory(user=applicant.user)

    pages = {
        None: [
            "/rotations/",
            f"/rotations/{rotation.slug}/",
            f"/api/v1/rotations/{rotation.pk}/",
        ],
        applicant.user: ["/me/", f"/me/applications/{application.pk}/", f"/apply/{other_block.pk}/"],
        owner: [
            "/host/",
            "/host/rotations/",
            f"/host/rotations/{rotation.pk}/",
            f"/host/blocks/{block.pk}/edit/",
            "/host/applications/",
            f"/host/applications/{application.pk}/",
            "/host/roster/",
            "/host/calendar/",
        ],
    }
    for who, paths in pages.items():
        client.logout()
        if who is owner:
            login(client, owner)
        elif who is not None:
            client.force_login(who)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert_singular(response.content.decode(), path)
        if who is owner:  # what a bulk action reports
            done = client.post(
                "/host/applications/bulk/",
                {"action": "waitlist", "applications": [application.pk]},
                follow=True,
            )
            assert "of 1 application updated" in done.content.decode()


def test_messages_written_in_python_say_one_in_the_singular():
    block = BlockFactory(weeks=1, capacity=1)
    assert_singular(str(block), "Block.__str__")
    take_seat(block)
    with pytest.raises(DomainError) as refused:
        block_change_capacity(block_id=block.pk, capacity=0)
    assert "already has 1 seat confirmed or held" in refused.value.message
