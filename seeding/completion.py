"""The demo applicant's completed rotation for `make run`: booked, started and completed, evaluated
by the demo preceptor (who gets a login of their own), with its certificate of completion.

Made as a person makes it, through the services the pages call: the host publishes the rotation
with a block, the applicant books it at once, the hourly advance starts and completes it, and the
preceptor, who joined the organization through an invitation, submits the evaluation (which issues
the certificate). One write is the seed's own: no service books a block that has ended, and the
seed's clock is the real one (time-machine is a test tool), so once booked the block's dates are
moved five weeks back, as if it had been booked then (its enrollment letter keeps the dates it was
issued with). Idempotent: a second run finds the rotation,
her booking and its evaluation, and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from amo.models import User
from applicants import services as applicant_services
from applicants.models import Applicant, Application, Evaluation
from hosts import services as host_services
from hosts.models import Membership, Organization, Preceptor
from rotations.cache import catalog_changed
from rotations.models import Block, DocumentKind, Rotation
from seeding.accounts import DEMO_LOGINS, demo_user
from seeding.trip import (
    _block_for,
    _demo_parties,
    _demo_preceptor,
    _demo_rotation,
    _documents_for,
    _statement,
    seed_demo_first_days,
)

COMPLETED_ROTATION = {
    "title": "Heart Failure Clinic Externship",
    "rotation_type": Rotation.Type.HANDS_ON,
    "setting": Rotation.Setting.OUTPATIENT,
    "description": "See patients in the heart failure clinic: titrate guideline therapy, read echoes "
    "with the fellow and present each patient to your preceptor. Funded by the department: no fee.",
    "required_document_kinds": [DocumentKind.CV, DocumentKind.PASSPORT],
    "booking_mode": Rotation.BookingMode.BOOK_NOW,
    "program_fee_cents": 0,
    "deposit_cents": 0,
    "balance_due_days_before_start": 0,
}
# The evaluation the demo preceptor wrote: strong, with one thing to work on, as real ones read.
EVALUATION = {
    "ratings": {
        "patient_care": 4,
        "medical_knowledge": 4,
        "practice_based_learning": 5,
        "interpersonal_communication": 4,
        "professionalism": 5,
        "systems_based_practice": 3,
    },
    "comments": {
        "patient_care": "Took careful histories and examined thoroughly; her plans were safe and sensible.",
        "medical_knowledge": "Knew guideline-directed therapy for heart failure well for her level.",
        "practice_based_learning": "Asked for feedback every day and came back having read on each case.",
        "interpersonal_communication": "Explained diuretics and daily weights to patients in plain words.",
        "professionalism": "Always on time, prepared, honest about what she did not know.",
        "systems_based_practice": "Should learn more about how U.S. insurance shapes discharge planning.",
    },
    "hours_completed": 156,
    "attendance": Evaluation.Attendance.EVERY_DAY,
    "days_missed": 0,
    "overall_comment": "Amina is among the best international graduates I have supervised. She would be "
    "an asset to any internal medicine program, and I would gladly write her a letter.",
}


def demo_completed_booking() -> Application | None:
    """The demo applicant's completed booking, with its evaluation and certificate, once
    seed_demo_completed made it; None before."""
    return (
        Application.objects.filter(
            applicant__user__email=DEMO_LOGINS["applicant"][0],
            block__rotation__title=COMPLETED_ROTATION["title"],
            status=Application.Status.COMPLETED,
        )
        .select_related("applicant__user", "block__rotation__organization", "block__rotation__preceptor")
        .first()
    )


def demo_preceptor_login(organization: Organization, preceptor: Preceptor, invited_by: User) -> User:
    """The demo preceptor's own login (DEMO_LOGINS["host preceptor"]): invited by the coordinator as
    this preceptor and accepted, as the members page and the emailed link do. Once."""
    user = demo_user(DEMO_LOGINS["host preceptor"][0], full_name=preceptor.full_name, is_host_member=True)
    if not Membership.objects.for_org(organization).filter(user=user).exists():
        invitation = host_services.invitation_create(
            organization=organization,
            invited_by=invited_by,
            email=user.email,
            role=Membership.Role.PRECEPTOR,
            preceptor=preceptor,
        )
        host_services.invitation_accept(invitation=invitation, user=user)
    return user


def _booked_and_completed(applicant: Applicant, rotation: Rotation, staff: User) -> Application:
    """Booked at once on a block starting today, its dates moved back (see the module's note), then
    started and completed by the hourly advance."""
    today = timezone.localdate()
    block = _block_for(rotation, today, today)
    application = applicant_services.application_book_now(
        applicant=applicant,
        block=block,
        personal_statement=_statement(rotation),
        documents=_documents_for(applicant, rotation),
    )
    applicant_services.booking_advisor_assign(application=application, advisor=staff, actor=staff)
    start = today - timedelta(weeks=block.weeks + 1)
    Block.objects.filter(pk=block.pk).update(start_date=start, apply_by=start)
    catalog_changed()  # an update sends no signal; the rotation's listed dates changed
    applicant_services.bookings_advance()
    application.refresh_from_db()
    return application


@transaction.atomic
def seed_demo_completed() -> Application | None:
    """The demo applicant's completed rotation with the demo organization's cardiologist, evaluated
    by them through their own login, with its certificate; returns the completed booking (None when
    the demo accounts or organization are missing)."""
    parties = _demo_parties()
    if parties is None:
        return None
    membership, applicant, staff = parties
    organization = membership.organization
    preceptor = _demo_preceptor(organization)
    if preceptor is None:
        return None
    preceptor_user = demo_preceptor_login(organization, preceptor, invited_by=membership.user)
    today = timezone.localdate()
    rotation = _demo_rotation(organization, preceptor, COMPLETED_ROTATION, start=today, apply_by=today)
    seed_demo_first_days(organization)
    if not Application.objects.filter(applicant=applicant, block__rotation=rotation).exists():
        _booked_and_completed(applicant, rotation, staff)
    booking = demo_completed_booking()
    if booking is not None and not Evaluation.objects.filter(application=booking).exists():
        applicant_services.evaluation_submit(application=booking, actor=preceptor_user, **EVALUATION)
    return booking
