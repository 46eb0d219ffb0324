"""The demo's verification records: each verified demo organization carries one, recorded by the demo
staff member through hosts.verification (what a visitor's "Verified host" badge reads). Idempotent:
an organization that has a record is left alone."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from hosts.models import Accreditation, Organization, OrganizationVerification, Preceptor
from hosts.verification import PreceptorCheckInput, organization_verification_record

# What each kind of host is plausibly accredited by.
ACCREDITATIONS_BY_KIND = {
    Organization.Kind.HOSPITAL: [Accreditation.JOINT_COMMISSION, Accreditation.DNV, Accreditation.ACHC],
    Organization.Kind.CLINIC: [Accreditation.AAAHC, Accreditation.STATE_LICENSE],
    Organization.Kind.PRIVATE_PRACTICE: [Accreditation.STATE_LICENSE, Accreditation.AAAHC],
    Organization.Kind.RESEARCH_INSTITUTE: [Accreditation.AAHRPP, Accreditation.ACGME],
}


@transaction.atomic
def seed_demo_verifications(*, staff) -> int:
    """Record a verification for each verified organization that has none; returns how many."""
    recorded = 0
    unrecorded = (
        Organization.objects.filter(is_verified=True)
        .exclude(pk__in=OrganizationVerification.objects.values("organization"))
        .order_by("pk")
    )
    preceptors_by_org: dict[int, list[Preceptor]] = {}
    for preceptor in Preceptor.objects.filter(organization__in=unrecorded).order_by("pk"):
        preceptors_by_org.setdefault(preceptor.organization_id, []).append(preceptor)
    today = timezone.localdate()
    for organization in unrecorded:
        # One generator per organization: the same record whatever else was seeded.
        rng = random.Random(f"demo-verification-{organization.slug}")
        accreditation = rng.choice(ACCREDITATIONS_BY_KIND[organization.kind])
        checks = [
            PreceptorCheckInput(
                preceptor=preceptor,
                npi_number=preceptor.npi_number,
                license_number=f"{rng.randint(100, 999)}-{rng.randint(100000, 999999)}",
                license_state=organization.state,
                checked_on=today - timedelta(days=rng.randint(0, 5)),
            )
            for preceptor in preceptors_by_org.get(organization.pk, [])
        ]
        organization_verification_record(
            organization=organization,
            actor=staff,
            accreditation=accreditation,
            accreditation_reference=f"{accreditation.name[:4]}-{rng.randint(10000, 99999)}",
            accreditation_expires_on=today + timedelta(days=rng.randint(180, 1000)),
            notes="Checked for the demo: the accreditor's directory, NPPES and the state board's lookup.",
            preceptor_checks=checks,
        )
        recorded += 1
    return recorded
