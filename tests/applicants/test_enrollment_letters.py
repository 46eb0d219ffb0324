"""The enrollment letter: issued when a booking is confirmed (through the real booking services),
issued again when the booking moves (the old code then says "replaced"), no longer valid once the
booking is cancelled, not attended or ended early; its PDF read back with a PDF parser; its public
verify page, limited per address; the download only for the applicant's own standing booking."""

from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from amo.services import api_token_create
from applicants.models import Application, EnrollmentLetter
from applicants.services import (
    applicant_profile_update,
    application_accept,
    application_book_now,
    application_cancel,
    application_end_early,
    application_payment_confirm,
    application_record_no_show,
    block_change_decide,
    block_change_request,
    bookings_advance,
)
from applicants.services.letters import enrollment_letter_follow
from applicants.workflow import ActorRole
from rotations.models import Rotation
from tests.amo.test_get_writes_nothing import every_row
from tests.applicants.test_apply import STATEMENT, _ready_applicant_and_block
from tests.factories import (
    ApplicantFactory,
    ApplicationFactory,
    BlockFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db
S = Application.Status
Standing = EnrollmentLetter.Standing
# A name with letters beyond Western European ones, as passports write them.
NAME = "Zoë Łukasiewicz-Şahin"


def booked(*, deposit_cents: int = 0, **applicant_fields) -> Application:
    """An offer accepted by its applicant through the services: without a deposit, a booking at once."""
    block = BlockFactory(
        rotation__deposit_cents=deposit_cents, rotation__organization__name="Lakeshore Clinic"
    )
    application = ApplicationFactory(
        block=block,
        status=S.OFFERED,
        submitted_at=timezone.now(),
        applicant=ApplicantFactory(**{"legal_name": NAME, "citizenship": "PL", **applicant_fields}),
    )
    application_accept(application=application, actor=application.applicant.user)
    application.refresh_from_db()
    return application


def letters_of(application: Application) -> list[EnrollmentLetter]:
    return list(EnrollmentLetter.objects.filter(application=application).order_by("issued_at", "id"))


def standing_letter(application: Application) -> EnrollmentLetter:
    return EnrollmentLetter.objects.get(application=application, standing=Standing.VALID)


def host_of(application: Application):
    return MembershipFactory(organization=application.block.rotation.organization).user


def moved(application: Application) -> Application:
    """The booking moved to a later block of its rotation, the host approving."""
    later_block = BlockFactory(
        rotation=application.block.rotation, start_date=application.block.start_date + timedelta(days=60)
    )
    change = block_change_request(
        application=application, actor=application.applicant.user, to_block=later_block
    )
    block_change_decide(block_change=change, actor=host_of(application), approve=True)
    application.refresh_from_db()
    return application


def verify(client, code: str, **extra):
    return client.get(f"/verify/{code}/", **extra)


def pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


# --- Issuing -----------------------------------------------------------------------------------


def test_confirming_a_booking_issues_a_letter_of_what_the_booking_says_now():
    application = booked()
    block, rotation = application.block, application.block.rotation
    [letter] = letters_of(application)
    assert letter.standing == Standing.VALID
    assert (letter.applicant_name, letter.passport_country) == (NAME, "Poland")
    assert (letter.organization_name, letter.site_address) == (
        "Lakeshore Clinic",
        "100 Main Street, Chicago, IL 60601",
    )
    assert letter.preceptor_line == f"{rotation.preceptor.full_name}, MD"
    assert (letter.block_id, letter.starts_on, letter.ends_on) == (block.pk, block.start_date, block.end_date)
    assert (letter.rotation_title, letter.rotation_type) == (
        rotation.title,
        "Hands-on (externship / clerkship)",
    )
    assert len(letter.code) == 12 and set(letter.code) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    assert letter.code_display == f"{letter.code[:4]}-{letter.code[4:8]}-{letter.code[8:]}"


def test_the_letter_waits_for_the_deposit_and_book_now_confirms_it_too():
    application = booked(deposit_cents=50_000)
    assert application.status == S.AWAITING_PAYMENT and letters_of(application) == []
    application_payment_confirm(application=application)
    assert standing_letter(application).applicant_name == NAME

    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, rotation__deposit_cents=0
    )
    booking = application_book_now(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    assert booking.status == S.CONFIRMED
    assert standing_letter(booking).applicant_name == applicant.legal_name


def test_making_the_letters_agree_twice_changes_nothing():
    application = booked()
    letter = standing_letter(application)
    with transaction.atomic():
        assert enrollment_letter_follow(application) == letter
        assert enrollment_letter_follow(application.pk) == letter
    assert letters_of(application) == [letter]


def test_the_database_keeps_one_standing_letter_per_booking():
    letter = standing_letter(booked())
    letter.pk, letter.code = None, "ABCDEFGHJKMN"
    with pytest.raises(IntegrityError, match="enrollment_letter_one_valid_per_application"):
        letter.save()


def test_the_letter_stands_while_the_rotation_runs_and_after_it_completes():
    application = booked()
    letter = standing_letter(application)
    block = application.block
    with time_machine.travel(timezone.now() + (block.start_date - timezone.localdate()), tick=False):
        bookings_advance()
    with time_machine.travel(timezone.now() + (block.end_date - timezone.localdate()) + timedelta(days=2)):
        bookings_advance()
    application.refresh_from_db()
    assert application.status == S.COMPLETED
    assert letters_of(application) == [letter] and standing_letter(application) == letter


# --- Replaced and no longer valid ----------------------------------------------------------------


def test_a_booking_moved_to_another_block_gets_a_new_letter_and_the_old_one_is_replaced():
    application = booked()
    old = standing_letter(application)
    application = moved(application)
    old.refresh_from_db()
    new = standing_letter(application)
    assert (old.standing, new.replaces) == (Standing.REPLACED, old)
    assert old.replaced_at == new.issued_at
    assert (new.block_id, new.starts_on) == (application.block_id, application.block.start_date)
    assert new.code != old.code


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param("cancelled", id="cancelled"),
        pytest.param("no_show", id="no-show"),
        pytest.param("ended_early", id="ended-early"),
    ],
)
def test_a_booking_that_ends_before_its_rotation_leaves_its_letter_no_longer_valid(ending):
    application = booked()
    letter = standing_letter(application)
    host = host_of(application)
    if ending == "cancelled":
        application_cancel(
            application=application, actor=application.applicant.user, role=ActorRole.APPLICANT
        )
    else:
        first_day = timezone.now() + (application.block.start_date - timezone.localdate())
        with time_machine.travel(first_day, tick=False):
            if ending == "no_show":
                application_record_no_show(application=application, actor=host)
            else:
                bookings_advance()
                application_end_early(application=application, actor=host, reason="Family emergency.")
    letter.refresh_from_db()
    assert (letter.standing, letter.withdrawal_reason) == (Standing.WITHDRAWN, ending)
    assert letter.withdrawn_at is not None
    assert not EnrollmentLetter.objects.filter(application=application, standing=Standing.VALID).exists()


# --- The legal name ------------------------------------------------------------------------------


def test_without_a_legal_name_no_letter_is_issued_until_the_profile_has_it(client):
    application = booked(legal_name="")
    assert application.status == S.CONFIRMED and letters_of(application) == []
    client.force_login(application.applicant.user)
    page = client.get(reverse("applicants:application_detail", args=[application.pk])).content.decode()
    assert "Add your legal name to" in page
    assert client.get(f"/me/applications/{application.pk}/enrollment-letter.pdf").status_code == 404

    applicant_profile_update(applicant=application.applicant, data={"legal_name": NAME})
    first = standing_letter(application)
    assert first.applicant_name == NAME
    applicant_profile_update(applicant=application.applicant, data={"phone": "+48 601 234 567"})
    assert letters_of(application) == [first]  # nothing the letter says changed

    applicant_profile_update(applicant=application.applicant, data={"legal_name": "Zoë Łukasiewicz"})
    first.refresh_from_db()
    second = standing_letter(application)
    assert (first.standing, second.replaces, second.applicant_name) == (
        Standing.REPLACED,
        first,
        "Zoë Łukasiewicz",
    )


def test_a_booking_moved_while_the_profile_lacks_the_name_leaves_the_old_letter_no_longer_valid():
    application = booked()
    letter = standing_letter(application)
    applicant_profile_update(applicant=application.applicant, data={"legal_name": ""})
    assert standing_letter(application) == letter  # what it said was true when issued
    moved(application)
    letter.refresh_from_db()
    assert (letter.standing, letter.withdrawal_reason) == (Standing.WITHDRAWN, "moved")
    assert letters_of(application) == [letter]


# --- The PDF -------------------------------------------------------------------------------------


def test_the_pdf_opens_as_a_us_letter_page_naming_the_applicant_the_host_and_the_code(client):
    application = booked()
    letter = standing_letter(application)
    client.force_login(application.applicant.user)
    before = every_row()
    response = client.get(reverse("applicants:application_enrollment_letter", args=[application.pk]))
    assert every_row() == before  # the download only reads
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"enrollment-letter-{letter.code_display}.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    reader, text = pdf_text(response.content)
    assert [(float(page.mediabox.width), float(page.mediabox.height)) for page in reader.pages] == [
        (612, 792)
    ]
    flat = " ".join(text.split())
    for said in (
        NAME,
        "Poland",
        "Lakeshore Clinic",
        "100 Main Street, Chicago, IL 60601",
        letter.preceptor_line,
        letter.code_display,
        letter.verification_url,
    ):
        assert said in flat, said


def test_only_the_applicant_downloads_the_letter_of_their_own_standing_booking(client):
    application = booked()
    url = reverse("applicants:application_enrollment_letter", args=[application.pk])
    client.force_login(ApplicantFactory().user)
    assert client.get(url).status_code == 404
    not_a_booking = ApplicationFactory(
        applicant=application.applicant, status=S.SUBMITTED, submitted_at=timezone.now()
    )
    client.force_login(application.applicant.user)
    assert (
        client.get(reverse("applicants:application_enrollment_letter", args=[not_a_booking.pk])).status_code
        == 404
    )
    assert client.get(url).status_code == 200
    application_cancel(application=application, actor=application.applicant.user, role=ActorRole.APPLICANT)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_the_booking_page_offers_the_letter_and_its_code(client):
    application = booked()
    letter = standing_letter(application)
    client.force_login(application.applicant.user)
    page = client.get(reverse("applicants:application_detail", args=[application.pk])).content.decode()
    assert reverse("applicants:application_enrollment_letter", args=[application.pk]) in page
    assert letter.code_display in page and f"/verify/{letter.code_display}/" in page


# --- The verify page -----------------------------------------------------------------------------


def test_the_verify_page_confirms_a_valid_letter_and_what_it_says(client):
    letter = standing_letter(booked())
    response = verify(client, letter.code_display)
    assert response.status_code == 200
    page = response.content.decode()
    assert "genuine and valid" in page
    issued = letter.issued_at
    assert "AMO issued it on" in page and f">{issued:%b} {issued.day}, {issued.year}</time>" in page
    for said in (
        letter.applicant_name,
        "Poland",
        "Lakeshore Clinic",
        letter.site_address,
        letter.preceptor_line,
    ):
        assert said in page, said
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in page


def test_the_code_is_found_typed_in_lower_case_or_without_its_dashes(client):
    letter = standing_letter(booked())
    for typed in (letter.code, letter.code.lower(), letter.code_display.lower()):
        assert verify(client, typed).status_code == 200, typed


def test_the_verify_page_says_when_a_cancelled_booking_made_the_letter_no_longer_valid(client):
    application = booked()
    letter = standing_letter(application)
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        application_cancel(
            application=application, actor=application.applicant.user, role=ActorRole.APPLICANT
        )
        on = timezone.now()
    page = verify(client, letter.code_display).content.decode()
    assert "no longer valid" in page
    assert f"{on:%b} {on.day}, {on.year}" in page
    assert "The booking was cancelled." in page
    assert "genuine and valid" not in page


def test_the_verify_page_says_replaced_after_a_move_without_revealing_the_new_code(client):
    application = booked()
    old = standing_letter(application)
    application = moved(application)
    new = standing_letter(application)
    page = verify(client, old.code_display).content.decode()
    assert "was replaced" in page and "a newer letter replaced it" in page
    assert new.code_display not in page and new.code not in page
    assert "genuine and valid" in verify(client, new.code_display).content.decode()


@pytest.mark.parametrize("code", ["ABCD-EFGH-JKMN", "short", "abcd-efgh-jkmn-pqrs", "ÀBCD-EFGH-JKMN"])
def test_an_unknown_code_is_a_404(client, code):
    booked()
    response = verify(client, code)
    assert response.status_code == 404
    assert "No letter or certificate has this code" in response.content.decode()


def test_the_verify_page_is_limited_per_address(client, settings):
    settings.LETTER_VERIFY_RATE = "3/minute"
    letter = standing_letter(booked())
    for _ in range(2):
        assert verify(client, letter.code_display).status_code == 200
    assert verify(client, "ABCD-EFGH-JKMN").status_code == 404  # unknown codes count too
    refused = verify(client, letter.code_display)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    page = refused.content.decode()
    assert "Too many letters or certificates were checked from your network" in page
    assert "Back to log in" not in page and "Reset your password" not in page  # not about signing in
    assert verify(client, letter.code_display, REMOTE_ADDR="198.51.100.7").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert verify(client, letter.code_display).status_code == 200


# --- The API -------------------------------------------------------------------------------------


def test_the_api_detail_carries_the_letter_once_confirmed_and_a_token_downloads_it():
    application = booked(deposit_cents=50_000)
    _, secret = api_token_create(user=application.applicant.user, name="letters", lifetime_days=30)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    detail = f"/api/v1/applications/{application.pk}/"
    body = api.get(detail).json()
    assert (body["status"], body["enrollment_letter_url"], body["verification_code"]) == (
        S.AWAITING_PAYMENT,
        None,
        None,
    )
    application_payment_confirm(application=application)
    letter = standing_letter(application)
    body = api.get(detail).json()
    assert body["verification_code"] == letter.code_display
    assert body["enrollment_letter_url"] == f"/api/v1/applications/{application.pk}/enrollment-letter/"
    response = api.get(body["enrollment_letter_url"])
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert letter.code_display in pdf_text(response.content)[1]

    stranger = APIClient()
    stranger.force_authenticate(ApplicantFactory().user)
    assert stranger.get(body["enrollment_letter_url"]).status_code == 404
    assert APIClient().get(body["enrollment_letter_url"]).status_code == 401
