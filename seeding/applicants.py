"""The demo applicant for `make run`: a complete profile and verified documents, ready to apply.

Idempotent: a second run changes nothing (documents are added only for kinds the vault lacks).
"""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from amo.models import User
from applicants import services
from applicants.models import Applicant
from applicants.selectors import profile_completeness
from rotations.models import DocumentKind, Specialty

# A minimal real PDF (header and trailer), enough for the vault's content checks.
DEMO_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

DEMO_PROFILE = {
    "legal_name": "Amina Okafor",
    "date_of_birth": date(1997, 3, 14),
    "citizenship": "NG",
    "country_of_residence": "NG",
    "medical_school_name": "University of Lagos College of Medicine",
    "medical_school_country": "NG",
    "training_status": Applicant.TrainingStatus.GRADUATE,
    "graduation_year": 2024,
    "step1_result": Applicant.Step1Result.PASS,
    "step1_date": date(2023, 6, 2),
    "english_proficiency": Applicant.EnglishProficiency.OET,
    "visa_status": "b1_b2",
    "phone": "+234 803 555 0142",
}

# Kinds most rotations ask for; the ones that expire get a date well past the demo's blocks.
DEMO_DOCUMENTS = {
    DocumentKind.CV: None,
    DocumentKind.PASSPORT: None,
    DocumentKind.USMLE_SCORE_REPORT: None,
    DocumentKind.DIPLOMA_OR_ENROLLMENT: None,
    DocumentKind.IMMUNIZATION_RECORD: date(2028, 12, 31),
    DocumentKind.TB_TEST: date(2028, 12, 31),
    DocumentKind.HEALTH_INSURANCE: date(2028, 12, 31),
    DocumentKind.BLS_CERTIFICATE: date(2028, 12, 31),
}


DEMO_SPECIALTIES = ["internal-medicine", "cardiology"]


def demo_profile_fill(*, applicant: Applicant, profile: dict) -> None:
    """Give a demo applicant `profile` (and the demo specialties) unless the profile is complete
    and has every field of `profile` already.

    The guard is completeness itself, not one field: sign-up copies the account's name into the
    legal name, so "no legal name yet" no longer means "never seeded".
    """
    complete = not profile_completeness(applicant=applicant).missing
    if complete and all(getattr(applicant, field) not in (None, "") for field in profile):
        return
    services.applicant_profile_update(
        applicant=applicant,
        data={
            **profile,
            "specialties_of_interest": list(Specialty.objects.filter(slug__in=DEMO_SPECIALTIES)),
        },
    )


def seed_demo_applicant(*, user: User, staff: User) -> Applicant:
    """Fill the demo applicant's profile and vault through the same services the pages use."""
    applicant = services.applicant_create(user=user)
    demo_profile_fill(applicant=applicant, profile=DEMO_PROFILE)
    present = set(applicant.documents.values_list("kind", flat=True))
    for kind, expires_on in DEMO_DOCUMENTS.items():
        if kind in present or (expires_on is not None and expires_on <= timezone.now().date()):
            continue
        document = services.document_upload(
            applicant=applicant,
            kind=kind,
            uploaded_file=SimpleUploadedFile(f"{kind}.pdf", DEMO_PDF, content_type="application/pdf"),
            expires_on=expires_on,
        )
        services.document_verify(document=document, actor=staff)
    return applicant
