"""Every page of each role, in a real browser: it loads without a console error or CSP violation,
has one main heading, Tab reaches every control with a visible outline, no input lacks a label, and
axe-core finds no serious or critical violation."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from amo.models import Reminder
from applicants.letter_links import letter_author_token
from applicants.lor_workflow import ActorRole
from applicants.models import Application, CompletionCertificate, EnrollmentLetter
from applicants.services import (
    advisor_message_post,
    application_accept,
    booking_advisor_assign,
    evaluation_submit,
    letter_accept,
    letter_author_link_send,
    letter_upload,
    review_answer,
)
from hosts.models import Accreditation
from hosts.verification import PreceptorCheckInput, organization_verification_record
from payments.services import payment_start
from rotations.models import DocumentKind
from rotations.services import first_day_update
from tests.applicants.test_evaluations import answers
from tests.browser.actions import log_in
from tests.browser.audit import assert_keyboard_complete, assert_no_serious_axe_violations
from tests.factories import (
    ApplicantFactory,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    InvitationFactory,
    MembershipFactory,
    OwnerFactory,
    PreceptorFactory,
    RotationFactory,
    StaffFactory,
    UserFactory,
    completed_booking,
    letter_request,
    review_written,
    totp_activate,
)
from tests.payments.stripe_helpers import pay
from tests.pdfs import letter_pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def answer_review(booking: Application, answer: str) -> None:
    """A review of the completed `booking`, answered by an owner of its rotation's organization."""
    owner = OwnerFactory(organization=booking.block.rotation.organization)
    review_answer(review=review_written(booking, 5), actor=owner.user, text=answer)


def sweep(page: Page, paths: list[str]) -> None:
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        expect(page.get_by_role("heading", level=1), path).to_have_count(1)
        assert_keyboard_complete(page)
        assert_no_serious_axe_violations(page)


def test_every_applicant_page_works_by_keyboard(page):
    application = ApplicationFactory(status=Application.Status.SUBMITTED)
    applicant = application.applicant
    EmailAddressFactory(user=applicant.user)
    application.documents.add(DocumentFactory(applicant=applicant, kind=DocumentKind.CV))
    block = BlockFactory(rotation__required_document_kinds=[DocumentKind.CV])
    # Paying: a seat awaiting its deposit (the pay page draws the Payment Element), and a paid one.
    awaiting = ApplicationFactory(applicant=applicant, status=Application.Status.AWAITING_PAYMENT)
    paid = payment_start(
        application=ApplicationFactory(applicant=applicant, status=Application.Status.AWAITING_PAYMENT),
        purpose="deposit",
        actor=applicant.user,
    )
    pay(paid)
    # A booking with its first day and an advisor, whom the applicant writes to from its page.
    booking = ApplicationFactory(applicant=applicant, status=Application.Status.CONFIRMED)
    first_day_update(rotation=booking.block.rotation, arrival_time="07:30", where_to_go="Room 301.")
    advisor = StaffFactory()
    booking_advisor_assign(application=booking, advisor=advisor, actor=advisor)
    advisor_message_post(application=booking, author=advisor, body="Welcome; write to me any time.")
    # A completed booking with its review form, and a reviewed one with the host's answer.
    to_review = completed_booking(applicant=applicant)
    reviewed = completed_booking(applicant=applicant)
    answer_review(reviewed, "Thank you for your time with us.")
    # A completed rotation with its evaluation and certificate, and one whose evaluation is awaited.
    evaluated = completed_booking(applicant=applicant)
    evaluation_submit(application=evaluated, actor=advisor, **answers())
    awaited = completed_booking(applicant=applicant)
    # A completed booking with two letters of recommendation, one waived and received, one not.
    completed = completed_booking(applicant=applicant)
    for waived in (True, False):
        letter = letter_request(
            completed,
            waived=waived,
            preceptor=PreceptorFactory(organization=completed.block.rotation.organization),
        )
        letter_accept(letter=letter, actor=None, role=ActorRole.AUTHOR_LINK)
        if waived:
            letter_upload(
                letter=letter,
                actor=None,
                role=ActorRole.AUTHOR_LINK,
                file=SimpleUploadedFile("letter.pdf", letter_pdf_bytes(), "application/pdf"),
            )
    log_in(page, applicant.user.email)
    sweep(
        page,
        [
            "/me/",
            "/me/profile/",
            "/me/documents/",
            f"/me/applications/{application.pk}/",
            f"/me/applications/{booking.pk}/",
            f"/me/applications/{to_review.pk}/",
            f"/me/applications/{reviewed.pk}/",
            f"/me/applications/{evaluated.pk}/",
            f"/me/applications/{awaited.pk}/",
            f"/me/applications/{completed.pk}/",
            f"/me/applications/{completed.pk}/letters/new/",
            "/me/letter-waiver/",
            f"/me/applications/{awaiting.pk}/pay/deposit/",
            f"/me/payments/{paid.pk}/return/",
            f"/me/payments/{paid.pk}/receipt/",
            f"/apply/{block.pk}/",
            "/accounts/email/",
            "/accounts/password/change/",
            "/accounts/2fa/",
            "/accounts/tokens/",
            "/accounts/calendar/",
            "/accounts/reminders/",
        ],
    )


def test_every_host_page_works_by_keyboard(page):
    owner = OwnerFactory(totp=False)
    secret = totp_activate(owner.user)
    EmailAddressFactory(user=owner.user)
    organization = owner.organization
    PreceptorFactory(organization=organization)
    block = BlockFactory(rotation__organization=organization)
    application = ApplicationFactory(block=block, status=Application.Status.SUBMITTED)
    application.documents.add(DocumentFactory(applicant=application.applicant))
    InvitationFactory(organization=organization, invited_by=owner.user)
    review_written(completed_booking(block.rotation), 4)
    answer_review(completed_booking(block.rotation), "We hope to see you again.")
    # A completed booking: its page says the evaluation is to write, and the evaluation's form.
    completed = completed_booking(block__rotation__organization=organization)
    evaluated = completed_booking(block__rotation__organization=organization)
    evaluation_submit(application=evaluated, actor=owner.user, **answers())
    # Letters of recommendation the owner answers as their author, the preceptor of the rotation:
    # one to accept or decline, one accepted with a version to replace and a submission to confirm.
    authored = BlockFactory(
        rotation__organization=organization,
        rotation__preceptor=PreceptorFactory(organization=organization, user=owner.user),
        start_date=timezone.localdate() - timedelta(days=40),
        apply_by=timezone.localdate() - timedelta(days=70),
    )
    to_answer, answered = (
        letter_request(
            ApplicationFactory(
                block=authored, status=Application.Status.COMPLETED, submitted_at=timezone.now()
            )
        )
        for _ in range(2)
    )
    as_author = {"letter": answered, "actor": owner.user, "role": ActorRole.AUTHOR}
    letter_accept(**as_author)
    letter_upload(**as_author, file=SimpleUploadedFile("letter.pdf", letter_pdf_bytes(), "application/pdf"))
    log_in(page, owner.user.email, totp_secret=secret)
    sweep(
        page,
        [
            "/host/letters/",
            f"/host/letters/{to_answer.pk}/",
            f"/host/letters/{answered.pk}/",
            "/host/",
            "/host/applications/",
            f"/host/applications/{application.pk}/",
            f"/host/applications/{completed.pk}/",
            f"/host/applications/{completed.pk}/evaluation/",
            f"/host/applications/{evaluated.pk}/evaluation/",
            "/host/rotations/",
            "/host/rotations/new/",
            f"/host/rotations/{block.rotation.pk}/",
            f"/host/rotations/{block.rotation.pk}/edit/",
            f"/host/rotations/{block.rotation.pk}/first-day/",
            f"/host/blocks/{block.pk}/edit/",
            "/host/roster/",
            "/host/reviews/",
            "/host/calendar/",
            "/host/members/",
            "/host/preceptors/",
            "/accounts/calendar/",
            "/accounts/reminders/",
        ],
    )


def test_a_new_host_onboards_by_keyboard(page):
    user = UserFactory()
    EmailAddressFactory(user=user)
    log_in(page, user.email)
    sweep(page, ["/host/onboarding/"])


def test_the_public_and_account_pages_work_by_keyboard(page):
    # The page a consulate opens to check an enrollment letter, issued as an offer is accepted.
    offer = ApplicationFactory(
        status=Application.Status.OFFERED, submitted_at=timezone.now(), block__rotation__deposit_cents=0
    )
    application_accept(application=offer, actor=offer.applicant.user)
    letter = EnrollmentLetter.objects.get(application=offer)
    # A letter's author, without an account: a request waiting for an answer, one with a letter
    # uploaded, and a link replaced by a fresh one (its page offers another).
    waiting, uploaded = letter_request(), letter_request()
    letter_accept(letter=uploaded, actor=None, role=ActorRole.AUTHOR_LINK)
    letter_upload(
        letter=uploaded,
        actor=None,
        role=ActorRole.AUTHOR_LINK,
        file=SimpleUploadedFile("letter.pdf", letter_pdf_bytes(), "application/pdf"),
    )
    replaced = letter_author_token(waiting)
    Reminder.objects.update(created_at=timezone.now() - timedelta(hours=1))  # past the fresh link's limit
    letter_author_link_send(letter=waiting)
    waiting.refresh_from_db()
    # A rotation with reviews (one answered) and a track record, and its host's and preceptor's pages.
    rotation = RotationFactory()
    for _ in range(5):
        review_written(completed_booking(rotation), 5, 4, 3, 4)
    answer_review(completed_booking(rotation), "Thank you for your time with us.")
    # And the page that shows what a certificate of completion certifies.
    evaluated = completed_booking()
    evaluation_submit(application=evaluated, actor=StaffFactory(), **answers())
    certificate = CompletionCertificate.objects.get(application=evaluated)
    # The catalog and a rotation's page with the "Verified host" badge.
    verified = BlockFactory().rotation
    preceptor = verified.preceptor
    organization_verification_record(
        organization=verified.organization,
        actor=StaffFactory(),
        accreditation=Accreditation.JOINT_COMMISSION,
        preceptor_checks=[PreceptorCheckInput(preceptor, preceptor.npi_number, "036-123456", "IL")],
    )
    sweep(
        page,
        [
            "/",
            "/rotations/",
            f"/rotations/{verified.slug}/",
            "/accounts/login/",
            "/accounts/signup/",
            "/accounts/password/reset/",
            f"/verify/{letter.code}/",
            f"/letters/author/{letter_author_token(waiting)}/",
            f"/letters/author/{letter_author_token(uploaded)}/",
            f"/rotations/{rotation.slug}/",
            f"/hosts/{rotation.organization.slug}/",
            f"/hosts/{rotation.organization.slug}/preceptors/{rotation.preceptor.pk}/",
            f"/verify/{certificate.code_display}/",
        ],
    )
    assert page.goto(f"/letters/author/{replaced}/").status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This link was replaced by a newer one")
    assert_keyboard_complete(page)
    assert_no_serious_axe_violations(page)


def test_the_admin_pages_staff_use_work_by_keyboard(page):
    staff = StaffFactory(totp=False)
    EmailAddressFactory(user=staff)
    secret = totp_activate(staff)
    DocumentFactory(applicant=ApplicantFactory())
    booking = ApplicationFactory(status=Application.Status.CONFIRMED)
    booking_advisor_assign(application=booking, advisor=staff, actor=staff)
    review_written(completed_booking(), 3)
    organization = OwnerFactory().organization
    PreceptorFactory(organization=organization)
    log_in(page, staff.email, totp_secret=secret)
    for path in [
        "/admin/",
        "/admin/applicants/document/",
        f"/admin/applicants/applicant/{booking.applicant_id}/change/",
        "/admin/applicants/application/",
        "/admin/applicants/review/",
        f"/admin/applicants/application/{booking.pk}/advisor-message/",
        f"/admin/applicants/application/{booking.pk}/cancel/",
        f"/admin/applicants/application/{booking.pk}/move/",
        f"/admin/rotations/rotation/{booking.block.rotation_id}/change/",
        f"/admin/rotations/rotation/{booking.block.rotation_id}/blocks/{booking.block_id}/",
        "/admin/applicants/letterrequest/",
        f"/admin/applicants/letterrequest/{letter_request().pk}/change/",
        "/admin/applicants/letterfileaccess/",
        f"/admin/hosts/organization/{organization.pk}/change/",
        f"/admin/hosts/organization/{organization.pk}/record-verification/",
        f"/admin/hosts/organization/{organization.pk}/invite-member/",
        f"/admin/hosts/organization/withdraw-verification/?ids={organization.pk}",
        "/admin/hosts/membership/",
        f"/admin/applicants/application/{booking.pk}/history/",
        "/admin/amo/auditevent/",
        "/admin/amo/staffaccess/",
        "/admin/amo/reminder/",
        "/admin/applicants/evaluation/",
    ]:
        assert page.goto(path).status == 200
        assert_keyboard_complete(page)
        assert_no_serious_axe_violations(page)


def test_a_long_host_list_pages_by_keyboard(page):
    coordinator = MembershipFactory()
    EmailAddressFactory(user=coordinator.user)
    RotationFactory.create_batch(26, organization=coordinator.organization)
    log_in(page, coordinator.user.email)
    sweep(page, ["/host/rotations/", "/host/rotations/?page=2"])
    expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 2 of 2")
