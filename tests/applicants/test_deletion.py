"""Deleting an applicant or an account takes their documents' files off the disk, after the commit.

Once an application was sent, a host keeps what it received: the deletion is refused and nothing,
row or file, goes.
"""

import pytest
from django.urls import reverse

from amo.errors import DomainError
from amo.models import User
from applicants.models import Applicant, Application, Document
from applicants.services import account_delete, applicant_delete
from tests.applicants.conftest import stored_files
from tests.factories import ApplicationFactory, DocumentFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _applicant_with_two_documents_and_a_draft():
    document = DocumentFactory()
    DocumentFactory(applicant=document.applicant)
    draft = ApplicationFactory(applicant=document.applicant, status=Application.Status.DRAFT)
    draft.documents.add(document)
    return document.applicant


def test_deleting_an_applicant_removes_their_drafts_documents_and_files_once_committed(
    private_storage, django_capture_on_commit_callbacks
):
    applicant = _applicant_with_two_documents_and_a_draft()
    assert len(stored_files(private_storage)) == 2
    with django_capture_on_commit_callbacks() as callbacks:
        applicant_delete(applicant=applicant)
        assert len(stored_files(private_storage)) == 2  # a rollback would still find them
    for callback in callbacks:
        callback()
    assert stored_files(private_storage) == []
    assert not Applicant.objects.exists() and not Document.objects.exists()
    assert not Application.objects.exists()
    assert User.objects.filter(pk=applicant.user_id).exists()


@pytest.mark.parametrize("status", [Application.Status.SUBMITTED, Application.Status.WITHDRAWN])
def test_an_applicant_who_sent_an_application_is_not_deleted_and_keeps_every_file(
    private_storage, django_capture_on_commit_callbacks, status
):
    applicant = _applicant_with_two_documents_and_a_draft()
    ApplicationFactory(applicant=applicant, status=status)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError, match="hosts keep"):
        account_delete(user=applicant.user)
    assert len(stored_files(private_storage)) == 2
    assert Document.objects.count() == 2 and Application.objects.count() == 2
    assert User.objects.filter(pk=applicant.user_id).exists()


def test_deleting_an_account_removes_the_applicants_files(
    private_storage, django_capture_on_commit_callbacks
):
    applicant = _applicant_with_two_documents_and_a_draft()
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=applicant.user)
    assert stored_files(private_storage) == []
    assert not User.objects.filter(pk=applicant.user_id).exists()


def test_staff_deleting_an_applicant_in_the_admin_removes_the_files(
    client, private_storage, django_capture_on_commit_callbacks
):
    kept, deleted = DocumentFactory(), DocumentFactory()
    client.force_login(StaffFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:applicants_applicant_delete", args=[deleted.applicant_id]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert stored_files(private_storage) == [private_storage / kept.file.name]


@pytest.mark.parametrize("how", ["delete page", "delete_selected"])
def test_staff_deleting_users_in_the_admin_removes_their_files(
    client, private_storage, django_capture_on_commit_callbacks, how
):
    documents = [DocumentFactory(), DocumentFactory()]
    client.force_login(StaffFactory())
    with django_capture_on_commit_callbacks(execute=True):
        if how == "delete page":
            for document in documents:
                url = reverse("admin:amo_user_delete", args=[document.applicant.user_id])
                assert client.post(url, {"post": "yes"}).status_code == 302
        else:
            selected = [document.applicant.user_id for document in documents]
            response = client.post(
                reverse("admin:amo_user_changelist"),
                {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
            )
            assert response.status_code == 302
    assert stored_files(private_storage) == []
    assert not Applicant.objects.exists()


def test_the_admin_refuses_to_delete_an_applicant_who_sent_an_application(client, private_storage):
    application = ApplicationFactory(status=Application.Status.SUBMITTED)
    application.documents.add(DocumentFactory(applicant=application.applicant))
    client.force_login(StaffFactory())
    url = reverse("admin:applicants_applicant_delete", args=[application.applicant_id])
    response = client.post(url, {"post": "yes"})
    assert "Cannot delete" in response.content.decode()
    assert Applicant.objects.filter(pk=application.applicant_id).exists()
    assert len(stored_files(private_storage)) == 1
