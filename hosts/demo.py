"""Demo data for the host dashboard: a review queue for the demo coordinator's organization.

Call `seed_host_demo()` after the catalog's seed (which makes the demo coordinator a member of a
demo organization with published rotations and blocks). Idempotent: a second run changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from amo.demo import DEMO_LOGINS, demo_user
from applicants.models import Applicant, Application
from applicants.workflow import Role, transition
from hosts.models import Membership
from rotations.models import Block

DEMO_APPLICANTS = [
    ("ifeoma.nwosu@demo.amo.test", "Ifeoma Nwosu", "NG", "University of Nigeria"),
    ("arjun.mehta@demo.amo.test", "Arjun Mehta", "IN", "Grant Medical College"),
    ("lucia.ferreira@demo.amo.test", "Lúcia Ferreira", "BR", "Universidade de São Paulo"),
    ("omar.haddad@demo.amo.test", "Omar Haddad", "EG", "Cairo University Faculty of Medicine"),
]


@transaction.atomic
def seed_host_demo() -> int:
    """Submitted applications from demo IMGs to the demo coordinator's blocks; returns how many exist."""
    membership = (
        Membership.objects.filter(user__email=DEMO_LOGINS["host coordinator"][0])
        .select_related("organization")
        .first()
    )
    if membership is None:
        return 0
    blocks = list(
        Block.objects.for_org(membership.organization)
        .filter(rotation__status="published", start_date__gt=timezone.now().date())
        .select_related("rotation")
        .order_by("start_date")[:2]
    )
    if not blocks:
        return 0
    count = 0
    for index, (email, name, country, school) in enumerate(DEMO_APPLICANTS):
        user = demo_user(email, full_name=name, is_applicant=True)
        applicant, _ = Applicant.objects.get_or_create(
            user=user,
            defaults={
                "legal_name": name,
                "citizenship": country,
                "country_of_residence": country,
                "medical_school_name": school,
                "medical_school_country": country,
                "training_status": Applicant.TrainingStatus.GRADUATE,
                "graduation_year": 2023,
                "step1_result": Applicant.Step1Result.PASS,
                "visa_status": "b1_b2",
            },
        )
        block = blocks[index % len(blocks)]
        application, _ = Application.objects.get_or_create(
            applicant=applicant,
            block=block,
            defaults={
                "personal_statement": f"{name} seeks U.S. clinical experience in {block.rotation.specialty}.",
                "application_fee_cents": block.rotation.application_fee_cents,
                "application_fee_status": Application.FeeStatus.PAID,
            },
        )
        if application.status == Application.Status.DRAFT:
            # Through the workflow, so the demo's timelines show the submission like real ones.
            transition(
                application,
                Application.Status.SUBMITTED,
                actor=user,
                role=Role.APPLICANT,
                submitted_at=timezone.now(),
            )
        count += 1
    return count
