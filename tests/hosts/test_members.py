import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from hosts import services
from hosts.models import Invitation, Membership
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    OwnerFactory,
    UserFactory,
)
from tests.hosts.conftest import ORGANIZATION, login
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


@pytest.mark.celery_worker
def test_an_invitation_is_emailed_once_with_a_working_single_use_link(celery_worker, smtp_server, client):
    owner = OwnerFactory()
    organization = owner.organization
    login(client, owner)
    response = client.post(
        reverse("hosts:invitation_create"), {"email": "Dana.Coordinator@Example.test", "role": "coordinator"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "dana.coordinator@example.test"
    wait_until(
        lambda: Invitation.objects.filter(pk=invitation.pk, emailed_at__isnull=False).exists(),
        what="the worker emailing the invitation",
    )
    assert len(smtp_server) == 1
    envelope = smtp_server[0]
    assert envelope.rcpt_tos == ["dana.coordinator@example.test"]
    text = envelope.content.decode()
    assert f"Join {organization}" in text
    link = re.search(r"http://\S+/host/invitations/accept/(\S+)/", text)
    assert link

    # The task again: still one email.
    assert services.invitation_email(invitation_id=invitation.pk) is False

    invitee = UserFactory(email="dana.coordinator@example.test")
    client.force_login(invitee)
    accept = reverse("hosts:invitation_accept", kwargs={"token": link.group(1)})
    assert client.get(accept).status_code == 200
    assert client.post(accept).status_code == 302
    membership = Membership.objects.get(user=invitee)
    assert (membership.organization, membership.role) == (organization, "coordinator")
    invitee.refresh_from_db()
    assert invitee.is_host_member
    assert client.get(reverse("hosts:dashboard")).status_code == 200

    again = client.post(accept)
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    assert Membership.objects.filter(user=invitee).count() == 1
    assert len(smtp_server) == 1


def test_an_expired_or_revoked_invitation_is_refused_with_a_clear_error():
    user = UserFactory(email="late@example.test")
    expired = InvitationFactory(email=user.email, expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(DomainError, match="expired"):
        services.invitation_accept(invitation=expired, user=user)
    revoked = services.invitation_revoke(invitation=InvitationFactory(email=user.email))
    with pytest.raises(DomainError, match="revoked"):
        services.invitation_accept(invitation=revoked, user=user)
    assert not Membership.objects.filter(user=user).exists()


def test_an_invitation_works_only_for_the_invited_address():
    invitation = InvitationFactory(email="right@example.test")
    with pytest.raises(DomainError, match="right@example.test"):
        services.invitation_accept(invitation=invitation, user=UserFactory(email="wrong@example.test"))
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_tampered_link_is_not_found(client):
    client.force_login(UserFactory())
    token = services.invitation_token(InvitationFactory())
    assert (
        client.get(reverse("hosts:invitation_accept", kwargs={"token": token[:-2] + "xx"})).status_code == 404
    )


def test_the_database_keeps_one_pending_invitation_per_organization_and_address():
    invitation = InvitationFactory(email="twice@example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(organization=invitation.organization, email="TWICE@example.test")
    with pytest.raises(DomainError, match="pending invitation"):
        services.invitation_create(
            organization=invitation.organization,
            invited_by=UserFactory(),
            email="twice@example.test",
            role="owner",
        )


def test_an_expired_pending_invitation_is_replaced_by_a_new_one():
    old = InvitationFactory(email="again@example.test", expires_at=timezone.now() - timedelta(days=1))
    new = services.invitation_create(
        organization=old.organization,
        invited_by=UserFactory(),
        email="again@example.test",
        role="coordinator",
    )
    old.refresh_from_db()
    assert old.revoked_at is not None and new.is_pending


def test_a_preceptor_invitation_links_the_member_to_their_preceptor_record(tenant_a):
    user = UserFactory(email="doc@example.test")
    invitation = services.invitation_create(
        organization=tenant_a.organization,
        invited_by=tenant_a.owner.user,
        email=user.email,
        role="preceptor",
        preceptor=tenant_a.preceptor,
    )
    membership = services.invitation_accept(invitation=invitation, user=user)
    assert membership.preceptor == tenant_a.preceptor
    tenant_a.preceptor.refresh_from_db()
    assert tenant_a.preceptor.user == user
    with pytest.raises(DomainError, match="preceptors"):
        services.invitation_create(
            organization=tenant_a.organization,
            invited_by=tenant_a.owner.user,
            email="x@example.test",
            role="preceptor",
        )


def test_the_last_owner_cannot_be_removed_but_a_coordinator_can(tenant_a):
    with pytest.raises(DomainError, match="at least one owner"):
        services.membership_remove(membership=tenant_a.owner)
    assert Membership.objects.filter(pk=tenant_a.owner.pk).exists()
    services.membership_remove(membership=tenant_a.coordinator)
    assert not Membership.objects.filter(pk=tenant_a.coordinator.pk).exists()
    tenant_a.coordinator.user.refresh_from_db()
    assert not tenant_a.coordinator.user.is_host_member


def test_owners_manage_members_from_the_members_page(client, tenant_a):
    login(client, tenant_a.owner)
    page = client.get(reverse("hosts:members"))
    assert page.status_code == 200
    assert page.context["paginator"].count == 3
    assert tenant_a.invitation.email in page.content.decode()
    assert client.post(reverse("hosts:invitation_revoke", args=[tenant_a.invitation.pk])).status_code == 302
    tenant_a.invitation.refresh_from_db()
    assert tenant_a.invitation.revoked_at is not None
    assert client.post(reverse("hosts:member_remove", args=[tenant_a.coordinator.pk])).status_code == 302
    assert not Membership.objects.filter(pk=tenant_a.coordinator.pk).exists()


def test_coordinators_cannot_manage_members(client, tenant_a):
    login(client, tenant_a.coordinator)
    assert client.get(reverse("hosts:members")).status_code == 403
    assert client.post(reverse("hosts:member_remove", args=[tenant_a.preceptor_member.pk])).status_code == 403
    assert Membership.objects.filter(pk=tenant_a.preceptor_member.pk).exists()


# --- Onboarding -----------------------------------------------------------------------------------


def verified_user(email="new.host@example.test"):
    from allauth.account.models import EmailAddress

    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def test_onboarding_creates_a_pending_organization_owned_by_the_user(client):
    user = verified_user()
    client.force_login(user)
    assert client.get(reverse("hosts:dashboard"))["Location"] == reverse("hosts:onboarding")
    response = client.post(reverse("hosts:onboarding"), ORGANIZATION)
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.role == "owner"
    assert membership.organization.is_verified is False
    assert membership.organization.slug == "riverside-family-clinic"
    user.refresh_from_db()
    assert user.is_host_member
    # A second organization of the same name gets its own slug.
    again = services.organization_create(user=user, **ORGANIZATION)
    assert again.slug == "riverside-family-clinic-2"


def test_onboarding_takes_a_lower_case_state_code_and_explains_a_wrong_one(client):
    client.force_login(verified_user())
    response = client.post(reverse("hosts:onboarding"), {**ORGANIZATION, "state": "t1"})
    assert response.status_code == 200
    assert "Enter the two-letter U.S. state code, e.g. TX." in response.content.decode()
    assert 'value="Riverside Family Clinic"' in response.content.decode()  # the input is kept
    assert not Membership.objects.exists()

    assert client.post(reverse("hosts:onboarding"), {**ORGANIZATION, "state": "tx"}).status_code == 302
    assert Membership.objects.get().organization.state == "TX"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("state", "ZZ", "Enter the two-letter U.S. state code, e.g. TX."),
        ("state", "T", "Enter the two-letter U.S. state code, e.g. TX."),
        ("zip_code", "abc", "Enter a 5-digit ZIP code or ZIP+4, e.g. 60611 or 60611-2923."),
        ("zip_code", "6061", "Enter a 5-digit ZIP code or ZIP+4, e.g. 60611 or 60611-2923."),
        ("zip_code", "60611-29", "Enter a 5-digit ZIP code or ZIP+4, e.g. 60611 or 60611-2923."),
        ("description", "x" * 5001, "Ensure this value has at most 5000 characters (it has 5001)."),
        ("name", "x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
        ("city", "x" * 101, "Ensure this value has at most 100 characters (it has 101)."),
        ("kind", "castle", None),
    ],
)
def test_onboarding_refuses_an_organization_out_of_bounds_on_the_page_and_in_the_service(
    client, field, value, message
):
    user = verified_user()
    client.force_login(user)
    response = client.post(reverse("hosts:onboarding"), {**ORGANIZATION, field: value})
    assert response.status_code == 200
    if message:
        assert message in response.content.decode()

    with pytest.raises(DomainError) as refused:
        services.organization_create(user=user, **{**ORGANIZATION, field: value})
    assert field in refused.value.extra["fields"]
    if message:
        assert refused.value.extra["fields"][field] == [message]
    assert not Membership.objects.exists()


def test_onboarding_takes_a_zip_plus_four_and_a_description_at_its_bound(client):
    client.force_login(verified_user())
    data = {**ORGANIZATION, "zip_code": "77002-1234", "description": "x" * 5000}
    assert client.post(reverse("hosts:onboarding"), data).status_code == 302
    organization = Membership.objects.get().organization
    assert (organization.zip_code, len(organization.description)) == ("77002-1234", 5000)


@pytest.mark.parametrize(("field", "value"), [("state", "ZZ"), ("zip_code", "abc")])
def test_the_database_refuses_an_organization_outside_the_states_or_with_a_bad_zip(field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationFactory(**{field: value})


def test_onboarding_requires_a_verified_email(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("hosts:onboarding"), ORGANIZATION)
    assert response.status_code == 200
    assert "Verify your email" in response.content.decode()
    assert not Membership.objects.exists()


def test_onboarding_needs_the_accounts_own_address_verified_not_an_old_one():
    user = verified_user("old.address@example.test")
    user.email = "new.address@example.test"
    user.save()
    with pytest.raises(DomainError, match="Verify your email"):
        services.organization_create(user=user, **ORGANIZATION)
    assert not Membership.objects.exists()


def test_onboarding_sends_anonymous_visitors_to_log_in_first(client):
    response = client.get(reverse("hosts:onboarding"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=/host/onboarding/" in response["Location"]


def test_a_member_of_several_organizations_gets_a_switcher(client):
    membership = MembershipFactory()
    MembershipFactory(user=membership.user, organization=OrganizationFactory(name="Second Site"))
    login(client, membership)
    page = client.get(reverse("hosts:dashboard"))
    assert "Switch organization" in page.content.decode()
    assert "Second Site" in page.content.decode()
