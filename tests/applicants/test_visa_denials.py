"""Visa denials: the applicant of a confirmed booking sends the consulate's letter (page and API);
staff accept it in the admin (the booking is cancelled, its seat offered to the waitlist and its
whole program fee paid refunded, not the application fee) or refuse it with a reason the applicant
is told. Paid against the real localstripe."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from amo.errors import DomainError
from amo.models import Notification
from applicants.models import Application, ApplicationTransition, Document, VisaDenial
from applicants.services import visa_denial_accept, visa_denial_refuse, visa_denial_submit
from payments.models import Refund
from rotations.models import DocumentKind
from tests.applicants.conftest import stored_files
from tests.factories import PDF_BYTES, ApplicationFactory, BlockFactory, MembershipFactory, StaffFactory
from tests.payments.stripe_helpers import confirmed_booking

pytestmark = pytest.mark.django_db
S = Application.Status


def letter(content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile("denial.pdf", content, content_type="application/pdf")


def submitted(application: Application) -> VisaDenial:
    return visa_denial_submit(
        application=application, actor=application.applicant.user, uploaded_file=letter()
    )


def test_the_applicant_sends_the_letter_through_the_api_and_staff_are_told():
    application = confirmed_booking()
    staff = StaffFactory()
    api = APIClient()
    api.force_authenticate(application.applicant.user)
    url = f"/api/v1/applications/{application.pk}/visa-denial/"

    sent = api.post(url, {"file": letter()}, format="multipart")
    assert sent.status_code == 201 and sent.json()["status"] == "submitted"
    denial = VisaDenial.objects.get()
    assert (denial.application_id, denial.letter.kind) == (application.pk, DocumentKind.VISA_DENIAL_LETTER)
    assert Notification.objects.filter(
        recipient=application.applicant.user, key__contains="visa_denial"
    ).exists()
    assert Notification.objects.filter(recipient=staff, key__contains="visa_denial").exists()
    assert [row["status"] for row in api.get(url).json()] == ["submitted"]

    again = api.post(url, {"file": letter()}, format="multipart")
    assert again.status_code == 409 and "already with our staff" in again.json()["message"]
    assert VisaDenial.objects.count() == 1 and Document.objects.count() == 1
    stranger = APIClient()
    stranger.force_authenticate(ApplicationFactory().applicant.user)
    assert stranger.post(url, {"file": letter()}, format="multipart").status_code == 404


def test_a_letter_that_is_no_pdf_or_for_a_booking_not_confirmed_is_refused_and_nothing_is_kept(
    private_storage,
):
    application = confirmed_booking()
    with pytest.raises(DomainError, match="PDF, JPEG or PNG"):
        visa_denial_submit(
            application=application,
            actor=application.applicant.user,
            uploaded_file=letter(b"<html>no</html>"),
        )
    offered = ApplicationFactory(status=S.OFFERED)
    with pytest.raises(DomainError) as refusal:
        submitted(offered)
    assert refusal.value.status == 409
    assert not VisaDenial.objects.exists() and not Document.objects.exists()
    assert stored_files(private_storage) == []


def test_staff_accepting_the_letter_cancel_the_booking_and_refund_the_whole_program_fee_paid(client):
    block = BlockFactory(capacity=1)  # starts in 90 days
    application = confirmed_booking(block, application_fee=True, balance=True)
    waiting = ApplicationFactory(block=block, status=S.WAITLISTED, submitted_at=timezone.now())
    host = MembershipFactory(organization=block.rotation.organization).user
    denial = submitted(application)
    staff = StaffFactory()
    client.force_login(staff)
    changelist = reverse("admin:applicants_visadenial_changelist")
    assert client.post(changelist, {"action": "accept", "_selected_action": [denial.pk]}).status_code == 302

    denial.refresh_from_db()
    application.refresh_from_db()
    waiting.refresh_from_db()
    assert (denial.status, denial.decided_by) == (VisaDenial.Status.ACCEPTED, staff)
    assert (application.status, waiting.status) == (S.CANCELLED, S.OFFERED)
    cancelled = ApplicationTransition.objects.get(application=application, to_status=S.CANCELLED)
    assert (cancelled.actor, cancelled.actor_role) == (staff, "staff")
    assert "visa was denied" in cancelled.reason
    refunds = Refund.objects.filter(payment__application=application)
    assert sorted((r.payment.purpose, r.amount_cents, r.reason) for r in refunds) == [
        ("balance", 200_000, "visa_denial"),
        ("deposit", 50_000, "visa_denial"),
    ]
    assert application.application_fee_status == Application.FeeStatus.PAID  # not refunded
    told = Notification.objects.get(
        recipient=application.applicant.user, key__startswith=f"application:{application.pk}:cancelled:"
    )
    assert "$2,500.00 is refunded to your card: the whole program fee you paid." in told.body
    assert Notification.objects.filter(
        recipient=host, key__startswith=f"application:{application.pk}:cancelled:"
    )
    assert denial.letter.verification_status == Document.VerificationStatus.VERIFIED

    with pytest.raises(DomainError, match="already accepted"):
        visa_denial_accept(visa_denial=denial, actor=staff)
    assert refunds.count() == 2


def test_staff_refusing_the_letter_say_why_and_the_booking_stays(client):
    application = confirmed_booking()
    denial = submitted(application)
    staff = StaffFactory()
    with pytest.raises(DomainError, match="Say why"):
        visa_denial_refuse(visa_denial=denial, actor=staff, reason=" ")
    with pytest.raises(DomainError) as refusal:
        visa_denial_refuse(visa_denial=denial, actor=application.applicant.user, reason="No.")
    assert refusal.value.status == 403

    client.force_login(staff)
    changelist = reverse("admin:applicants_visadenial_changelist")
    asked = client.post(changelist, {"action": "refuse", "_selected_action": [denial.pk]})
    assert asked.status_code == 200 and "Say why" in asked.content.decode()
    reason = "The letter is for another applicant."
    done = client.post(changelist, {"action": "refuse", "_selected_action": [denial.pk], "reason": reason})
    assert done.status_code == 302

    denial.refresh_from_db()
    application.refresh_from_db()
    assert (denial.status, denial.refusal_reason) == (VisaDenial.Status.REFUSED, reason)
    assert application.status == S.CONFIRMED and not Refund.objects.exists()
    assert not ApplicationTransition.objects.filter(application=application, to_status=S.CANCELLED).exists()
    told = Notification.objects.get(key=f"visa_denial:{denial.pk}:refused")
    assert reason in told.body
    assert submitted(application).status == VisaDenial.Status.SUBMITTED  # another letter may follow


def test_the_application_page_offers_the_letter_and_shows_staffs_answer(client):
    application = confirmed_booking()
    client.force_login(application.applicant.user)
    detail = reverse("applicants:application_detail", args=[application.pk])
    assert "Send the denial letter" in client.get(detail).content.decode()
    url = reverse("applicants:application_visa_denial", args=[application.pk])
    page = client.get(url).content.decode()
    assert "$500.00" in page and "The application fee is not refunded." in page
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"file": letter()}).status_code == 302
    visa_denial_refuse(visa_denial=VisaDenial.objects.get(), actor=StaffFactory(), reason="Unreadable scan.")
    html = client.get(detail).content.decode()
    assert "Refused" in html and "Unreadable scan." in html and "Send the denial letter" in html


def test_a_letter_accepted_meanwhile_is_reported_as_accepted_not_as_waiting_for_staff(client):
    """Two staff press Accept at once: the second request loaded the letter before the first
    committed. Its refusal names the letter without the status it read, which is stale by then."""
    application = confirmed_booking()
    denial = submitted(application)
    staff = StaffFactory()
    loaded_before = VisaDenial.objects.get(pk=denial.pk)
    visa_denial_accept(visa_denial=denial, actor=staff)

    with pytest.raises(DomainError) as refused:
        visa_denial_accept(visa_denial=loaded_before, actor=staff)
    label = f"{loaded_before}: {refused.value.message}"
    assert label == f"Visa denial for {application}: This visa denial was already accepted."
