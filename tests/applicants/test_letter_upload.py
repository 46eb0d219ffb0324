"""Uploading a letter through the author's page: each file the ERAS portal would refuse is refused
with its own words and nothing is stored; a valid letter is kept under a name the portal takes; a
second upload is version 2 and version 1 stays; the database refuses to change or delete a version."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import InternalError, transaction
from django.urls import reverse

from applicants import services
from applicants.letter_links import letter_author_token
from applicants.lor_workflow import ActorRole
from applicants.models import LetterFileAccess, LetterRequest, LetterVersion
from tests.applicants.conftest import stored_files
from tests.factories import letter_request
from tests.pdfs import (
    a4_pdf_bytes,
    encrypted_pdf_bytes,
    html_named_pdf_bytes,
    letter_pdf_bytes,
    oversized_pdf_bytes,
)

pytestmark = pytest.mark.django_db

S = LetterRequest.Status


@pytest.fixture
def accepted(private_storage):
    letter = letter_request()
    services.letter_accept(letter=letter, actor=None, role=ActorRole.AUTHOR_LINK)
    return letter, letter_author_token(letter)


def post_upload(client, token: str, data: bytes, name: str):
    return client.post(
        reverse("applicants:letter_author_upload", kwargs={"token": token}),
        {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )


@pytest.mark.parametrize(
    ("data", "name", "code", "words"),
    [
        (encrypted_pdf_bytes, "letter.pdf", "encrypted", "encrypted or protected by a password"),
        (oversized_pdf_bytes, "letter.pdf", "too_large", "the ERAS portal accepts at most 1 MB"),
        (a4_pdf_bytes, "letter.pdf", "not_us_letter", "A4"),
        (html_named_pdf_bytes, "letter.pdf", "not_pdf", "This file is not a PDF: it looks like an HTML page"),
        (
            letter_pdf_bytes,
            "Smith: letter.pdf",
            "forbidden_characters",
            "refuses names with any of | * ? or :",
        ),
    ],
)
def test_a_letter_the_eras_portal_would_refuse_is_refused_with_its_own_words_and_nothing_is_kept(
    client, accepted, private_storage, data, name, code, words
):
    letter, token = accepted
    files_before = stored_files(private_storage)
    response = post_upload(client, token, data(), name)
    assert response.status_code == 400
    text = response.content.decode()
    assert f'data-code="{code}"' in text
    assert words in text
    assert not LetterVersion.objects.exists()
    assert stored_files(private_storage) == files_before
    assert LetterRequest.objects.get(pk=letter.pk).status == S.ACCEPTED
    if code == "forbidden_characters":
        assert 'id="suggested-name">Smith-letter.pdf<' in text


def test_a_valid_letter_is_kept_as_version_1_and_a_second_upload_is_version_2_with_1_still_there(
    client, accepted, private_storage
):
    letter, token = accepted
    response = post_upload(client, token, letter_pdf_bytes(), "Smith letter.pdf")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "passed the ERAS portal&#x27;s format check and is kept as version 1" in page
    assert LetterRequest.objects.get(pk=letter.pk).status == S.UPLOADED
    assert post_upload(client, token, letter_pdf_bytes(pages=2), "Smith letter v2.pdf").status_code == 302
    versions = list(LetterVersion.objects.filter(letter_request=letter).order_by("number"))
    assert [(v.number, v.filename, v.page_count) for v in versions] == [
        (1, "Smith letter.pdf", 1),
        (2, "Smith letter v2.pdf", 2),
    ]
    assert len(stored_files(private_storage)) == 3  # the request form and both versions
    download = client.get(reverse("applicants:letter_author_version", kwargs={"token": token, "number": 1}))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert LetterFileAccess.objects.get().via == "author_link"


def test_the_database_refuses_to_change_or_delete_a_version(accepted):
    letter, _ = accepted
    version = services.letter_upload(
        letter=letter,
        actor=None,
        role=ActorRole.AUTHOR_LINK,
        file=SimpleUploadedFile("letter.pdf", letter_pdf_bytes(), "application/pdf"),
    )
    for write in (
        lambda: LetterVersion.objects.filter(pk=version.pk).update(filename="other.pdf"),
        lambda: LetterVersion.objects.filter(pk=version.pk).delete(),
    ):
        with pytest.raises(InternalError, match="kept for good"), transaction.atomic():
            write()
    assert LetterVersion.objects.get(pk=version.pk).filename == "letter.pdf"
