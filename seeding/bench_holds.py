"""The seat-hold benchmark's stage: one book-now block with a few seats and many ready applicants,
bulk-inserted before anything is timed, for `manage.py bench --only holds`. Its organization's slug
starts with `holds-bench-`, so `holds_stage_remove()` takes away every row it made.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from amo.models import Notification, User
from applicants.models import Applicant, Application, Document
from hosts.models import Membership, Organization
from rotations.models import Block, DocumentKind, Rotation, SeatHold, Specialty

HOLDS_SLUG_PREFIX = "holds-bench-"
PDF_BYTES = b"%PDF-1.4\n%%EOF\n"


@dataclass(frozen=True)
class HoldsStage:
    block: Block
    warm_up_block: Block
    # (applicant, the ids of the documents it sends); the first warm_up_seats are for the warm-up block.
    applicants: list[tuple[Applicant, list[int]]]


def seed_holds_stage(
    *, applicants: int, seats: int, warm_up_seats: int = 1, prefix: str = HOLDS_SLUG_PREFIX
) -> HoldsStage:
    """A verified host with a book-now rotation (deposit, CV required), a `seats`-seat block and a
    `warm_up_seats`-seat warm-up block, and `applicants` + `warm_up_seats` ready applicants:
    graduates with Step 1 passed, a verified email and a verified CV. Written in one transaction
    with bulk inserts. Another bench's stage has its own `prefix` (slugs; emails at
    `@<prefix>.test`), out of reach of holds_stage_remove()."""
    run = time.time_ns()
    domain = prefix.rstrip("-") + ".test"
    start = timezone.localdate() + timedelta(days=60)
    with transaction.atomic():
        organization = Organization.objects.create(
            name=f"Holds Bench Hospital {run}",
            slug=f"{prefix}{run}",
            kind=Organization.Kind.HOSPITAL,
            address_line="1 Bench Street",
            city="Chicago",
            state="IL",
            zip_code="60601",
            is_verified=True,
        )
        coordinator = User.objects.create(email=f"coordinator-{run}@{domain}", is_host_member=True)
        Membership.objects.create(
            organization=organization, user=coordinator, role=Membership.Role.COORDINATOR
        )
        specialty, _ = Specialty.objects.get_or_create(
            slug="internal-medicine", defaults={"name": "Internal Medicine"}
        )
        rotation = Rotation.objects.create(
            organization=organization,
            specialty=specialty,
            title="Internal Medicine Externship (book now)",
            slug=f"{prefix}{run}-im",
            rotation_type=Rotation.Type.HANDS_ON,
            setting=Rotation.Setting.INPATIENT,
            description="Four weeks on the inpatient medicine service.",
            application_fee_cents=10_000,
            program_fee_cents=250_000,
            deposit_cents=50_000,
            required_document_kinds=[DocumentKind.CV],
            booking_mode=Rotation.BookingMode.BOOK_NOW,
            status=Rotation.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        block, warm_up_block = (
            Block.objects.create(
                rotation=rotation,
                start_date=start + timedelta(weeks=offset),
                weeks=4,
                capacity=capacity,
                apply_by=start - timedelta(days=1),
            )
            for offset, capacity in ((0, seats), (8, warm_up_seats))
        )
        users = User.objects.bulk_create(
            User(
                email=f"applicant-{run}-{i}@{domain}",
                full_name=f"Bench Applicant {i}",
                is_applicant=True,
            )
            for i in range(applicants + warm_up_seats)
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
        )
        people = Applicant.objects.bulk_create(
            Applicant(
                user=user,
                legal_name=user.full_name,
                citizenship="NG",
                country_of_residence="NG",
                medical_school_name="University of Lagos College of Medicine",
                medical_school_country="NG",
                training_status=Applicant.TrainingStatus.GRADUATE,
                graduation_year=2024,
                step1_result=Applicant.Step1Result.PASS,
                visa_status="b1_b2",
            )
            for user in users
        )
        documents = Document.objects.bulk_create(
            Document(
                applicant=person,
                kind=DocumentKind.CV,
                file=f"holds-bench/{run}/{person.pk}-cv.pdf",  # never read: readiness judges the record
                original_filename="cv.pdf",
                content_type="application/pdf",
                size_bytes=len(PDF_BYTES),
                sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
                verification_status=Document.VerificationStatus.VERIFIED,
            )
            for person in people
        )
    return HoldsStage(
        block=block,
        warm_up_block=warm_up_block,
        applicants=[(person, [document.pk]) for person, document in zip(people, documents, strict=True)],
    )


def holds_stage_remove() -> int:
    """Delete every row the stage made (and the bookings, holds and notifications of its runs)."""
    with transaction.atomic():
        organizations = Organization.objects.filter(slug__startswith=HOLDS_SLUG_PREFIX)
        blocks = Block.objects.filter(rotation__organization__in=organizations)
        users = User.objects.filter(email__endswith="@holds-bench.test")
        SeatHold.objects.filter(block__in=blocks).delete()
        Application.objects.filter(block__in=blocks).delete()
        Notification.objects.filter(recipient__in=users).delete()
        removed, _ = users.delete()
        blocks.delete()
        Rotation.objects.filter(organization__in=organizations).delete()
        organizations.delete()
    return removed
