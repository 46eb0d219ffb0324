import hashlib
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.urls import reverse

from amo.errors import DomainError
from amo.models import Notification
from amo.text import day_label
from applicants.models import Application, Document
from applicants.selectors import documents_visible_to
from applicants.services import (
    MAX_DOCUMENT_BYTES,
    document_delete,
    document_expiry_window,
    document_reject,
    document_upload,
    document_verify,
)
from hosts.models import Membership
from rotations.models import DocumentKind
from tests.applicants.conftest import stored_files
from tests.factories import (
    PDF_BYTES,
    ApplicantFactory,
    ApplicationFactory,
    DocumentFactory,
    MembershipFactory,
    PreceptorFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
IN_A_YEAR = date.today() + timedelta(days=365)


def _upload(applicant, name, content, kind=DocumentKind.CV, expires_on=None, content_type="application/pdf"):
    return document_upload(
        applicant=applicant,
        kind=kind,
        uploaded_file=SimpleUploadedFile(name, content, content_type=content_type),
        expires_on=expires_on,
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("cv.pdf", PDF_BYTES, "application/pdf"),
        ("scan.png", PNG_BYTES, "image/png"),
        ("photo.jpg", JPEG_BYTES, "image/jpeg"),
    ],
)
def test_a_pdf_jpeg_or_png_is_stored_under_a_generated_name_with_its_hash(
    private_storage, name, content, content_type
):
    applicant = ApplicantFactory()
    document = _upload(applicant, name, content, content_type="application/octet-stream")

    assert document.content_type == content_type  # from the bytes, not from what the browser said
    assert document.original_filename == name
    assert document.size_bytes == len(content)
    assert document.verification_status == Document.VerificationStatus.PENDING
    assert name not in document.file.name
    assert document.file.name.startswith(f"documents/{applicant.pk}/")
    [stored] = stored_files(private_storage)
    assert stored.read_bytes() == content
    assert document.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cv.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200, "PDF, JPEG or PNG"),
        ("cv.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, "PDF, JPEG or PNG"),
        ("cv.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "PDF, JPEG or PNG"),
        ("cv.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>", "PDF, JPEG or PNG"),  # no PDF trailer
        ("cv.pdf", b"", "The file is empty."),
        ("cv.pdf", PDF_BYTES + b"\x00" * (MAX_DOCUMENT_BYTES + 1 - len(PDF_BYTES)), "larger than 10 MB"),
    ],
    ids=[
        "renamed-windows-executable",
        "renamed-elf-executable",
        "html-named-pdf",
        "pdf-header-html",
        "empty",
        "10mb-plus-1",
    ],
)
def test_a_file_that_is_not_an_acceptable_document_is_refused_and_nothing_is_stored(
    private_storage, name, content, message
):
    applicant = ApplicantFactory()
    with pytest.raises(DomainError) as error:
        _upload(applicant, name, content)

    assert message in error.value.message
    assert stored_files(private_storage) == []
    assert not Document.objects.exists()


def test_exactly_10_mb_is_accepted(private_storage):
    content = PDF_BYTES[:-6] + b"\x00" * (MAX_DOCUMENT_BYTES - len(PDF_BYTES)) + b"%%EOF\n"
    assert len(content) == MAX_DOCUMENT_BYTES
    document = _upload(ApplicantFactory(), "big.pdf", content)
    assert document.size_bytes == MAX_DOCUMENT_BYTES


@pytest.mark.parametrize("kind", ["tb_test", "immunization_record", "health_insurance", "bls_certificate"])
def test_a_kind_that_expires_needs_a_future_expiry_date(private_storage, kind):
    applicant = ApplicantFactory()
    with pytest.raises(DomainError, match="expiry date"):
        _upload(applicant, "tb.pdf", PDF_BYTES, kind=kind)
    with pytest.raises(DomainError, match="already expired"):
        _upload(applicant, "tb.pdf", PDF_BYTES, kind=kind, expires_on=date.today())
    assert stored_files(private_storage) == []

    document = _upload(applicant, "tb.pdf", PDF_BYTES, kind=kind, expires_on=IN_A_YEAR)
    assert document.expires_on == IN_A_YEAR


def test_a_failing_database_write_leaves_no_file_behind(private_storage):
    applicant = ApplicantFactory()
    with connection.cursor() as cursor:
        # The insert fails after the file is written (the test's transaction drops the constraint).
        cursor.execute("ALTER TABLE applicants_document ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
    with pytest.raises(IntegrityError):
        _upload(applicant, "cv.pdf", PDF_BYTES)
    assert stored_files(private_storage) == []


def test_uploading_through_the_page_shows_the_refusal_and_stores_nothing(client, private_storage):
    applicant = ApplicantFactory()
    client.force_login(applicant.user)
    response = client.post(
        reverse("applicants:documents"),
        {
            "kind": "cv",
            "file": SimpleUploadedFile("cv.pdf", b"<html>hi</html>", content_type="application/pdf"),
        },
    )
    assert response.status_code == 400
    assert "PDF, JPEG or PNG" in response.content.decode()
    assert stored_files(private_storage) == []

    response = client.post(
        reverse("applicants:documents"),
        {"kind": "cv", "file": SimpleUploadedFile("cv.pdf", PDF_BYTES, content_type="application/pdf")},
    )
    assert response.status_code == 302
    assert Document.objects.get(applicant=applicant).original_filename == "cv.pdf"


# --- Who may open a document --------------------------------------------------------------------


def _sent_document():
    """A document the applicant sent with a submitted application, and that application."""
    document = DocumentFactory()
    application = ApplicationFactory(applicant=document.applicant, status=Application.Status.SUBMITTED)
    application.documents.add(document)
    return document, application


def test_the_owner_gets_the_file_with_its_stored_type_and_nosniff(client):
    document = DocumentFactory(original_filename="my cv.pdf")
    client.force_login(document.applicant.user)
    response = client.get(reverse("applicants:document_file", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'filename="my cv.pdf"' in response["Content-Disposition"]


@pytest.mark.parametrize(
    "who",
    [
        "anonymous",
        "another applicant",
        "host without an application",
        "member of another organization",
        "preceptor of another rotation of the organization",
    ],
)
def test_others_get_404_on_a_document(client, who):
    document, application = _sent_document()
    if who == "another applicant":
        client.force_login(ApplicantFactory().user)
    elif who == "host without an application":
        client.force_login(MembershipFactory(role=Membership.Role.OWNER).user)
    elif who == "member of another organization":
        other = ApplicationFactory(status=Application.Status.SUBMITTED)  # applied elsewhere by someone else
        client.force_login(MembershipFactory(organization=other.block.rotation.organization).user)
    elif who == "preceptor of another rotation of the organization":
        organization = application.block.rotation.organization
        client.force_login(_preceptor_member(PreceptorFactory(organization=organization)).user)

    response = client.get(reverse("applicants:document_file", args=[document.pk]))

    assert response.status_code == 404


def test_a_missing_document_is_the_same_404(client):
    client.force_login(ApplicantFactory().user)
    assert client.get(reverse("applicants:document_file", args=[999_999])).status_code == 404


def test_a_host_member_sees_documents_sent_to_their_organization_and_staff_see_all(client):
    document, application = _sent_document()
    member = MembershipFactory(organization=application.block.rotation.organization).user
    unsent = DocumentFactory(applicant=document.applicant)

    assert list(documents_visible_to(member)) == [document]
    client.force_login(member)
    assert client.get(reverse("applicants:document_file", args=[document.pk])).status_code == 200
    assert client.get(reverse("applicants:document_file", args=[unsent.pk])).status_code == 404

    client.force_login(StaffFactory())
    assert client.get(reverse("applicants:document_file", args=[unsent.pk])).status_code == 200


def _preceptor_member(preceptor) -> Membership:
    return MembershipFactory(
        organization=preceptor.organization, role=Membership.Role.PRECEPTOR, preceptor=preceptor
    )


def test_the_preceptor_of_the_applied_rotation_sees_the_documents_sent_to_it(client):
    document, application = _sent_document()
    client.force_login(_preceptor_member(application.block.rotation.preceptor).user)
    assert client.get(reverse("applicants:document_file", args=[document.pk])).status_code == 200


def test_a_host_does_not_see_documents_of_a_draft(client):
    document = DocumentFactory()
    draft = ApplicationFactory(applicant=document.applicant)
    draft.documents.add(document)
    client.force_login(MembershipFactory(organization=draft.block.rotation.organization).user)
    assert client.get(reverse("applicants:document_file", args=[document.pk])).status_code == 404


# --- Deleting, verifying ------------------------------------------------------------------------


def test_a_document_sent_with_an_application_cannot_be_deleted(private_storage):
    document, _ = _sent_document()
    with pytest.raises(DomainError, match="stays in your vault"):
        document_delete(document=document, actor=document.applicant.user)
    assert Document.objects.filter(pk=document.pk).exists()
    assert len(stored_files(private_storage)) == 1


def test_deleting_an_unsent_document_removes_the_row_and_the_file(
    private_storage, django_capture_on_commit_callbacks
):
    document = DocumentFactory()
    draft = ApplicationFactory(applicant=document.applicant)
    draft.documents.add(document)
    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document, actor=document.applicant.user)
    assert not Document.objects.exists()
    assert stored_files(private_storage) == []
    assert list(draft.documents.all()) == []


@pytest.mark.parametrize("target", ["another applicant's document", "not a number"])
def test_the_delete_button_answers_404_for_a_document_that_is_not_yours(client, target):
    document = DocumentFactory()
    client.force_login(ApplicantFactory().user)
    pk = document.pk if target == "another applicant's document" else "1 or 1=1"
    response = client.post(reverse("applicants:documents"), {"delete": pk})
    assert response.status_code == 404
    assert Document.objects.filter(pk=document.pk).exists()


def test_only_the_owner_deletes_a_document():
    document = DocumentFactory()
    with pytest.raises(DomainError):
        document_delete(document=document, actor=ApplicantFactory().user)
    assert Document.objects.filter(pk=document.pk).exists()


def test_staff_verify_and_reject_with_a_reason_and_the_applicant_is_told():
    staff = UserFactory(is_staff=True)
    document = DocumentFactory(verification_status=Document.VerificationStatus.PENDING)

    with pytest.raises(DomainError, match="why"):
        document_reject(document=document, actor=staff, reason="  ")
    document = document_reject(document=document, actor=staff, reason="The scan is unreadable.")
    assert (document.verification_status, document.rejection_reason) == (
        "rejected",
        "The scan is unreadable.",
    )

    document = document_verify(document=document, actor=staff)
    assert (document.verification_status, document.rejection_reason, document.verified_by) == (
        "verified",
        "",
        staff,
    )
    subjects = list(
        Notification.objects.filter(recipient=document.applicant.user).values_list("subject", flat=True)
    )
    assert subjects == ["Your CV was verified", "Your CV was not accepted"]


def test_a_verification_after_a_rejection_is_news_but_verifying_twice_is_not():
    staff = UserFactory(is_staff=True)
    document = DocumentFactory(verification_status=Document.VerificationStatus.PENDING)
    document_verify(document=document, actor=staff)
    document_reject(document=document, actor=staff, reason="Wrong person on the passport.")
    document_verify(document=document, actor=staff)
    document_verify(document=document, actor=staff)

    subjects = list(
        Notification.objects.filter(recipient=document.applicant.user).values_list("subject", flat=True)
    )
    assert subjects == ["Your CV was verified", "Your CV was not accepted", "Your CV was verified"]


def test_an_applicant_cannot_verify_a_document():
    document = DocumentFactory(verification_status=Document.VerificationStatus.PENDING)
    with pytest.raises(DomainError):
        document_verify(document=document, actor=document.applicant.user)
    document.refresh_from_db()
    assert document.verification_status == "pending"


def test_staff_verify_documents_through_the_admin_action(client):
    staff = StaffFactory()
    document = DocumentFactory(verification_status=Document.VerificationStatus.PENDING)
    client.force_login(staff)
    url = reverse("admin:applicants_document_changelist")
    response = client.post(url, {"action": "verify", "_selected_action": [document.pk]})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.verification_status == "verified"

    response = client.post(url, {"action": "reject", "_selected_action": [document.pk]})
    assert response.status_code == 200  # asks for the reason first
    client.post(url, {"action": "reject", "_selected_action": [document.pk], "reason": "Expired passport."})
    document.refresh_from_db()
    assert (document.verification_status, document.rejection_reason) == ("rejected", "Expired passport.")


def test_the_admin_document_page_links_the_file_only_through_the_permission_checked_view(client):
    document = DocumentFactory()
    client.force_login(StaffFactory())
    html = client.get(reverse("admin:applicants_document_change", args=[document.pk])).content.decode()
    assert f'href="{reverse("applicants:document_file", args=[document.pk])}"' in html
    # The stored name (documents/<applicant>/<random>) is no URL and must not be offered as one.
    assert document.file.name not in html


def test_staff_cannot_delete_a_document_sent_to_a_host_from_the_admin(client, private_storage):
    document, _ = _sent_document()
    client.force_login(StaffFactory())
    url = reverse("admin:applicants_document_changelist")
    client.post(url, {"action": "delete_selected", "_selected_action": [document.pk], "post": "yes"})
    assert (
        client.post(
            reverse("admin:applicants_document_delete", args=[document.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Document.objects.filter(pk=document.pk).exists()
    assert len(stored_files(private_storage)) == 1


def test_staff_see_an_applicant_with_their_documents_in_the_admin(client):
    document = DocumentFactory(original_filename="passport-scan.pdf")
    client.force_login(StaffFactory())
    url = reverse("admin:applicants_applicant_change", args=[document.applicant.pk])
    assert "passport-scan.pdf" in client.get(url).content.decode()


@pytest.mark.parametrize("kind", [DocumentKind.TB_TEST, DocumentKind.CV])
@pytest.mark.parametrize("years_ahead", [21, 7973])  # 9999-12-31 and one year past the bound
def test_an_expiry_date_past_twenty_years_is_refused_alike_on_the_page_and_the_api(
    client, private_storage, kind, years_ahead
):
    applicant = ApplicantFactory()
    client.force_login(applicant.user)
    today = date.today()
    too_late = min(date(9999, 12, 31), today.replace(year=min(9999, today.year + years_ahead), day=1))
    last = document_expiry_window(today)[1]
    expected = f"Enter an expiry date by {day_label(last)} at the latest; check the year."

    page = client.post(
        reverse("applicants:documents"),
        {"kind": kind, "expires_on": too_late.isoformat(), "file": SimpleUploadedFile("a.pdf", PDF_BYTES)},
    )
    api = client.post(
        "/api/v1/me/documents/",
        {"kind": kind, "expires_on": too_late.isoformat(), "file": SimpleUploadedFile("a.pdf", PDF_BYTES)},
    )

    assert page.status_code == 400 and expected in page.content.decode()
    assert api.status_code == 400 and api.json()["extra"]["fields"]["expires_on"] == [expected]
    assert not Document.objects.exists() and stored_files(private_storage) == []
    # The last day of the window is still accepted.
    assert _upload(applicant, "a.pdf", PDF_BYTES, kind=kind, expires_on=last).expires_on == last
