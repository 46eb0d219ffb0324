"""Creations that race: the database decides, and the loser gets a slug of its own or a clear error.

Each race is made deterministic: the first creation runs in a transaction held open, uncommitted,
while the second runs in another connection. The second cannot see the first row, so it takes the
same decision, and its insert waits on the unique index until the first commits.
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction

from amo.errors import DomainError
from amo.slugs import unique_slug
from hosts import services
from hosts.models import Membership, Organization
from rotations import services as rotation_services
from rotations.models import Rotation
from tests.factories import EmailAddressFactory, InvitationFactory, OrganizationFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)", [pid])
        return cursor.fetchone()[0]


def race_behind_uncommitted(first: Callable, second: Callable) -> tuple:
    """Run `first` in an open transaction and `second` in another connection until `second` waits
    on a lock the first holds; then commit the first. Returns first's result and second's outcome
    (its result, or the exception it raised)."""
    outcome: dict = {}
    started = threading.Event()

    def run_second():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cursor.fetchone()[0]
            started.set()
            outcome["result"] = second()
        except Exception as error:  # the outcome under test, re-checked by the caller
            outcome["result"] = error
        finally:
            started.set()
            connection.close()

    thread = threading.Thread(target=run_second)
    with transaction.atomic():
        first_result = first()
        thread.start()
        assert started.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not _waits_on_a_lock(outcome["pid"]):
            assert thread.is_alive(), f"the second finished without waiting: {outcome['result']!r}"
            assert time.monotonic() < deadline, "the second never waited on the first"
            time.sleep(0.02)
    thread.join(timeout=10)
    assert not thread.is_alive()
    return first_result, outcome["result"]


ROTATION = {"title": "Cardiology", "rotation_type": "research", "setting": "outpatient", "description": "x"}


@pytest.mark.parametrize("creation", ["rotation_create", "control-check-then-insert"])
def test_two_rotations_created_at_once_with_one_title_get_distinct_slugs(creation):
    """The control inserts as rotation_create did before it retried: it gets the index's refusal."""
    organization, specialty = OrganizationFactory(), SpecialtyFactory()

    def create():
        return rotation_services.rotation_create(organization=organization, specialty=specialty, **ROTATION)

    def control():
        rotation = Rotation(organization=organization, specialty=specialty, status="draft", **ROTATION)
        rotation.slug = unique_slug(Rotation, f"{rotation.title} {organization.slug}", max_length=230)
        rotation.save()
        return rotation

    first, second = race_behind_uncommitted(create, create if creation == "rotation_create" else control)

    if creation == "rotation_create":
        assert isinstance(second, Rotation), second
        assert second.slug == f"{first.slug}-2"
        assert Rotation.objects.count() == 2
    else:
        assert isinstance(second, IntegrityError)
        assert Rotation.objects.count() == 1


ORGANIZATION = {"name": "Riverside Family Clinic", "kind": "clinic", "city": "Houston", "state": "TX"}


def test_two_organizations_onboarded_at_once_with_one_name_get_distinct_slugs():
    users = [EmailAddressFactory().user for _ in range(2)]

    def onboard(user):
        return lambda: services.organization_create(user=user, zip_code="77002", **ORGANIZATION)

    first, second = race_behind_uncommitted(onboard(users[0]), onboard(users[1]))

    assert isinstance(second, Organization), second
    assert (first.slug, second.slug) == ("riverside-family-clinic", "riverside-family-clinic-2")
    assert Membership.objects.get(organization=second).user == users[1]


def test_an_integrity_error_other_than_a_taken_slug_is_not_retried():
    user = EmailAddressFactory().user
    with pytest.raises(IntegrityError, match="organization_commission_at_most_100pct"):
        services.organization_create(user=user, zip_code="77002", commission_rate_bps=10001, **ORGANIZATION)
    assert not Organization.objects.exists()
    assert not Membership.objects.exists()


def test_one_invitation_accepted_twice_at_once_makes_one_member_and_tells_the_second_it_was_used():
    invitation = InvitationFactory()
    user = EmailAddressFactory(user__email=invitation.email).user

    def accept():
        return services.invitation_accept(invitation=invitation, user=user)

    first, second = race_behind_uncommitted(accept, accept)

    assert isinstance(first, Membership)
    assert isinstance(second, DomainError) and second.message == "This invitation was already used."
    assert Membership.objects.filter(user=user).count() == 1


def test_two_invitations_of_one_person_accepted_at_once_make_one_member_and_say_why():
    """One pending invitation per address is all the index allows, so the person was invited at two
    addresses and changed their account's address between the two acceptances."""
    organization = OrganizationFactory()
    old = InvitationFactory(organization=organization, email="dr.lee@old.example.test")
    new = InvitationFactory(organization=organization, email="dr.lee@new.example.test")
    user = EmailAddressFactory(user__email=old.email).user
    same_person_later = type(user).objects.get(pk=user.pk)
    same_person_later.email = new.email

    first, second = race_behind_uncommitted(
        lambda: services.invitation_accept(invitation=old, user=user),
        lambda: services.invitation_accept(invitation=new, user=same_person_later),
    )

    assert isinstance(first, Membership)
    assert isinstance(second, DomainError), second
    assert second.message == f"You are already a member of {organization}."
    assert Membership.objects.filter(organization=organization).count() == 1
    new.refresh_from_db()
    assert new.accepted_at is None
