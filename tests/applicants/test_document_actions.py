"""The vault offers Delete only on a document the service would delete: one never sent with an
application beyond draft (its host keeps what it received)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applicants.models import Application
from tests.factories import ApplicantFactory, ApplicationFactory, DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "deletable"),
    [(None, True), (Application.Status.DRAFT, True)]
    + [(status, False) for status in Application.Status.values if status != Application.Status.DRAFT],
)
def test_delete_is_offered_exactly_when_the_service_would_delete(client, status, deletable):
    applicant = ApplicantFactory()
    document = DocumentFactory(applicant=applicant)
    if status is not None:
        deadline = timezone.now() + timedelta(days=1)  # an offer carries one
        ApplicationFactory(applicant=applicant, status=status, seat=deadline).documents.add(document)
    client.force_login(applicant.user)
    page = client.get(reverse("applicants:documents")).content.decode()
    offered = f'name="delete" value="{document.pk}"' in page
    assert offered == deletable
    if not deletable:
        assert "Sent with an application, so it stays" in page

    response = client.post(reverse("applicants:documents"), {"delete": document.pk})
    assert response.status_code == 302
    assert applicant.documents.filter(pk=document.pk).exists() != deletable
