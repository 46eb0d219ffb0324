from datetime import date, timedelta

import pytest
from django.urls import reverse

from amo.services import notification_send
from applicants.models import Application
from applicants.services import application_withdraw
from rotations.models import Block
from tests.factories import ApplicantFactory, ApplicationFactory, DocumentFactory

pytestmark = pytest.mark.django_db
S = Application.Status


def test_the_dashboard_shows_applications_with_next_step_and_timeline(client):
    application = ApplicationFactory(status=S.SUBMITTED)
    applicant = application.applicant
    application_withdraw(application=application, actor=applicant.user, reason="Dates clash")
    ApplicationFactory(applicant=applicant, status=S.OFFERED)
    client.force_login(applicant.user)

    html = client.get(reverse("applicants:dashboard")).content.decode()

    assert "You withdrew this application." in html
    assert "You have an offer: accept or decline it before the deadline." in html
    assert "Dates clash" in html  # the reason on the timeline


def test_the_dashboard_warns_about_documents_expiring_soon_or_expired(client):
    applicant = ApplicantFactory()
    DocumentFactory(applicant=applicant, kind="tb_test", expires_on=date.today() + timedelta(days=10))
    DocumentFactory(applicant=applicant, kind="bls_certificate", expires_on=date.today() - timedelta(days=1))
    client.force_login(applicant.user)
    html = client.get(reverse("applicants:dashboard")).content.decode()
    assert "Expires soon" in html and "Expired" in html


def test_the_dashboard_lists_the_applicants_notifications(client):
    applicant = ApplicantFactory()
    notification_send(recipient=applicant.user, key="t:1", subject="Your CV was verified", body="Good news.")
    client.force_login(applicant.user)
    assert "Your CV was verified" in client.get(reverse("applicants:dashboard")).content.decode()


def test_the_dashboard_costs_the_same_queries_for_many_applications(client, django_assert_max_num_queries):
    applicant = ApplicantFactory()
    client.force_login(applicant.user)

    def add_rows(n):
        for _ in range(n):
            application = ApplicationFactory(applicant=applicant, status=S.SUBMITTED)
            application.documents.add(DocumentFactory(applicant=applicant))
            application_withdraw(application=application, actor=applicant.user)

    add_rows(1)
    with django_assert_max_num_queries(20) as few:
        assert client.get(reverse("applicants:dashboard")).status_code == 200
    add_rows(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("applicants:dashboard")).status_code == 200


def test_the_vault_page_costs_the_same_queries_for_many_documents(client, django_assert_max_num_queries):
    applicant = ApplicantFactory()
    client.force_login(applicant.user)
    DocumentFactory(applicant=applicant)
    with django_assert_max_num_queries(20) as few:
        assert client.get(reverse("applicants:documents")).status_code == 200
    for kind in ["passport", "tb_test", "bls_certificate", "cv", "diploma_or_enrollment"]:
        DocumentFactory(applicant=applicant, kind=kind, expires_on=date.today() + timedelta(days=20))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("applicants:documents"))
    assert response.content.decode().count("Expires soon") == 5


def test_a_draft_whose_block_closed_is_not_offered_to_continue(client):
    draft = ApplicationFactory(block__apply_by=date.today() + timedelta(days=1))
    open_draft = ApplicationFactory(applicant=draft.applicant)
    client.force_login(draft.applicant.user)
    assert client.get(reverse("applicants:dashboard")).content.decode().count("Continue application") == 2

    Block.objects.filter(pk=draft.block_id).update(apply_by=date.today() - timedelta(days=1))

    html = client.get(reverse("applicants:dashboard")).content.decode()
    assert html.count("Continue application") == 1
    assert reverse("applicants:apply", args=[open_draft.block_id]) in html
    assert "This draft can no longer be submitted: Applications closed on" in html
    detail = client.get(reverse("applicants:application_detail", args=[draft.pk])).content.decode()
    assert "Continue application" not in detail
