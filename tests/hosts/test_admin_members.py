"""Staff add and remove an organization's members from the admin, through the same services as the
host's own members page: an invitation from the organization's "Invite a member" page is recorded
and emailed, one the service refuses (a live invitation to the same address, a member already, a
preceptor who is not theirs) is shown with its words and writes nothing; an invitation is revoked
from the Invitations list; the last owner is never removed."""

import pytest
from django.contrib.messages import ERROR, SUCCESS
from django.urls import reverse

from amo.staff_groups import PLACEMENT_COORDINATOR, SUPPORT
from hosts.models import Invitation, Membership
from tests.admin_pages import member_of, messages_of
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    OwnerFactory,
    PreceptorFactory,
    StaffFactory,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


def invite_url(organization) -> str:
    return reverse("admin:hosts_organization_invite_member", args=[organization.pk])


def invitations() -> list[tuple]:
    return sorted(Invitation.objects.values_list("pk", "email", "role", "revoked_at", "accepted_at"))


@pytest.fixture
def founder(client):
    founder = StaffFactory()
    client.force_login(founder)
    return founder


@pytest.mark.celery_worker
def test_an_invitation_from_the_admin_is_recorded_and_emailed(celery_worker, smtp_server, client):
    founder = StaffFactory()
    client.force_login(founder)
    organization = OwnerFactory().organization
    chosen = client.post(
        reverse("admin:hosts_organization_changelist"),
        {"action": "invite_member", "_selected_action": [organization.pk]},
    )
    assert (chosen.status_code, chosen["Location"]) == (302, invite_url(organization))
    assert client.get(invite_url(organization)).status_code == 200

    done = client.post(invite_url(organization), {"email": "New.Owner@Example.test", "role": "owner"})

    assert (done.status_code, done["Location"]) == (
        302,
        reverse("admin:hosts_organization_change", args=[organization.pk]),
    )
    invitation = Invitation.objects.get()
    assert (invitation.organization, invitation.email, invitation.role, invitation.invited_by) == (
        organization,
        "new.owner@example.test",
        "owner",
        founder,
    )
    assert messages_of(done, SUCCESS) == [
        f"Invitation to join {organization} as owner sent to new.owner@example.test."
    ]
    wait_until(
        lambda: Invitation.objects.filter(pk=invitation.pk, emailed_at__isnull=False).exists(),
        what="the worker emailing the invitation",
    )
    (envelope,) = smtp_server
    assert envelope.rcpt_tos == ["new.owner@example.test"]
    assert f"Join {organization}" in envelope.content.decode()
    assert "/host/invitations/accept/" in envelope.content.decode()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"email": "PENDING@example.test", "role": "coordinator"}, "already has a pending invitation"),
        ({"email": "MEMBER", "role": "coordinator"}, "is already a member of"),
        ({"email": "someone@example.test", "role": "preceptor", "preceptor": "OTHERS"}, "valid choice"),
        ({"email": "someone@example.test", "role": "preceptor"}, "Choose which of your preceptors"),
        ({"email": "not an address", "role": "coordinator"}, "Enter a valid email address."),
        ({"email": "someone@example.test", "role": "founder"}, "valid choice"),
    ],
    ids=["pending", "member", "another-hosts-preceptor", "no-preceptor", "invalid-email", "invalid-role"],
)
def test_an_invitation_the_service_or_form_refuses_is_shown_with_its_words_and_nothing_is_written(
    client, founder, data, words
):
    owner = OwnerFactory()
    organization = owner.organization
    InvitationFactory(organization=organization, email="pending@example.test")
    data = dict(data)
    if data["email"] == "MEMBER":
        data["email"] = owner.user.email.upper()
    if data.get("preceptor") == "OTHERS":
        data["preceptor"] = PreceptorFactory().pk  # another organization's
    before = invitations()

    answer = client.post(invite_url(organization), data)

    assert answer.status_code == 400
    assert words in answer.content.decode()
    assert invitations() == before


def test_a_preceptors_invitation_names_one_of_the_organizations_preceptors(client, founder):
    organization = OwnerFactory().organization
    preceptor = PreceptorFactory(organization=organization)

    done = client.post(
        invite_url(organization),
        {"email": "doc@example.test", "role": "preceptor", "preceptor": preceptor.pk},
    )

    assert done.status_code == 302
    assert Invitation.objects.get().preceptor == preceptor


def test_staff_outside_the_founders_cannot_invite_and_nothing_is_written(client):
    organization = OwnerFactory().organization
    for group in [PLACEMENT_COORDINATOR, SUPPORT]:
        client.force_login(member_of(group))
        assert client.get(invite_url(organization)).status_code == 403
        data = {"email": "x@example.test", "role": "owner"}
        assert client.post(invite_url(organization), data).status_code == 403
        listed = client.get(reverse("admin:hosts_organization_changelist"))
        assert "invite_member" not in listed.content.decode()
    assert not Invitation.objects.exists()


def test_an_invitation_is_revoked_from_the_admin_and_its_link_stops_working(client, founder):
    invitation = InvitationFactory()

    done = client.post(
        reverse("admin:hosts_invitation_changelist"),
        {"action": "revoke", "_selected_action": [invitation.pk]},
        follow=True,
    )

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert messages_of(done, SUCCESS) == ["1 invitation revoked; the links no longer work."]


def test_revoking_an_accepted_invitation_is_refused_and_none_of_the_selection_is_revoked(client, founder):
    live = InvitationFactory()
    accepted = InvitationFactory(accepted_at=live.created_at)
    before = invitations()

    done = client.post(
        reverse("admin:hosts_invitation_changelist"),
        {"action": "revoke", "_selected_action": [live.pk, accepted.pk]},
        follow=True,
    )

    assert messages_of(done) == [
        "Nothing was revoked. This invitation was already accepted; remove the member instead."
    ]
    assert invitations() == before


def test_removing_the_last_owner_from_the_admin_is_refused_with_a_message_and_nothing_changes(
    client, founder
):
    owner = OwnerFactory()
    coordinator = MembershipFactory(organization=owner.organization)
    before = sorted(Membership.objects.values_list("pk", "user_id", "role"))

    done = client.post(
        reverse("admin:hosts_membership_changelist"),
        {"action": "remove_member", "_selected_action": [owner.pk, coordinator.pk]},
        follow=True,
    )

    assert messages_of(done, ERROR) == [
        "Nobody was removed. An organization keeps at least one owner; make someone else owner first."
    ]
    assert sorted(Membership.objects.values_list("pk", "user_id", "role")) == before
    owner.user.refresh_from_db()
    assert owner.user.is_host_member


def test_a_member_is_removed_from_the_admin_when_an_owner_stays(client, founder):
    owner = OwnerFactory()
    second = OwnerFactory(organization=owner.organization)

    done = client.post(
        reverse("admin:hosts_membership_changelist"),
        {"action": "remove_member", "_selected_action": [second.pk]},
        follow=True,
    )

    assert messages_of(done, SUCCESS) == ["1 member removed."]
    assert list(Membership.objects.values_list("pk", flat=True)) == [owner.pk]
    second.user.refresh_from_db()
    assert not second.user.is_host_member
