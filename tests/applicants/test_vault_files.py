"""Vault files carry the extension of the type their bytes proved, download safely, and fit a quota."""

import threading
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from rest_framework.test import APIClient

from amo.errors import DomainError
from applicants.files import attachment_disposition, document_filename
from applicants.models import Applicant, Application, Document
from applicants.services import document_upload
from applicants.services import documents as document_services
from hosts.models import Membership
from tests.applicants.conftest import stored_files
from tests.applicants.test_documents import JPEG_BYTES, PNG_BYTES
from tests.factories import (
    PDF_BYTES,
    ApplicantFactory,
    ApplicationFactory,
    DocumentFactory,
    MembershipFactory,
)
from tests.hosts.conftest import login
from tests.waiting import a_query_waits_for_a_lock, wait_until

pytestmark = pytest.mark.django_db
MIGRATION_NAME = "0004_waitlist_and_vault_quota"
# A name an attacker or an unlucky scanner might send: quotes, a header break, non-ASCII letters.
HOSTILE_NAME = 'Dr "House"\r\nX-Evil: 1; résumé 履歴書.pdf'


def _upload(applicant, name, content=PDF_BYTES):
    return document_upload(
        applicant=applicant,
        kind="cv",
        uploaded_file=SimpleUploadedFile(name, content, content_type="text/html"),
        expires_on=None,
    )


def _filename_in(disposition: str) -> str:
    """The exact name a browser reads from the header: filename* (RFC 8187), which wins over filename."""
    return unquote(disposition.split("filename*=UTF-8''", 1)[1], errors="strict")


# --- Names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "stored"),
    [
        ("poly.html", PDF_BYTES, "poly.pdf"),
        ("poly.pdf.html", PDF_BYTES, "poly.pdf.pdf"),
        ("scan.pdf", PNG_BYTES, "scan.png"),
        ("photo.png", JPEG_BYTES, "photo.jpg"),
        ("photo.JPEG", JPEG_BYTES, "photo.JPEG"),
        ("cv.PDF", PDF_BYTES, "cv.PDF"),
        ("no extension", PDF_BYTES, "no extension.pdf"),
        ("Dr. Smith CV", PDF_BYTES, "Dr. Smith CV.pdf"),
        (".html", PDF_BYTES, "document.pdf"),
        (HOSTILE_NAME, PDF_BYTES, 'Dr "House" X-Evil: 1; résumé 履歴書.pdf'),
        ("x" * 300 + ".html", PDF_BYTES, "x" * 250 + ".pdf"),  # Django keeps 255 of the name
    ],
)
def test_a_file_is_stored_under_the_extension_of_its_proven_type(private_storage, name, content, stored):
    document = _upload(ApplicantFactory(), name, content)
    assert document.original_filename == stored
    extension = document_filename("", document.content_type)[len("document") :]
    assert document.file.name.endswith(extension)  # the file on disk too
    [path] = stored_files(private_storage)
    assert path.read_bytes() == content


def test_a_name_is_never_empty_has_no_path_separator_and_stays_within_255_characters():
    assert document_filename("", "application/pdf") == "document.pdf"
    assert document_filename(" ..pdf", "application/pdf") == "document.pdf"
    assert document_filename("..\\..\\secret/x.html", "application/pdf") == "secret x.pdf"
    assert document_filename("x" * 300 + ".html", "application/pdf") == "x" * 251 + ".pdf"


def test_the_database_refuses_a_name_that_disagrees_with_the_type():
    with pytest.raises(IntegrityError):
        DocumentFactory(original_filename="poly.html", content_type="application/pdf")


# --- Downloads ------------------------------------------------------------------------------------


def _download(client, url):
    response = client.get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    return response


def test_the_owner_downloads_poly_html_as_poly_pdf_typed_by_its_bytes(client, private_storage):
    applicant = ApplicantFactory()
    document = _upload(applicant, "poly.html")
    client.force_login(applicant.user)

    response = _download(client, reverse("applicants:document_file", args=[document.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename=\"poly.pdf\"; filename*=UTF-8''poly.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_hostile_name_downloads_as_one_safe_header_with_the_exact_name(client, private_storage):
    applicant = ApplicantFactory()
    document = _upload(applicant, HOSTILE_NAME)
    client.force_login(applicant.user)

    disposition = _download(client, reverse("applicants:document_file", args=[document.pk]))[
        "Content-Disposition"
    ]

    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.isascii()
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == "Dr _House_ X-Evil: 1; resume .pdf"  # printable ASCII, no quote to end it early
    assert (
        _filename_in(disposition) == document.original_filename == 'Dr "House" X-Evil: 1; résumé 履歴書.pdf'
    )


@pytest.mark.parametrize(
    ("name", "content_type", "fallback"),
    [
        ("履歴書.pdf", "application/pdf", "document.pdf"),
        ("back\\slash.pdf", "application/pdf", "back slash.pdf"),
        ('"quoted".png', "image/png", "_quoted_.png"),
    ],
)
def test_every_name_gets_a_printable_ascii_fallback_and_the_exact_name(name, content_type, fallback):
    stored = document_filename(name, content_type)
    disposition = attachment_disposition(stored)
    assert disposition.startswith(f"attachment; filename=\"{fallback}\"; filename*=UTF-8''")
    assert _filename_in(disposition) == stored


def test_the_host_downloads_the_same_safe_attachment(client, private_storage):
    applicant = ApplicantFactory()
    document = _upload(applicant, "poly.html")
    application = ApplicationFactory(applicant=applicant, status=Application.Status.SUBMITTED)
    application.documents.add(document)
    member = MembershipFactory(
        organization=application.block.rotation.organization, role=Membership.Role.COORDINATOR
    )
    login(client, member)

    response = _download(client, reverse("hosts:application_document", args=[application.pk, document.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename=\"poly.pdf\"; filename*=UTF-8''poly.pdf"


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_rows_by_their_type_and_places_the_waitlisted_in_line():
    """Rows from before 0004 (a PDF named poly.html, waitlisted applications without a time) are
    put right by the migration itself, before its constraints are added."""
    document = DocumentFactory()
    logged = ApplicationFactory(status=Application.Status.SUBMITTED)
    record = logged.transitions.create(from_status="submitted", to_status="waitlisted", actor_role="host")
    unlogged = ApplicationFactory(status=Application.Status.SUBMITTED)
    before, after = ("applicants", "0003_waive_fees_of_ended_applications"), ("applicants", MIGRATION_NAME)
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = executor.loader.project_state(before).apps
        old.get_model("applicants", "Document").objects.filter(pk=document.pk).update(
            original_filename="poly\n.html"
        )
        old.get_model("applicants", "Application").objects.filter(pk__in=[logged.pk, unlogged.pk]).update(
            status="waitlisted"
        )
    finally:
        # A fresh graph, then all the way forward: through `after`, and to today's models the
        # assertions (and the later tests) read with.
        executor = MigrationExecutor(connection)
        executor.migrate([after])
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    document.refresh_from_db()
    logged.refresh_from_db()
    unlogged.refresh_from_db()
    assert document.original_filename == "poly.pdf"
    assert logged.waitlisted_at == record.created_at
    assert unlogged.waitlisted_at == unlogged.updated_at


# --- Quota ----------------------------------------------------------------------------------------


@pytest.fixture
def small_vault(settings):
    """A vault of 2 files and 3 PDFs' worth of bytes, to reach its limits quickly."""
    settings.DOCUMENT_VAULT_MAX_FILES = 2
    settings.DOCUMENT_VAULT_MAX_BYTES = 3 * len(PDF_BYTES)
    return settings


def test_the_vault_takes_files_up_to_its_file_limit_and_refuses_one_more(private_storage, small_vault):
    applicant = ApplicantFactory()
    _upload(applicant, "one.pdf")
    _upload(applicant, "two.pdf")  # exactly at the limit
    with pytest.raises(DomainError) as refused:
        _upload(applicant, "three.pdf")
    assert refused.value.message == (
        "Your vault already holds 2 files, the most it can hold. "
        "Delete a document you no longer need, then upload this one."
    )
    assert refused.value.status == 400 and "file" in refused.value.extra["fields"]
    assert Document.objects.filter(applicant=applicant).count() == 2
    assert len(stored_files(private_storage)) == 2


@pytest.mark.parametrize(("room", "fits"), [(0, True), (-1, False)], ids=["exactly-full", "one-byte-over"])
def test_the_vault_takes_bytes_up_to_its_byte_limit(private_storage, settings, room, fits):
    settings.DOCUMENT_VAULT_MAX_BYTES = 2 * len(PDF_BYTES) + room
    applicant = ApplicantFactory()
    _upload(applicant, "one.pdf")
    if fits:
        _upload(applicant, "two.pdf")
        assert Document.objects.filter(applicant=applicant).count() == 2
        return
    with pytest.raises(DomainError) as refused:
        _upload(applicant, "two.pdf")
    assert refused.value.message.startswith(f"This file ({len(PDF_BYTES)}\xa0bytes) does not fit")
    assert Document.objects.filter(applicant=applicant).count() == 1
    assert len(stored_files(private_storage)) == 1


def test_another_applicants_files_do_not_count(private_storage, small_vault):
    _upload(ApplicantFactory(), "one.pdf")
    _upload(ApplicantFactory(), "one.pdf")
    applicant = ApplicantFactory()
    _upload(applicant, "one.pdf")
    _upload(applicant, "two.pdf")  # 4 files and 4 PDFs' worth stored: over both limits, were they shared
    assert Document.objects.filter(applicant=applicant).count() == 2
    assert len(stored_files(private_storage)) == 4
    with pytest.raises(DomainError, match="Your vault already holds 2 files"):
        _upload(applicant, "three.pdf")  # the applicant's own files do count


def test_the_page_shows_the_usage_and_explains_a_refusal(client, private_storage, small_vault):
    applicant = ApplicantFactory()
    _upload(applicant, "one.pdf")
    _upload(applicant, "two.pdf")
    client.force_login(applicant.user)
    url = reverse("applicants:documents")
    assert "Your vault holds 2 of 2 files" in client.get(url).content.decode()

    response = client.post(url, {"kind": "cv", "file": SimpleUploadedFile("three.pdf", PDF_BYTES)})

    assert response.status_code == 400
    assert "Your vault already holds 2 files, the most it can hold." in response.content.decode()
    assert len(stored_files(private_storage)) == 2


def test_the_api_refuses_an_upload_over_the_quota_with_400(private_storage, small_vault):
    applicant = ApplicantFactory()
    _upload(applicant, "one.pdf")
    _upload(applicant, "two.pdf")
    api = APIClient()
    api.force_authenticate(applicant.user)

    response = api.post(
        reverse("applicants_api:documents"),
        {"kind": "cv", "file": SimpleUploadedFile("three.pdf", PDF_BYTES)},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith("Your vault already holds 2 files")
    assert response.json()["extra"]["quota"]["max_files"] == 2
    assert len(stored_files(private_storage)) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("locked", [True, False], ids=["under-the-applicant-lock", "control-without-it"])
def test_two_parallel_uploads_cannot_pass_the_quota_together(
    monkeypatch, private_storage, small_vault, locked
):
    """One file of room left: an upload holds its transaction open while a second one arrives.

    Under the applicant's row lock the second waits, then counts the first and is refused; the control
    counts without the lock and both get in, three files in a two-file vault.
    """
    applicant = ApplicantFactory()
    _upload(applicant, "one.pdf")
    if not locked:
        monkeypatch.setattr(document_services, "_locked_applicant", lambda pk: Applicant.objects.get(pk=pk))
    stored, commit = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                _upload(applicant, "two.pdf")
                stored.set()
                commit.wait(timeout=20)
        finally:
            stored.set()
            connection.close()

    def second():
        try:
            _upload(applicant, "three.pdf")
            outcome["second"] = "stored"
        except DomainError as error:
            outcome["second"] = error.message
        finally:
            connection.close()

    uploading = threading.Thread(target=first)
    uploading.start()
    stored.wait(timeout=20)
    racing = threading.Thread(target=second)
    racing.start()
    wait_until(lambda: not racing.is_alive() or a_query_waits_for_a_lock(), what="the second upload")
    commit.set()
    uploading.join(timeout=20)
    racing.join(timeout=20)

    files = Document.objects.filter(applicant=applicant).count()
    if locked:
        assert outcome["second"].startswith("Your vault already holds 2 files")
        assert files == len(stored_files(private_storage)) == 2
    else:
        assert outcome["second"] == "stored"
        assert files == len(stored_files(private_storage)) == 3
