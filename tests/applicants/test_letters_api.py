"""The applicant's letters API: requesting a letter with its Letter Request Form (multipart), the
list with status and dates and never anything of a waived letter's file, withdrawing, and the
download of a letter not waived."""

from datetime import date, timedelta

import pytest

from applicants.models import Application, LetterRequest
from tests.applicants.letters import (
    another_booking,
    booking_with_author,
    letter_id,
    letter_requested,
    letter_uploaded,
    pdf_text,
)
from tests.factories import request_form_upload
from tests.pdfs import html_named_pdf_bytes

pytestmark = pytest.mark.django_db
S = LetterRequest.Status
# What would say anything of a letter's file: none of these keys is in a waived letter's answer.
FILE_KEYS = {"download_url", "file", "file_url", "filename", "size_bytes", "sha256", "versions", "page_count"}


@pytest.fixture
def booking(client):
    booking = booking_with_author()
    client.force_login(booking.applicant_user)
    return booking


def request_body(**overrides) -> dict:
    return {
        "author_title": "Professor of Medicine",
        "eras_letter_id": letter_id(),
        "due_on": (date.today() + timedelta(days=30)).isoformat(),
        "request_form": request_form_upload(),
        **overrides,
    }


def post_request(client, booking, **overrides):
    return client.post(f"/api/v1/applications/{booking.application.pk}/letters/", request_body(**overrides))


def test_requesting_a_letter_through_the_api_defaults_to_the_rotations_preceptor_and_a_waiver(
    client, booking
):
    response = post_request(client, booking)
    assert response.status_code == 201, response.json()
    body = response.json()
    preceptor = booking.application.block.rotation.preceptor
    assert (body["preceptor"], body["author_name"], body["author_email"]) == (
        preceptor.pk,
        preceptor.full_name,
        booking.author.user.email,
    )
    assert (body["status"], body["waived"], body["status_label"]) == ("requested", True, "Requested")
    assert not FILE_KEYS & set(body)
    assert LetterRequest.objects.get().application == booking.application


def test_keeping_the_right_is_said_and_recorded(client, booking):
    response = post_request(client, booking, waived="false")
    assert response.status_code == 201
    assert response.json()["waived"] is False
    assert LetterRequest.objects.get().waiver_wording.startswith("I keep my right")


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"eras_letter_id": "A"}, 400, "eras_letter_id"),
        ({"request_form": request_form_upload(html_named_pdf_bytes(), "lrf.pdf")}, 400, "request_form"),
        ({"due_on": date.today().isoformat()}, 400, "due_on"),
    ],
    ids=["bad-letter-id", "lrf-not-a-pdf", "due-today"],
)
def test_a_request_with_bad_input_is_refused_naming_the_input(client, booking, overrides, status, field):
    response = post_request(client, booking, **overrides)
    assert response.status_code == status
    assert list(response.json()["extra"]["fields"]) == [field]
    assert not LetterRequest.objects.exists()


def test_a_letter_id_in_use_and_a_second_open_request_to_the_author_are_conflicts(client, booking):
    taken = letter_requested(booking_with_author())
    in_use = post_request(client, booking, eras_letter_id=taken.eras_letter_id)
    assert in_use.status_code == 409
    assert in_use.json()["message"] == "This ERAS Letter ID is already used by another letter request."
    assert post_request(client, booking).status_code == 201
    second = post_request(client, booking)
    assert second.status_code == 409
    assert second.json()["message"] == "You already have an open request to this author for this rotation."
    assert LetterRequest.objects.filter(application=booking.application).count() == 1


def test_too_early_in_the_rotation_is_refused_with_the_day_it_opens(client):
    booking = booking_with_author(status=Application.Status.IN_PROGRESS, block__start_date=date.today())
    client.force_login(booking.applicant_user)
    response = post_request(client, booking)
    assert response.status_code == 409
    assert "third week" in response.json()["message"]
    assert not LetterRequest.objects.exists()


def test_another_applicants_booking_is_404(client, booking):
    other = booking_with_author()
    assert post_request(client, other).status_code == 404
    assert not LetterRequest.objects.exists()


def test_the_list_shows_a_waived_letters_status_and_dates_and_nothing_of_its_file(client, booking):
    letter = letter_requested(booking, waived=True)
    versions = letter_uploaded(booking, letter, texts=["Waived one", "Waived two"])
    response = client.get("/api/v1/me/letters/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["id"], row["status"], row["waived"]) == (letter.pk, "uploaded", True)
    assert row["received_at"] and row["accepted_at"] and row["requested_at"]
    assert not FILE_KEYS & set(row)
    text = response.content.decode()
    for version in versions:
        assert version.filename not in text and version.sha256 not in text
    assert client.get(f"/api/v1/me/letters/{letter.pk}/file/").status_code == 404


def test_a_letter_not_waived_carries_its_download_which_serves_the_newest_version(client, booking):
    letter = letter_requested(booking, waived=False)
    assert "download_url" not in client.get("/api/v1/me/letters/").json()["results"][0]  # none received yet
    letter_uploaded(booking, letter, texts=["Draft", "Final words"])
    [row] = client.get("/api/v1/me/letters/").json()["results"]
    assert row["download_url"] == f"/api/v1/me/letters/{letter.pk}/file/"
    response = client.get(row["download_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Final words" in pdf_text(b"".join(response.streaming_content))


def test_withdrawing_through_the_api_ends_the_request_once(client, booking):
    letter = letter_requested(booking)
    response = client.post(f"/api/v1/me/letters/{letter.pk}/withdraw/")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn" and response.json()["withdrawn_at"]
    again = client.post(f"/api/v1/me/letters/{letter.pk}/withdraw/")
    assert again.status_code == 409
    assert again.json()["message"] == "This letter request is already withdrawn."


def test_someone_elses_letter_is_404_to_withdraw_or_download(client, booking):
    theirs = letter_requested(booking_with_author(), waived=False)
    assert client.post(f"/api/v1/me/letters/{theirs.pk}/withdraw/").status_code == 404
    assert client.get(f"/api/v1/me/letters/{theirs.pk}/file/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.REQUESTED


def test_the_letters_list_keeps_its_query_count_flat(client, booking, django_assert_max_num_queries):
    letter_uploaded(booking, letter_requested(booking, waived=False), texts=["One"])
    with django_assert_max_num_queries(30) as one:
        client.get("/api/v1/me/letters/")
    for _ in range(4):
        other = another_booking(booking, applicant=booking.application.applicant)
        letter_uploaded(other, letter_requested(other, waived=False), texts=["More"])
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/api/v1/me/letters/")
    assert len(response.json()["results"]) == 5
    assert all("download_url" in row for row in response.json()["results"])
