"""Reviews for the demo: applicants who completed rotations of the demo organization review them,
and its coordinator answers some, so two rotations show their ratings (from 5 reviews each) and
the organization its answers to applications.

A completed booking needs a block in the past, and the services take no block, application or
offer in the past; so the seed moves the clock back (time-machine, a development tool the
development stack installs) and lives each booking as it happened: the block is added, the
reviewer applies, the coordinator offers a seat a day or more later, the reviewer accepts and our
staff record the program fee paid by bank transfer, the hourly advance starts the rotation and
completes it, and the reviewer writes a review a few days after. Idempotent: a second run finds each
reviewer's application to each rotation, and goes on from where it stands.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from amo.models import User
from applicants import services as applicant_services
from applicants.models import Applicant, Application, Review
from hosts.models import Membership
from payments.models import Payment
from payments.services import payment_record_received
from rotations import services as rotation_services
from rotations.models import Block, Rotation
from seeding.accounts import DEMO_LOGINS, demo_user
from seeding.host_queue import DEMO_STEP2_SCORE, DEMO_VISA, _demo_applicant, _demo_documents

REVIEWERS = [
    ("amara.okafor@demo.amo.test", "Amara Okafor", "NG", "University of Ibadan"),
    ("priya.raman@demo.amo.test", "Priya Raman", "IN", "Madras Medical College"),
    ("mateo.silva@demo.amo.test", "Mateo Silva", "BR", "Universidade Federal do Rio de Janeiro"),
    ("yasmin.farouk@demo.amo.test", "Yasmin Farouk", "EG", "Ain Shams University"),
    ("kwame.mensah@demo.amo.test", "Kwame Mensah", "GH", "University of Ghana Medical School"),
    ("sana.qureshi@demo.amo.test", "Sana Qureshi", "PK", "King Edward Medical University"),
]
# Each reviewer's ratings (teaching, hands-on involvement, organization, value) and words, by rotation.
REVIEWS = [
    [
        ((5, 4, 4, 5), "Daily teaching rounds and real responsibility for my patients. Worth every dollar."),
        ((4, 4, 3, 4), "Busy service and kind residents. The first day was a little chaotic."),
        ((5, 5, 4, 4), "I presented every morning and got feedback each time. I left with a strong letter."),
        ((4, 3, 4, 4), "Good teaching, though I observed more than I expected in the first week."),
        ((5, 4, 5, 5), "Well organized from the first email to the last day."),
        ((3, 4, 3, 3), "Solid experience, but housing information came late."),
    ],
    [
        ((4, 4, 4, 3), "Friendly team and a steady clinic; the fee felt high for four weeks."),
        ((5, 4, 4, 4), "My preceptor took time to teach between patients."),
        ((4, 3, 5, 4), "Everything was ready on day one: badge, schedule and a locker."),
        ((4, 4, 4, 4), "A good look at U.S. outpatient care."),
        ((5, 5, 4, 5), "Hands-on from the first week, with notes co-signed every day."),
    ],
]
# The coordinator answers these reviews (by their place in REVIEWS).
ANSWERED = {
    (0, 1): "Thank you: we now send the first-day schedule a week ahead.",
    (1, 0): "Thank you for the note.",
}
# When each rotation's past block started: Mondays well before today, one rotation after the other.
WEEKS_AGO = [30, 18]


def _monday_weeks_ago(weeks: int) -> date:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday(), weeks=weeks)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def _rotations(membership: Membership) -> list[Rotation]:
    """Published host-review rotations of the demo organization, with a deposit, whose requirements
    a demo graduate meets, the same ones on every run (the oldest first)."""
    return list(
        Rotation.objects.for_org(membership.organization)
        .filter(
            Q(accepted_visa_types=[]) | Q(accepted_visa_types__contains=[DEMO_VISA]),
            Q(min_step2_score__isnull=True) | Q(min_step2_score__lte=DEMO_STEP2_SCORE),
            status=Rotation.Status.PUBLISHED,
            booking_mode=Rotation.BookingMode.HOST_REVIEW,
            accepts_graduates=True,
            # Accepting awaits the deposit, and staff record the whole fee paid: nothing is left due.
            deposit_cents__gt=0,
        )
        .order_by("pk")[: len(REVIEWS)]
    )


def _past_block(rotation: Rotation, start: date, reviewers: list[Applicant]) -> Block:
    """The past block the reviewers booked on the rotation in an earlier run, whatever day that was;
    else one starting on `start`, added as its host adds one, 5 weeks before it."""
    block = (
        Block.objects.filter(rotation=rotation, applications__applicant__in=reviewers)
        .order_by("start_date")
        .first()
    )
    if block is None:
        with time_machine.travel(_at(start - timedelta(weeks=5)), tick=False):
            block = rotation_services.block_create(
                rotation=rotation,
                start_date=start,
                capacity=len(REVIEWERS),
                apply_by=start - timedelta(days=7),
            )
    return block


def _completed(reviewer, block: Block, coordinator: User, staff: User, offset: int) -> Application:
    """The reviewer's booking on `block`, lived through to its completion (see the module's words)."""
    application = Application.objects.filter(applicant=reviewer, block=block).first()
    if application is not None and application.status == Application.Status.COMPLETED:
        return application
    if application is None:
        with time_machine.travel(_at(block.start_date - timedelta(days=28)), tick=False):
            application = applicant_services.application_apply(
                applicant=reviewer,
                block=block,
                personal_statement=f"I would like to join the {block.rotation.specialty} team.",
                documents=_demo_documents(reviewer, block, staff),
            )
        with time_machine.travel(_at(block.start_date - timedelta(days=27 - offset)), tick=False):
            applicant_services.application_offer(application=application, actor=coordinator)
            applicant_services.application_accept(application=application, actor=reviewer.user)
            payment_record_received(
                application=application,
                purpose=Payment.Purpose.FULL,
                method=Payment.Method.BANK_TRANSFER,
                reference=f"DEMO-{application.pk}",
                actor=staff,
            )
    for day in (block.start_date, block.end_date + timedelta(days=1)):
        with time_machine.travel(_at(day, hour=6), tick=False):
            applicant_services.bookings_advance()
    application.refresh_from_db()
    return application


@transaction.atomic
def seed_demo_reviews() -> int:
    """Completed bookings of the demo reviewers on two rotations of the demo organization, each
    reviewed, some answered by the coordinator; returns how many reviews the seed's bookings have."""
    membership = (
        Membership.objects.filter(user__email=DEMO_LOGINS["host coordinator"][0])
        .select_related("organization", "user")
        .first()
    )
    staff = User.objects.filter(email=DEMO_LOGINS["staff"][0], is_staff=True).first()
    if membership is None or staff is None:
        return 0
    reviewers = [
        _demo_applicant(demo_user(email, full_name=name, is_applicant=True), name, country, school)
        for email, name, country, school in REVIEWERS
    ]
    written = 0
    for place, (rotation, weeks) in enumerate(zip(_rotations(membership), WEEKS_AGO, strict=False)):
        block = _past_block(rotation, _monday_weeks_ago(weeks), reviewers)
        for number, ((ratings, text), reviewer) in enumerate(zip(REVIEWS[place], reviewers, strict=False)):
            application = _completed(reviewer, block, membership.user, staff, offset=number)
            if application.status != Application.Status.COMPLETED:
                continue
            review = Review.objects.filter(application=application).first()
            if review is None:
                teaching, hands_on, organization, value = ratings
                with time_machine.travel(_at(block.end_date + timedelta(days=3 + number)), tick=False):
                    review = applicant_services.review_submit(
                        application=application,
                        actor=reviewer.user,
                        teaching_rating=teaching,
                        hands_on_rating=hands_on,
                        organization_rating=organization,
                        value_rating=value,
                        text=text,
                    )
                    answer = ANSWERED.get((place, number))
                    if answer:
                        applicant_services.review_answer(review=review, actor=membership.user, text=answer)
            written += 1
    return written
