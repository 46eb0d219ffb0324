"""Hosts hear about their applicants: a submitted application and an applicant's message reach the
members who see the application on the host side, by email and on the host dashboard."""

import pytest
from django.urls import reverse

from amo.models import Notification
from applicants.services import application_apply, application_message_post, application_request_info
from applicants.workflow import ActorRole
from hosts.models import Membership
from rotations.models import DocumentKind
from tests.factories import (
    ApplicantFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    MembershipFactory,
    OwnerFactory,
    PreceptorFactory,
    StaffFactory,
)
from tests.hosts.conftest import login, submitted
from tests.mail import envelope_text
from tests.waiting import wait_until

STATEMENT = "I want to learn inpatient medicine in the U.S."


def _host_with_every_kind_of_member():
    """A block whose rotation has a preceptor; members who must hear of it and members who must not."""
    owner = OwnerFactory(user__email="owner@host.test")
    organization = owner.organization
    preceptor = PreceptorFactory(organization=organization)
    block = BlockFactory(
        rotation__organization=organization,
        rotation__preceptor=preceptor,
        rotation__required_document_kinds=[DocumentKind.CV],
    )
    tell = {
        owner,
        MembershipFactory(
            organization=organization, role=Membership.Role.COORDINATOR, user__email="coord@host.test"
        ),
        MembershipFactory(
            organization=organization,
            role=Membership.Role.PRECEPTOR,
            preceptor=preceptor,
            user__email="preceptor@host.test",
        ),
    }
    keep_out = {
        # a preceptor of another rotation of the same host, a removed-from-duty (inactive) coordinator,
        # and a coordinator of another host
        MembershipFactory(
            organization=organization,
            role=Membership.Role.PRECEPTOR,
            preceptor=PreceptorFactory(organization=organization),
        ),
        MembershipFactory(organization=organization, role=Membership.Role.COORDINATOR, user__is_active=False),
        MembershipFactory(role=Membership.Role.COORDINATOR),
    }
    return block, tell, keep_out


def _ready_applicant(block):
    applicant = ApplicantFactory(legal_name="Amaka Obi", user__email="amaka@applicant.test")
    EmailAddressFactory(user=applicant.user)
    return applicant, [DocumentFactory(applicant=applicant, kind=DocumentKind.CV)]


@pytest.mark.celery_worker
def test_a_submitted_application_is_emailed_to_its_owners_coordinators_and_preceptor_by_a_real_worker(
    celery_worker, smtp_server
):
    block, tell, keep_out = _host_with_every_kind_of_member()
    applicant, documents = _ready_applicant(block)

    application = application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )

    told = {member.user for member in tell}
    wait_until(
        lambda: (
            Notification.objects.filter(recipient__in=told, emailed_at__isnull=False).count() == len(told)
        ),
        what="the worker emailing the host's members",
    )
    wait_until(lambda: len(smtp_server) == len(told) + 1, what="every email reaching the SMTP server")
    notifications = Notification.objects.filter(recipient__memberships__isnull=False)
    assert {n.recipient for n in notifications} == told
    assert not Notification.objects.filter(recipient__in=[member.user for member in keep_out]).exists()
    by_recipient = {envelope.rcpt_tos[0]: envelope_text(envelope) for envelope in smtp_server}
    assert set(by_recipient) == {user.email for user in told} | {applicant.user.email}
    host_link = f"http://127.0.0.1:8000{reverse('hosts:application_detail', args=[application.pk])}"
    for user in told:
        text = by_recipient[user.email]
        assert f"Subject: [AMO] New application for {block.rotation.title}" in text
        assert f"Amaka Obi applied for {block}" in text
        assert host_link in text


@pytest.mark.django_db
def test_an_applicants_message_tells_the_host_once_and_a_hosts_message_tells_the_applicant_only(client):
    block, tell, keep_out = _host_with_every_kind_of_member()
    application = submitted(block=block, applicant__legal_name="Amaka Obi")
    client.force_login(application.applicant.user)

    response = client.post(
        reverse("applicants:application_detail", args=[application.pk]),
        {"form": "message", "body": "Is housing near the hospital?"},
    )

    assert response.status_code == 302
    news = Notification.objects.filter(recipient__memberships__isnull=False)
    assert {n.recipient for n in news} == {member.user for member in tell}
    for notification in news:
        assert notification.subject == f"New message from Amaka Obi about {block.rotation}"
        assert "Is housing near the hospital?" in notification.body
        assert notification.link == reverse("hosts:application_detail", args=[application.pk])

    coordinator = next(m for m in tell if m.role == Membership.Role.COORDINATOR)
    application_request_info(application=application, actor=coordinator.user, message="Yes, 5 minutes away.")
    assert Notification.objects.filter(recipient__memberships__isnull=False).count() == len(tell)
    assert Notification.objects.filter(recipient=application.applicant.user).count() == 1


@pytest.mark.django_db
def test_staff_writing_on_the_thread_is_not_reported_as_the_applicant():
    block, _, _ = _host_with_every_kind_of_member()
    application = submitted(block=block)
    staff = StaffFactory()
    application_message_post(application=application, author=staff, role=ActorRole.STAFF, body="A note.")
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_the_host_dashboard_shows_the_members_notifications_and_marks_them_read(client):
    block, tell, _ = _host_with_every_kind_of_member()
    applicant, documents = _ready_applicant(block)
    application = application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    coordinator = next(m for m in tell if m.role == Membership.Role.COORDINATOR)
    login(client, coordinator)

    page = client.get(reverse("hosts:dashboard")).content.decode()

    assert f"New application for {block.rotation.title}" in page
    assert reverse("hosts:application_detail", args=[application.pk]) in page
    response = client.post(reverse("notifications_read"), {"next": reverse("hosts:dashboard")})
    assert response.status_code == 302 and response.url == reverse("hosts:dashboard")
    assert not Notification.objects.filter(recipient=coordinator.user, read_at__isnull=True).exists()
    # Only their own: the owner's stay unread.
    owner = next(m for m in tell if m.role == Membership.Role.OWNER)
    assert Notification.objects.filter(recipient=owner.user, read_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_marking_read_never_sends_the_person_to_another_site(client):
    member = MembershipFactory()
    client.force_login(member.user)
    response = client.post(reverse("notifications_read"), {"next": "https://evil.test/"})
    assert response.url == reverse("home")
