"""The host dashboard's letters of recommendation: a preceptor answers the requests addressed to
them as their author (accept, decline, upload with the format check, confirm the ERAS submission,
open their own versions); owners and coordinators follow their organization's requests and are
refused every author's action; the list and the API keep a flat number of queries."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applicants.models import LetterFileAccess, LetterRequest, LetterTransition, LetterVersion
from hosts.models import Membership
from tests.applicants.letters import (
    another_booking,
    booking_with_author,
    letter_file,
    letter_requested,
    letter_uploaded,
)
from tests.factories import MembershipFactory, OwnerFactory
from tests.hosts.conftest import login
from tests.pdfs import a4_pdf_bytes

pytestmark = pytest.mark.django_db
S = LetterRequest.Status


def state(letter: LetterRequest) -> tuple:
    letter.refresh_from_db()
    return (
        letter.status,
        letter.versions.count(),
        LetterTransition.objects.filter(letter_request=letter).count(),
    )


@pytest.fixture
def booking():
    return booking_with_author()


@pytest.fixture
def letter(booking):
    return letter_requested(booking)


def test_the_preceptor_sees_the_requests_addressed_to_them_and_not_a_colleagues(client, booking, letter):
    colleague = booking_with_author(organization=booking.author.organization)
    letter_requested(colleague)
    login(client, booking.author)
    response = client.get(reverse("hosts:letters"))
    assert response.status_code == 200
    assert [row.pk for row in response.context["object_list"]] == [letter.pk]
    assert letter.eras_letter_id in response.content.decode()
    assert reverse("hosts:letters") in response.content.decode()  # the nav links to it
    login(client, OwnerFactory(organization=booking.author.organization))
    assert len(client.get(reverse("hosts:letters")).context["object_list"]) == 2


def test_the_author_accepts_uploads_and_confirms_from_the_dashboard(client, booking, letter):
    login(client, booking.author)
    detail = reverse("hosts:letter_detail", args=[letter.pk])
    page = client.get(detail)
    assert page.context["is_author"] and page.context["can_accept"]
    assert client.post(reverse("hosts:letter_accept", args=[letter.pk])).status_code == 302
    assert state(letter)[0] == S.ACCEPTED

    response = client.post(reverse("hosts:letter_upload", args=[letter.pk]), {"file": letter_file("Dear PD")})
    assert response.status_code == 302
    assert state(letter)[:2] == (S.UPLOADED, 1)
    version = letter.versions.get()
    download = client.get(reverse("hosts:letter_version_file", args=[letter.pk, version.number]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert LetterFileAccess.objects.get().via == "author"

    submitted_on = date.today().isoformat()
    response = client.post(
        reverse("hosts:letter_confirm", args=[letter.pk]), {"eras_submitted_on": submitted_on}
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert (letter.status, letter.eras_submitted_on.isoformat()) == (S.SUBMITTED, submitted_on)
    # Done once: the page offers no action any more.
    page = client.get(detail)
    assert not (page.context["can_accept"] or page.context["upload_form"] or page.context["confirm_form"])


def test_an_a4_letter_is_refused_with_the_problem_in_words_and_nothing_is_kept(client, booking, letter):
    login(client, booking.author)
    client.post(reverse("hosts:letter_accept", args=[letter.pk]))
    before = state(letter)
    bad = SimpleUploadedFile("Letter: Dr Smith.pdf", a4_pdf_bytes(), "application/pdf")
    response = client.post(reverse("hosts:letter_upload", args=[letter.pk]), {"file": bad})
    assert response.status_code == 400
    errors = response.context["upload_form"].errors["file"]
    assert any("US Letter pages (8.5 × 11 in)" in error for error in errors), errors
    assert any("Letter-Dr Smith.pdf" in error for error in errors), errors  # the safe name suggested
    text = response.content.decode()
    assert "Letter-Dr Smith.pdf" in text
    assert state(letter) == before
    assert not LetterVersion.objects.exists()


def test_declining_needs_a_reason_and_the_applicant_reads_it(client, booking, letter):
    login(client, booking.author)
    url = reverse("hosts:letter_decline", args=[letter.pk])
    before = state(letter)
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert response.context["decline_form"].errors["reason"]
    assert state(letter) == before
    assert client.post(url, {"reason": "I supervised you for one week only."}).status_code == 302
    letter.refresh_from_db()
    assert (letter.status, letter.decline_reason) == (S.DECLINED, "I supervised you for one week only.")
    # Declining is done once.
    again = client.post(url, {"reason": "Again."})
    assert again.status_code == 409
    assert "already declined" in again.content.decode()


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.COORDINATOR])
def test_a_manager_who_is_not_the_author_sees_the_request_but_no_letter_and_is_refused_its_actions(
    client, booking, letter, role
):
    letter_uploaded(booking, letter, texts=["Only for the author"])
    factory = OwnerFactory if role == Membership.Role.OWNER else MembershipFactory
    manager = factory(organization=booking.author.organization, role=role)
    login(client, manager)
    listed = client.get(reverse("hosts:letters"))
    assert [row.pk for row in listed.context["object_list"]] == [letter.pk]
    page = client.get(reverse("hosts:letter_detail", args=[letter.pk]))
    assert page.status_code == 200
    assert page.context["is_author"] is False and page.context["versions"] == []
    text = page.content.decode()
    assert "letter-1.pdf" not in text and "Received for safekeeping" in text
    before = state(letter)
    upload = client.post(reverse("hosts:letter_upload", args=[letter.pk]), {"file": letter_file("Forged")})
    assert upload.status_code == 403
    confirm = {"eras_submitted_on": date.today().isoformat()}
    assert client.post(reverse("hosts:letter_confirm", args=[letter.pk]), confirm).status_code == 403
    assert client.get(reverse("hosts:letter_version_file", args=[letter.pk, 1])).status_code == 403
    assert state(letter) == before
    # A request still waiting for its author: neither accepted nor declined by someone else.
    waiting = letter_requested(another_booking(booking))
    before = state(waiting)
    assert client.post(reverse("hosts:letter_accept", args=[waiting.pk])).status_code == 403
    assert (
        client.post(reverse("hosts:letter_decline", args=[waiting.pk]), {"reason": "No."}).status_code == 403
    )
    assert state(waiting) == before
    assert not LetterFileAccess.objects.exists()


def test_a_preceptor_cannot_reach_a_request_addressed_to_a_colleague(client, booking, letter):
    colleague = MembershipFactory(organization=booking.author.organization, role=Membership.Role.PRECEPTOR)
    login(client, colleague)
    before = state(letter)
    assert client.get(reverse("hosts:letter_detail", args=[letter.pk])).status_code == 404
    assert client.post(reverse("hosts:letter_accept", args=[letter.pk])).status_code == 404
    assert state(letter) == before


def test_the_letters_page_keeps_its_query_count_flat(client, booking, letter, django_assert_max_num_queries):
    login(client, OwnerFactory(organization=booking.author.organization))
    with django_assert_max_num_queries(40) as one:
        client.get(reverse("hosts:letters"))
    for _ in range(5):
        letter_requested(another_booking(booking))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("hosts:letters"))
    assert len(response.context["object_list"]) == 6


# --- The API --------------------------------------------------------------------------------------


def test_the_author_acts_through_the_api_and_a_refused_upload_lists_every_problem(client, booking, letter):
    login(client, booking.author)
    base = f"/api/v1/host/letters/{letter.pk}"
    listed = client.get("/api/v1/host/letters/")
    assert [row["id"] for row in listed.json()["results"]] == [letter.pk]
    assert listed.json()["results"][0]["you_are_the_author"] is True
    assert client.post(f"{base}/accept/").json()["status"] == S.ACCEPTED
    bad = SimpleUploadedFile("a4?.pdf", a4_pdf_bytes(), "application/pdf")
    refused = client.post(f"{base}/upload/", {"file": bad})
    assert refused.status_code == 400
    codes = {problem["code"] for problem in refused.json()["extra"]["problems"]}
    assert codes == {"not_us_letter", "forbidden_characters"}
    assert not LetterVersion.objects.exists()
    uploaded = client.post(f"{base}/upload/", {"file": letter_file("Dear PD")})
    assert uploaded.status_code == 201
    assert [version["number"] for version in uploaded.json()["versions"]] == [1]
    confirmed = client.post(
        f"{base}/confirm-submission/",
        {"eras_submitted_on": date.today().isoformat()},
        content_type="application/json",
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == S.SUBMITTED
    declined = client.post(f"{base}/decline/", {"reason": "Too late."}, content_type="application/json")
    assert declined.status_code == 409


def test_a_coordinator_is_refused_the_authors_api_actions_and_sees_no_versions(client, booking, letter):
    letter_uploaded(booking, letter, texts=["Kept from the coordinator"])
    coordinator = MembershipFactory(organization=booking.author.organization)
    login(client, coordinator)
    row = client.get(f"/api/v1/host/letters/{letter.pk}/").json()
    assert row["you_are_the_author"] is False and row["versions"] == []
    before = state(letter)
    assert client.post(f"/api/v1/host/letters/{letter.pk}/accept/").status_code in (403, 409)
    confirm = {"eras_submitted_on": date.today().isoformat()}
    response = client.post(
        f"/api/v1/host/letters/{letter.pk}/confirm-submission/", confirm, content_type="application/json"
    )
    assert response.status_code == 403
    assert state(letter) == before


def test_the_host_letters_api_keeps_its_query_count_flat(
    client, booking, letter, django_assert_max_num_queries
):
    letter_uploaded(booking, letter, texts=["One"])
    login(client, booking.author)
    with django_assert_max_num_queries(40) as one:
        client.get("/api/v1/host/letters/")
    for _ in range(4):
        other = another_booking(booking)
        letter_uploaded(other, letter_requested(other), texts=["Two"])
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/api/v1/host/letters/")
    assert len(response.json()["results"]) == 5
    assert all(row["versions"] for row in response.json()["results"])
