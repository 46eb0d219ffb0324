"""Demo data for the host dashboard: a review queue for the demo coordinator's organization.

Call `seed_host_demo()` after the catalog's seed (which makes the demo coordinator a member of a
demo organization with published rotations and blocks). Idempotent: a second run changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from amo.models import User
from applicants import services as applicant_services
from applicants.models import Applicant, Application
from applicants.services import EXPIRING_KINDS
from hosts.models import Membership
from rotations.models import Block, Rotation, VisaType
from seeding.accounts import DEMO_LOGINS, demo_user
from seeding.applicants import DEMO_PDF, demo_profile_fill

DEMO_APPLICANTS = [
    ("ifeoma.nwosu@demo.amo.test", "Ifeoma Nwosu", "NG", "University of Nigeria"),
    ("arjun.mehta@demo.amo.test", "Arjun Mehta", "IN", "Grant Medical College"),
    ("lucia.ferreira@demo.amo.test", "Lúcia Ferreira", "BR", "Universidade de São Paulo"),
    ("omar.haddad@demo.amo.test", "Omar Haddad", "EG", "Cairo University Faculty of Medicine"),
]
DEMO_STEP2_SCORE = 248
DEMO_VISA = VisaType.B1_B2


def _demo_blocks(membership: Membership) -> list[Block]:
    """Blocks still open for applications whose requirements a graduate with the demo profile meets."""
    today = timezone.now().date()
    return list(
        Block.objects.for_org(membership.organization)
        .filter(
            Q(rotation__accepted_visa_types=[]) | Q(rotation__accepted_visa_types__contains=[DEMO_VISA]),
            Q(rotation__min_step2_score__isnull=True) | Q(rotation__min_step2_score__lte=DEMO_STEP2_SCORE),
            rotation__status=Rotation.Status.PUBLISHED,
            rotation__accepts_graduates=True,
            start_date__gt=today,
            apply_by__gte=today,
        )
        .select_related("rotation")
        .order_by("start_date")[:2]
    )


def _demo_applicant(user: User, name: str, country: str, school: str) -> Applicant:
    applicant = applicant_services.applicant_create(user=user)
    # Profiles an older seed left incomplete (without scores, say) are completed too.
    demo_profile_fill(
        applicant=applicant,
        profile={
            "legal_name": name,
            "date_of_birth": date(1996, 5, 20),
            "citizenship": country,
            "country_of_residence": country,
            "medical_school_name": school,
            "medical_school_country": country,
            "training_status": Applicant.TrainingStatus.GRADUATE,
            "graduation_year": 2023,
            "step1_result": Applicant.Step1Result.PASS,
            "step1_date": date(2022, 9, 12),
            "step2_score": DEMO_STEP2_SCORE,
            "step2_date": date(2023, 8, 21),
            "english_proficiency": Applicant.EnglishProficiency.OET,
            "visa_status": DEMO_VISA,
            "phone": "+1 312 555 0100",
        },
    )
    return applicant


def _demo_documents(applicant: Applicant, block: Block, staff: User) -> list:
    """The documents the block's rotation requires, uploaded and verified by staff as real ones are."""
    present = {document.kind: document for document in applicant.documents.all()}
    # Expiring kinds stay valid well past the block, as readiness asks.
    expires_on = block.end_date + timedelta(days=365)
    documents = []
    for kind in block.rotation.required_document_kinds:
        document = present.get(kind)
        if document is None:
            document = applicant_services.document_upload(
                applicant=applicant,
                kind=kind,
                uploaded_file=SimpleUploadedFile(f"{kind}.pdf", DEMO_PDF, content_type="application/pdf"),
                expires_on=expires_on if kind in EXPIRING_KINDS else None,
            )
        documents.append(applicant_services.document_verify(document=document, actor=staff))
    return documents


@transaction.atomic
def seed_host_demo() -> int:
    """Submitted applications from ready demo IMGs to the demo coordinator's blocks; returns how many exist.

    Each demo IMG has a complete profile and the documents the block requires, verified by the demo
    staff user, and applies through the same services as the apply page.
    """
    membership = (
        Membership.objects.filter(user__email=DEMO_LOGINS["host coordinator"][0])
        .select_related("organization")
        .first()
    )
    staff = User.objects.filter(email=DEMO_LOGINS["staff"][0], is_staff=True).first()
    if membership is None or staff is None:
        return 0
    owner = User.objects.filter(email=DEMO_LOGINS["host owner"][0]).first()
    if owner is not None:
        # The owner's pages (members, invitations) and the two-factor rule can be tried too.
        Membership.objects.get_or_create(
            organization=membership.organization, user=owner, defaults={"role": Membership.Role.OWNER}
        )
    blocks = _demo_blocks(membership)
    if not blocks:
        return 0
    count = 0
    for index, (email, name, country, school) in enumerate(DEMO_APPLICANTS):
        user = demo_user(email, full_name=name, is_applicant=True)
        applicant = _demo_applicant(user, name, country, school)
        # Once: a second run finds the application on whichever block it went to, though the
        # organization's blocks open to apply change with the days and with seeding.trip's own.
        application = (
            Application.objects.for_org(membership.organization)
            .filter(applicant=applicant)
            .select_related("block__rotation")
            .first()
        )
        block = application.block if application is not None else blocks[index % len(blocks)]
        documents = _demo_documents(applicant, block, staff)
        if application is None or application.status == Application.Status.DRAFT:
            application = applicant_services.application_draft_save(
                applicant=applicant,
                block=block,
                personal_statement=f"{name} seeks U.S. clinical experience in {block.rotation.specialty}.",
                documents=documents,
                application=application,
            )
            applicant_services.application_submit(application=application, actor=user)
        else:
            # An older seed submitted without documents; the host should see what readiness judged.
            application.documents.add(*documents)
        count += 1
    return count
