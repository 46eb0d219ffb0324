"""The certificate of completion: issued with the evaluation, what it says fixed then; its PDF read
back with a PDF parser (US Letter, the code and its URL printed); its code never one an enrollment
letter has; the public verify page shows what it certifies; the download and the API fields only
for the applicant's own booking."""

from io import BytesIO
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from amo.services import api_token_create
from applicants.models import COMPETENCIES, LETTER_CODE_ALPHABET, Application, CompletionCertificate
from applicants.services import evaluation_submit
from applicants.services.letters import enrollment_letter_follow, verification_code_new
from tests.amo.test_get_writes_nothing import every_row
from tests.applicants.test_evaluations import answers
from tests.factories import ApplicantFactory, ApplicationFactory, StaffFactory, completed_booking

pytestmark = pytest.mark.django_db
S = Application.Status
# A name with letters beyond Western European ones, as passports write them.
NAME = "Zoë Łukasiewicz-Şahin"


def certified(**fields) -> CompletionCertificate:
    booking = completed_booking(
        applicant=ApplicantFactory(legal_name=NAME),
        block__rotation__title="Cardiology Ward Clerkship",
        block__rotation__organization__name="Lakeshore Clinic",
        block__rotation__preceptor__full_name="Dana Whitfield",
        block__rotation__preceptor__credentials="DO",
        **fields,
    )
    evaluation_submit(application=booking, actor=StaffFactory(), **answers(hours_completed=152))
    return CompletionCertificate.objects.get(application=booking)


def pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(BytesIO(content))
    return reader, " ".join(page.extract_text() for page in reader.pages)


def test_the_certificate_fixes_what_it_says_when_it_is_issued():
    certificate = certified()
    booking = certificate.application
    block = booking.block
    assert (certificate.applicant_name, certificate.rotation_title) == (NAME, "Cardiology Ward Clerkship")
    assert (certificate.organization_name, certificate.preceptor_line) == (
        "Lakeshore Clinic",
        "Dana Whitfield, DO",
    )
    assert (certificate.starts_on, certificate.ends_on) == (block.start_date, block.end_date)
    assert certificate.hours_completed == 152
    assert len(certificate.code) == 12 and set(certificate.code) <= set(LETTER_CODE_ALPHABET)
    # The host's later edits change the rotation, not the certificate issued.
    rotation = block.rotation
    rotation.title = "Renamed"
    rotation.save(update_fields=["title"])
    certificate.refresh_from_db()
    assert certificate.rotation_title == "Cardiology Ward Clerkship"


def test_the_certificate_falls_back_to_the_account_name_without_a_legal_name():
    booking = completed_booking(applicant__legal_name="", applicant__user__full_name="Amina Okafor")
    evaluation_submit(application=booking, actor=StaffFactory(), **answers())
    assert CompletionCertificate.objects.get(application=booking).applicant_name == "Amina Okafor"


def test_a_new_code_is_never_one_an_enrollment_letter_already_has():
    booking = ApplicationFactory(status=S.CONFIRMED, applicant__citizenship="PL")
    with transaction.atomic():
        letter = enrollment_letter_follow(booking)
    other = "B" * 12
    drawn = iter(letter.code + other)
    with mock.patch("applicants.services.letters.secrets.choice", lambda alphabet: next(drawn)):
        assert verification_code_new() == other


def test_the_database_refuses_a_certificate_code_outside_the_alphabet():
    certificate = certified()
    with pytest.raises(IntegrityError, match="completion_certificate_code_format"), transaction.atomic():
        CompletionCertificate.objects.create(
            **{
                **{
                    field.attname: getattr(certificate, field.attname)
                    for field in CompletionCertificate._meta.fields
                },
                "id": None,
                "application_id": ApplicationFactory(status=S.COMPLETED).pk,
                "code": "ABCD-EFGH-IJ",
            }
        )


# --- The PDF ------------------------------------------------------------------------------------


def test_the_pdf_is_one_us_letter_page_with_the_name_rotation_hours_code_and_url(client):
    certificate = certified()
    client.force_login(certificate.application.applicant.user)
    response = client.get(reverse("applicants:application_certificate", args=[certificate.application_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"certificate-of-completion-{certificate.code_display}.pdf" in response["Content-Disposition"]
    reader, text = pdf_text(response.content)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (612, 792)  # 8.5 × 11 in
    assert "Certificate of completion" in text
    for said in (NAME, "Cardiology Ward Clerkship", "Lakeshore Clinic", "Dana Whitfield, DO", "152"):
        assert said in text, said
    assert certificate.code_display in text
    assert f"/verify/{certificate.code_display}/" in text.replace("\n", "")


def test_the_api_download_is_the_same_certificate():
    certificate = certified()
    _, secret = api_token_create(user=certificate.application.applicant.user, name="cli", lifetime_days=30)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {secret}")
    response = api.get(reverse("applicants_api:application_certificate", args=[certificate.application_id]))
    assert response.status_code == 200
    assert certificate.code_display in pdf_text(response.content)[1]


def test_another_applicants_certificate_is_a_404_on_the_page_and_the_api(client):
    certificate = certified()
    stranger = ApplicantFactory()
    client.force_login(stranger.user)
    assert (
        client.get(
            reverse("applicants:application_certificate", args=[certificate.application_id])
        ).status_code
        == 404
    )
    _, secret = api_token_create(user=stranger.user, name="cli", lifetime_days=30)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {secret}")
    url = reverse("applicants_api:application_certificate", args=[certificate.application_id])
    assert api.get(url).status_code == 404


def test_no_certificate_before_the_evaluation_is_a_404(client):
    booking = completed_booking()
    client.force_login(booking.applicant.user)
    assert client.get(reverse("applicants:application_certificate", args=[booking.pk])).status_code == 404


# --- The public verify page ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["display", "stored", "lower"])
def test_the_verify_page_shows_what_the_certificate_certifies(client, typed):
    certificate = certified()
    code = {
        "display": certificate.code_display,
        "stored": certificate.code,
        "lower": certificate.code_display.lower(),
    }[typed]
    before = every_row()
    response = client.get(reverse("applicants:letter_verify", args=[code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This certificate of completion is genuine" in page
    for said in (NAME, "Cardiology Ward Clerkship", "Lakeshore Clinic", "Dana Whitfield, DO", "152"):
        assert said in page, said
    block = certificate.application.block
    assert block.start_date.strftime("%b %-d, %Y") in page and block.end_date.strftime("%b %-d, %Y") in page
    assert certificate.issued_at.strftime("%b %-d, %Y") in page
    assert "enrollment letter is genuine" not in page
    assert every_row() == before


def test_an_unknown_code_is_a_404_that_names_neither(client):
    certified()
    response = client.get(reverse("applicants:letter_verify", args=["ABCD-EFGH-JKMN"]))
    assert response.status_code == 404
    assert "No letter or certificate has this code" in response.content.decode()


def test_the_enrollment_letter_of_the_same_booking_still_verifies_as_a_letter(client):
    certificate = certified()
    with transaction.atomic():
        letter = enrollment_letter_follow(certificate.application)
    assert letter is not None and letter.code != certificate.code
    page = client.get(reverse("applicants:letter_verify", args=[letter.code_display])).content.decode()
    assert "This enrollment letter is genuine and valid" in page


# --- The API's application detail ---------------------------------------------------------------


def _detail(applicant, pk: int) -> dict:
    _, secret = api_token_create(user=applicant.user, name="cli", lifetime_days=30)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {secret}")
    response = api.get(reverse("applicants_api:application", args=[pk]))
    assert response.status_code == 200
    return response.json()


def test_the_api_detail_gives_the_evaluation_and_the_certificates_url_and_code():
    certificate = certified()
    booking = certificate.application
    body = _detail(booking.applicant, booking.pk)
    assert body["certificate_url"] == reverse("applicants_api:application_certificate", args=[booking.pk])
    assert body["certificate_code"] == certificate.code_display
    evaluation = body["evaluation"]
    assert [rating["key"] for rating in evaluation["ratings"]] == [field for field, _, _ in COMPETENCIES]
    assert evaluation["ratings"][0] == {
        "key": "patient_care",
        "name": "Patient care",
        "rating": 4,
        "rating_label": "Above expectations",
        "comment": "Solid patient care.",
    }
    assert (evaluation["hours_completed"], evaluation["attendance"], evaluation["days_missed"]) == (
        152,
        "every_day",
        0,
    )
    assert evaluation["preceptor_name"] == "Dana Whitfield"


def test_the_api_detail_says_null_before_the_evaluation():
    booking = completed_booking()
    body = _detail(booking.applicant, booking.pk)
    assert (body["evaluation"], body["certificate_url"], body["certificate_code"]) == (None, None, None)
