"""Real bookings behind the demo catalog's taken seats, and one open offer to try the lifecycle with.

A seat is taken only by a seat hold (rotations.models.SeatHold); `seats_taken` is their cache. The
demo catalog fills about one block in ten and part of the rest, so every seat it counts as taken
gets a confirmed application of a placeholder applicant (booked-NN@demo.amo.test, who cannot sign
in: no usable password) and its booking hold. Bulk-inserted, as the catalog itself: thousands of
bookings through the seat service one by one would make `make run` wait.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from amo.models import User
from applicants import services as applicant_services
from applicants.models import Applicant, Application, ApplicationTransition
from applicants.readiness import is_ready, readiness_checklist
from applicants.terms import terms_offered
from applicants.workflow import ActorRole
from hosts.models import Membership
from rotations.models import Block, Rotation, SeatHold
from seeding.accounts import DEMO_LOGINS

# Enough placeholder applicants that each holds few seats; a block has at most 6 (seeding.catalog).
BOOKED_APPLICANTS = 60
SEEDED_BOOKING = "A booking made by the demo seed."


def booked_email(number: int) -> str:
    return f"booked-{number:02d}@demo.amo.test"


def booked_applicants() -> list[Applicant]:
    """The placeholder applicants, made once (a second call finds them)."""
    emails = [booked_email(number) for number in range(1, BOOKED_APPLICANTS + 1)]
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(
                email=email, full_name=f"Booked Applicant {number:02d}", is_applicant=True, password=unusable
            )
            for number, email in enumerate(emails, start=1)
        ],
        ignore_conflicts=True,
    )
    users = User.objects.filter(email__in=emails).order_by("email")
    Applicant.objects.bulk_create(
        [Applicant(user=user, legal_name=user.full_name) for user in users], ignore_conflicts=True
    )
    return list(Applicant.objects.filter(user__email__in=emails).order_by("user__email"))


def bookings_behind_taken_seats(blocks: list[Block]) -> int:
    """For each new block (saved, with its rotation), one confirmed application and booking hold per
    seat its `seats_taken` counts; returns how many. Placeholder k of a block's seats is a different
    applicant for each seat, so none applies twice to one block."""
    taken = [block for block in blocks if block.seats_taken]
    if not taken:
        return 0
    applicants = booked_applicants()
    now = timezone.now()
    applications = []
    for index, block in enumerate(taken):
        for seat in range(block.seats_taken):
            applications.append(
                Application(
                    applicant=applicants[(index * 7 + seat) % len(applicants)],
                    block=block,
                    status=Application.Status.CONFIRMED,
                    application_fee_status=Application.FeeStatus.PAID,
                    submitted_at=now - timedelta(days=14),
                    terms_agreed_at=now - timedelta(days=14),
                    **terms_offered(block.rotation).fields(),
                )
            )
    Application.objects.bulk_create(applications, batch_size=2000)
    SeatHold.objects.bulk_create(
        [
            SeatHold(block_id=a.block_id, application=a, kind=SeatHold.Kind.BOOKING, created_at=now)
            for a in applications
        ],
        batch_size=2000,
    )
    ApplicationTransition.objects.bulk_create(
        [
            ApplicationTransition(
                application=a,
                from_status=Application.Status.SUBMITTED,
                to_status=Application.Status.CONFIRMED,
                actor_role=ActorRole.SYSTEM,
                reason=SEEDED_BOOKING,
            )
            for a in applications
        ],
        batch_size=2000,
    )
    return len(applications)


@transaction.atomic
def seed_demo_offer() -> Application | None:
    """An open offer for the demo applicant on a demo organization's block she is ready for, made
    by the demo coordinator through the services: signed in as the demo applicant, a newcomer
    accepts or declines it. Once: a second run finds her application there, whatever became of it."""
    membership = (
        Membership.objects.filter(user__email=DEMO_LOGINS["host coordinator"][0])
        .select_related("organization", "user")
        .first()
    )
    applicant = (
        Applicant.objects.filter(user__email=DEMO_LOGINS["applicant"][0]).select_related("user").first()
    )
    if membership is None or applicant is None:
        return None
    if Application.objects.for_org(membership.organization).filter(applicant=applicant).exists():
        return None
    today = timezone.localdate()
    documents = list(applicant.documents.all())
    blocks = (
        Block.objects.for_org(membership.organization)
        .filter(
            rotation__status=Rotation.Status.PUBLISHED,
            start_date__gt=today + timedelta(days=7),
            apply_by__gte=today,
        )
        .select_related("rotation")
        .order_by("start_date", "pk")
    )
    for block in blocks:
        checklist = readiness_checklist(applicant=applicant, block=block, documents=documents)
        if block.seats_left and is_ready(checklist):
            break
    else:
        return None
    required = set(block.rotation.required_document_kinds)
    application = applicant_services.application_draft_save(
        applicant=applicant,
        block=block,
        personal_statement=f"I would like to join the {block.rotation.specialty} team for this block.",
        documents=[document for document in documents if document.kind in required],
    )
    applicant_services.application_submit(application=application, actor=applicant.user)
    return applicant_services.application_offer(application=application, actor=membership.user)
