"""The applicant's pages for letters of recommendation: asking a preceptor for one on a booking
(and each refusal, which changes nothing), the booking's and the dashboard's list, withdrawing,
the download of a letter not waived, and the standing waiver."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from applicants.models import KEEP_RIGHT_WORDING, WAIVER_WORDING, Application, LetterFileAccess, LetterRequest
from tests.applicants.letters import (
    booking_with_author,
    letter_id,
    letter_requested,
    letter_uploaded,
    pdf_text,
)
from tests.factories import ApplicationFactory, PreceptorFactory, request_form_upload
from tests.pdfs import html_named_pdf_bytes

pytestmark = pytest.mark.django_db
S = LetterRequest.Status


def form_data(booking, **overrides) -> dict:
    return {
        "preceptor": booking.application.block.rotation.preceptor_id,
        "author_title": "Professor of Medicine",
        "author_email": "",
        "eras_letter_id": letter_id(),
        "specialty": "",
        "due_on": (date.today() + timedelta(days=40)).isoformat(),
        "request_form": request_form_upload(),
        "waived": "waive",
        **overrides,
    }


def letters_table() -> list[tuple]:
    return list(LetterRequest.objects.order_by("pk").values_list("pk", "status", "eras_letter_id"))


@pytest.fixture
def booking(client):
    booking = booking_with_author()
    client.force_login(booking.applicant_user)
    return booking


def test_the_request_form_names_the_rotations_preceptor_their_account_email_and_waives_by_default(
    client, booking
):
    response = client.get(reverse("applicants:letter_request", args=[booking.application.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["preceptor"].value() == booking.application.block.rotation.preceptor_id
    assert form["author_email"].value() == booking.author.user.email
    assert form["waived"].value() == "waive"
    page = response.content.decode()
    assert WAIVER_WORDING.split(" (")[0] in page and KEEP_RIGHT_WORDING in page


def test_requesting_a_letter_on_a_completed_booking_stores_it_and_the_booking_lists_it(client, booking):
    data = form_data(booking)
    response = client.post(reverse("applicants:letter_request", args=[booking.application.pk]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    letter = LetterRequest.objects.get()
    assert (letter.status, letter.eras_letter_id, letter.waived) == (
        S.REQUESTED,
        data["eras_letter_id"],
        True,
    )
    # Left empty, the author's email is their account's.
    assert letter.author_email == booking.author.user.email
    assert letter.waiver_wording == WAIVER_WORDING
    page = client.get(response["Location"])
    text = page.content.decode()
    assert data["eras_letter_id"] in text and "Requested" in text
    assert reverse("applicants:letter_withdraw", args=[letter.pk]) in text


def test_a_rotation_in_its_second_week_cannot_ask_for_a_letter_yet_and_the_page_says_when(client):
    booking = booking_with_author(status=Application.Status.IN_PROGRESS, block__start_date=date.today())
    client.force_login(booking.applicant_user)
    detail = client.get(reverse("applicants:application_detail", args=[booking.application.pk]))
    assert "third week" in detail.context["letter_request_refusal"]
    assert reverse("applicants:letter_request", args=[booking.application.pk]) not in detail.content.decode()
    url = reverse("applicants:letter_request", args=[booking.application.pk])
    response = client.post(url, form_data(booking))
    assert response.status_code == 302
    assert not LetterRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"eras_letter_id": "AB"}, "eras_letter_id", "4 to 20 letters, digits or dashes"),
        ({"request_form": request_form_upload(html_named_pdf_bytes(), "lrf.pdf")}, "request_form", "PDF"),
        ({"due_on": date.today().isoformat()}, "due_on", "after today"),
    ],
    ids=["bad-letter-id", "lrf-not-a-pdf", "due-today"],
)
def test_a_request_with_bad_input_is_refused_in_words_and_stores_nothing(
    client, booking, private_storage, overrides, field, words
):
    url = reverse("applicants:letter_request", args=[booking.application.pk])
    response = client.post(url, form_data(booking, **overrides))
    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors[field])
    assert not LetterRequest.objects.exists()
    assert not list(private_storage.rglob("*.pdf"))


def test_a_letter_id_another_request_holds_is_refused(client, booking):
    taken = letter_requested(booking_with_author())
    before = letters_table()
    url = reverse("applicants:letter_request", args=[booking.application.pk])
    response = client.post(url, form_data(booking, eras_letter_id=taken.eras_letter_id.lower()))
    assert response.status_code == 400
    assert response.context["form"].errors["eras_letter_id"] == [
        "This ERAS Letter ID is already used by another letter request."
    ]
    assert letters_table() == before


def test_a_second_open_request_to_the_same_author_is_refused_but_another_preceptor_may_be_asked(
    client, booking
):
    letter_requested(booking)
    url = reverse("applicants:letter_request", args=[booking.application.pk])
    before = letters_table()
    response = client.post(url, form_data(booking))
    assert response.status_code == 400
    assert response.context["form"].errors["preceptor"] == [
        "You already have an open request to this author for this rotation."
    ]
    assert letters_table() == before
    other = PreceptorFactory(organization=booking.application.block.rotation.organization)
    response = client.post(url, form_data(booking, preceptor=other.pk, author_email="other@example.test"))
    assert response.status_code == 302
    assert LetterRequest.objects.filter(preceptor=other).exists()


def test_an_author_without_an_account_needs_an_email_address(client, booking):
    other = PreceptorFactory(organization=booking.application.block.rotation.organization)
    url = reverse("applicants:letter_request", args=[booking.application.pk])
    response = client.post(url, form_data(booking, preceptor=other.pk))
    assert response.status_code == 400
    assert "author's email address" in response.context["form"].errors["author_email"][0]
    assert not LetterRequest.objects.exists()


def test_a_preceptor_of_another_organization_is_not_offered(client, booking):
    stranger = PreceptorFactory()
    url = reverse("applicants:letter_request", args=[booking.application.pk])
    response = client.post(url, form_data(booking, preceptor=stranger.pk, author_email="x@example.test"))
    assert response.status_code == 400
    assert "preceptor" in response.context["form"].errors
    assert not LetterRequest.objects.exists()


def test_someone_elses_booking_is_404_for_the_request_form(client, booking):
    other = booking_with_author()
    url = reverse("applicants:letter_request", args=[other.application.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(other)).status_code == 404
    assert not LetterRequest.objects.exists()


def test_withdrawing_an_open_request_ends_it_and_its_button_goes(client, booking):
    letter = letter_requested(booking)
    response = client.post(reverse("applicants:letter_withdraw", args=[letter.pk]))
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == S.WITHDRAWN and letter.withdrawn_at is not None
    page = client.get(
        reverse("applicants:application_detail", args=[booking.application.pk])
    ).content.decode()
    assert "Withdrawn by you" in page
    assert reverse("applicants:letter_withdraw", args=[letter.pk]) not in page
    # A second time is refused in words, and changes nothing.
    again = client.post(reverse("applicants:letter_withdraw", args=[letter.pk]), follow=True)
    assert "already withdrawn" in again.content.decode()


def test_someone_elses_letter_cannot_be_withdrawn(client, booking):
    theirs = letter_requested(booking_with_author())
    assert client.post(reverse("applicants:letter_withdraw", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.REQUESTED


def test_a_waived_letter_shows_its_receipt_and_dates_but_no_file(client, booking):
    letter = letter_requested(booking, waived=True)
    letter_uploaded(booking, letter, texts=["Strong letter one", "Strong letter two"])
    page = client.get(reverse("applicants:application_detail", args=[booking.application.pk]))
    text = page.content.decode()
    assert "Letter received for safekeeping" in text and "You waived your right" in text
    assert reverse("applicants:letter_file", args=[letter.pk]) not in text
    assert "letter-1.pdf" not in text and "letter-2.pdf" not in text and "Version" not in text
    assert client.get(reverse("applicants:letter_file", args=[letter.pk])).status_code == 404
    assert not LetterFileAccess.objects.exists()


def test_a_letter_not_waived_downloads_its_newest_version_and_the_opening_is_logged(client, booking):
    letter = letter_requested(booking, waived=False)
    first, newest = letter_uploaded(booking, letter, texts=["First draft", "Final letter"])
    page = client.get(reverse("applicants:application_detail", args=[booking.application.pk]))
    url = reverse("applicants:letter_file", args=[letter.pk])
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert "Final letter" in pdf_text(b"".join(response.streaming_content))
    assert newest.filename in response["Content-Disposition"]
    access = LetterFileAccess.objects.get()
    assert (access.version, access.user, access.via) == (newest, booking.applicant_user, "applicant")


def test_the_dashboard_lists_each_letter_with_its_rotation_and_status(client, booking):
    letter = letter_requested(booking)
    response = client.get(reverse("applicants:dashboard"))
    assert [row.pk for row in response.context["letters"]] == [letter.pk]
    text = response.content.decode()
    assert letter.eras_letter_id in text and booking.application.block.rotation.title in text


def test_revoking_the_waiver_applies_to_later_requests_only(client, booking):
    earlier = letter_requested(booking)
    response = client.post(reverse("applicants:letter_waiver"), {"waived": "keep"})
    assert response.status_code == 302
    page = client.get(reverse("applicants:letter_waiver"))
    assert page.context["current"] is False
    assert [choice.waived for choice in page.context["choices"]] == [False]
    assert "applies only to letters you request from now on" in page.content.decode()
    form = client.get(reverse("applicants:letter_request", args=[booking.application.pk])).context["form"]
    assert form["waived"].value() == "keep"
    earlier.refresh_from_db()
    assert earlier.waived is True and earlier.waiver_wording == WAIVER_WORDING


def test_the_waiver_page_refuses_a_choice_that_is_neither(client, booking):
    response = client.post(reverse("applicants:letter_waiver"), {"waived": "maybe"})
    assert response.status_code == 400
    assert response.context["form"].errors["waived"]
    assert not booking.application.applicant.letter_waivers.exists()


def test_an_application_that_is_no_booking_shows_no_letters_section(client, booking):
    submitted = ApplicationFactory(
        applicant=booking.application.applicant, status=Application.Status.SUBMITTED
    )
    response = client.get(reverse("applicants:application_detail", args=[submitted.pk]))
    assert response.context["show_letters"] is False
    assert "Letters of recommendation" not in response.content.decode()
