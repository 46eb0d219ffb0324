"""The demo applicant's bookings for `make run`: one confirmed and starting within two weeks, one
under way, and the first day of every rotation of the demo organization.

Both bookings are made as a person makes them, through the services the pages call: the host
publishes a rotation with its first day and a block, the applicant applies and the coordinator
offers her a seat that she accepts (or she books at once), our staff assign her an advisor, and
the hourly advance starts a booking on its block's first day. Each service plans what follows on
its own (the enrollment letter, the reminders); the seed writes no status, no letter and no
reminder. Idempotent: a second run finds each rotation, and her application to it, whatever
became of it since.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone

from amo.models import User
from applicants import services as applicant_services
from applicants.models import Applicant, Application
from hosts.models import Membership, Organization, Preceptor
from rotations import services as rotation_services
from rotations.models import Block, DocumentKind, Rotation
from seeding.accounts import DEMO_LOGINS

# Titles the catalog's generator never makes (seeding.catalog.TYPE_WORDS), so each names one
# rotation of the demo organization.
CONFIRMED_ROTATION = {
    "title": "Cardiology Ward Clerkship",
    "rotation_type": Rotation.Type.HANDS_ON,
    "setting": Rotation.Setting.INPATIENT,
    "description": "Join the cardiology ward team: admit patients with chest pain and heart failure, "
    "present them on morning rounds and write notes your preceptor co-signs. Echo teaching twice a week.",
    "required_document_kinds": [
        DocumentKind.CV,
        DocumentKind.PASSPORT,
        DocumentKind.IMMUNIZATION_RECORD,
        DocumentKind.TB_TEST,
        DocumentKind.HEALTH_INSURANCE,
    ],
    "booking_mode": Rotation.BookingMode.HOST_REVIEW,
    "program_fee_cents": 2_400_00,
    # No deposit, so accepting the offer confirms the booking without a payment; the whole program
    # fee is the balance, charged on the first day, and its reminder goes out a week before.
    "deposit_cents": 0,
    "balance_due_days_before_start": 0,
}
UNDER_WAY_ROTATION = {
    "title": "Cardiology Research Elective",
    "rotation_type": Rotation.Type.RESEARCH,
    "setting": Rotation.Setting.OUTPATIENT,
    "description": "Join the department's study of readmissions after heart failure: chart review, "
    "data analysis and a poster for the spring research day. Funded by the department: no fee.",
    "required_document_kinds": [DocumentKind.CV, DocumentKind.PASSPORT],
    "booking_mode": Rotation.BookingMode.BOOK_NOW,
    "program_fee_cents": 0,
    "deposit_cents": 0,
    "balance_due_days_before_start": 0,
}
COMMON_TERMS = {
    "accepts_students": True,
    "accepts_graduates": True,
    "requires_english_proficiency": True,
    "offers_lor": True,
    "application_fee_cents": 0,
    "cancellation_policy": Rotation.CancellationPolicy.MODERATE,
    "weekly_hours": 40,
}


def first_day_of(rotation: Rotation) -> dict:
    """What the demo organization tells a booked applicant about the first day of `rotation`."""
    return {
        "arrival_time": time(7, 30),
        "where_to_go": f"Main entrance on {rotation.organization.address_line}; take the elevators to the "
        f"4th floor and follow the signs to {rotation.specialty.name}.",
        "ask_for": "Dana Whitfield, rotation coordinator",
        "dress_code": "Business casual with a white coat; closed-toe shoes.",
        "what_to_bring": "Your passport, the enrollment letter, your immunization record and a stethoscope.",
    }


def seed_demo_first_days(organization: Organization) -> int:
    """Give each rotation of the demo organization without first-day information the demo's, as its
    host writes it (rotations.services.first_day_update); returns how many were written."""
    written = 0
    without = Rotation.objects.for_org(organization).filter(first_day__isnull=True)
    for rotation in without.select_related("organization", "specialty").order_by("pk"):
        rotation_services.first_day_update(rotation=rotation, **first_day_of(rotation))
        written += 1
    return written


def _demo_preceptor(organization: Organization) -> Preceptor:
    """The demo organization's cardiologist (seeding.catalog gives it one first). Not a preceptor of
    the seed's own: the catalog draws each rotation's preceptor from its organization's, so one more
    would change what a second run of the catalog's seed generates."""
    return Preceptor.objects.for_org(organization).filter(specialty__slug="cardiology").order_by("pk").first()


def _block_for(rotation: Rotation, start: date, apply_by: date) -> Block:
    """The rotation's block starting on `start`, added as its host adds one if there is none."""
    block = rotation.blocks.filter(start_date=start).first()
    if block is None:
        block = rotation_services.block_create(
            rotation=rotation, start_date=start, capacity=4, apply_by=apply_by
        )
    return block


def _demo_rotation(
    organization: Organization, preceptor: Preceptor, fields: dict, *, start: date, apply_by: date
) -> Rotation:
    """The demo organization's rotation of `fields`, taught by `preceptor`, created and published as
    its host does with a block starting on `start`."""
    rotation = Rotation.objects.for_org(organization).filter(title=fields["title"]).first()
    if rotation is not None:
        return rotation
    rotation = rotation_services.rotation_create(
        organization=organization,
        preceptor=preceptor,
        specialty=preceptor.specialty,
        **COMMON_TERMS,
        **fields,
    )
    _block_for(rotation, start, apply_by)
    return rotation_services.rotation_publish(rotation=rotation)


def _documents_for(applicant: Applicant, rotation: Rotation) -> list:
    required = set(rotation.required_document_kinds)
    return [document for document in applicant.documents.all() if document.kind in required]


def _statement(rotation: Rotation) -> str:
    return f"I would like to join the {rotation.specialty} team for the {rotation.title.lower()}."


def _confirmed_booking(
    applicant: Applicant, coordinator: User, rotation: Rotation, block: Block
) -> Application:
    """Applied to, offered by the coordinator and accepted: with no deposit, confirmed at once."""
    application = applicant_services.application_apply(
        applicant=applicant,
        block=block,
        personal_statement=_statement(rotation),
        documents=_documents_for(applicant, rotation),
    )
    applicant_services.application_offer(application=application, actor=coordinator)
    return applicant_services.application_accept(application=application, actor=applicant.user)


def _booking_under_way(applicant: Applicant, rotation: Rotation, block: Block) -> Application:
    """Booked at once on a block that starts today, then started by the hourly advance.

    A rotation under way needs a block that has started, and none can be booked once it has (the
    services refuse an offer after the start, and a block is neither created in the past nor moved
    while it holds a seat); the seed's clock is the real one (time-machine is a test tool). So the
    block starts on the day of the seed, the last day a booking can still be made for it, and the
    advance the hourly task runs starts it the same day: a rotation on its first day, further along
    each day the demo keeps running.
    """
    application = applicant_services.application_book_now(
        applicant=applicant,
        block=block,
        personal_statement=_statement(rotation),
        documents=_documents_for(applicant, rotation),
    )
    applicant_services.bookings_advance()
    return application


def _demo_parties() -> tuple[Membership, Applicant, User] | None:
    """The demo organization's coordinator membership, the demo applicant and the demo staff user,
    once seeded; None before."""
    membership = (
        Membership.objects.filter(user__email=DEMO_LOGINS["host coordinator"][0])
        .select_related("organization", "user")
        .first()
    )
    applicant = (
        Applicant.objects.filter(user__email=DEMO_LOGINS["applicant"][0]).select_related("user").first()
    )
    staff = User.objects.filter(email=DEMO_LOGINS["staff"][0], is_staff=True).first()
    if membership is None or applicant is None or staff is None:
        return None
    return membership, applicant, staff


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=-day.weekday() % 7)


@transaction.atomic
def seed_demo_bookings() -> list[Application]:
    """The demo applicant's two bookings with the demo organization, each with an advisor (the
    demo staff user), and the first day of each of its rotations; returns the bookings made now.

    - Confirmed: a ward clerkship whose block starts on the first Monday at least 8 days away (so
      within two weeks, with its 7- and 1-day reminders and the balance's still to come).
    - Under way: a research elective booked at once and started today (see _booking_under_way).
    """
    parties = _demo_parties()
    preceptor = parties and _demo_preceptor(parties[0].organization)
    if preceptor is None:
        return []
    membership, applicant, staff = parties
    organization = membership.organization
    today = timezone.localdate()
    start = _monday_on_or_after(today + timedelta(days=8))
    clerkship = _demo_rotation(
        organization, preceptor, CONFIRMED_ROTATION, start=start, apply_by=start - timedelta(days=7)
    )
    elective = _demo_rotation(organization, preceptor, UNDER_WAY_ROTATION, start=today, apply_by=today)
    seed_demo_first_days(organization)
    made = []
    if not Application.objects.filter(applicant=applicant, block__rotation=clerkship).exists():
        block = _block_for(clerkship, start, start - timedelta(days=7))
        made.append(_confirmed_booking(applicant, membership.user, clerkship, block))
    if not Application.objects.filter(applicant=applicant, block__rotation=elective).exists():
        made.append(_booking_under_way(applicant, elective, _block_for(elective, today, today)))
    for booking in made:
        applicant_services.booking_advisor_assign(application=booking, advisor=staff, actor=staff)
        booking.refresh_from_db()
    return made
