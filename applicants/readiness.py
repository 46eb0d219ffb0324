"""Readiness: whether an applicant meets a rotation's requirements for one block.

One checklist serves the applicant (what is missing), the submit service (only a ready applicant
submits) and the host's review queue (what was checked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from amo.text import day_label
from applicants.models import Applicant, Document
from rotations.models import Block, DocumentKind, Rotation, VisaType


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    ok: bool
    detail: str = ""

    @property
    def may_follow(self) -> bool:
        """A document may follow a book-now booking (due within 7 days); no other requirement may."""
        return self.key.startswith("document:")


# What readiness requires of the profile (named, lower-case, by Applicant.PROFILE_FIELDS).
READINESS_PROFILE_FIELDS = (
    "legal_name",
    "training_status",
    "graduation_year",
    "medical_school_name",
    "medical_school_country",
)


def _eligibility(applicant: Applicant, rotation: Rotation) -> list[ChecklistItem]:
    items = []
    missing = [
        Applicant.PROFILE_FIELDS[field].lower()
        for field in READINESS_PROFILE_FIELDS
        if not getattr(applicant, field)
    ]
    items.append(
        ChecklistItem(
            "profile", "Profile complete", not missing, f"Missing: {', '.join(missing)}." if missing else ""
        )
    )

    student = applicant.training_status == Applicant.TrainingStatus.STUDENT
    graduate = applicant.training_status == Applicant.TrainingStatus.GRADUATE
    if student:
        ok, detail = rotation.accepts_students, "" if rotation.accepts_students else "Open to graduates only."
    elif graduate:
        ok, detail = (
            rotation.accepts_graduates,
            "" if rotation.accepts_graduates else "Open to students only.",
        )
    else:
        ok, detail = False, "Say in your profile whether you are a student or a graduate."
    items.append(ChecklistItem("training_status", "Training status accepted", ok, detail))

    step1_passed = applicant.step1_result == Applicant.Step1Result.PASS
    # Graduates take part in patient care only with Step 1 passed; students may on their school's cover.
    needs_step1 = rotation.requires_step1_pass or (
        graduate and rotation.rotation_type == Rotation.Type.HANDS_ON
    )
    if needs_step1:
        items.append(
            ChecklistItem(
                "step1",
                "USMLE Step 1 passed",
                step1_passed,
                "" if step1_passed else "This rotation requires USMLE Step 1 passed.",
            )
        )

    if rotation.min_step2_score:
        score = applicant.step2_score
        ok = score is not None and score >= rotation.min_step2_score
        detail = "" if ok else f"Requires a Step 2 CK score of at least {rotation.min_step2_score}."
        items.append(ChecklistItem("step2", f"USMLE Step 2 CK ≥ {rotation.min_step2_score}", ok, detail))

    if rotation.accepted_visa_types:
        ok = applicant.visa_status in rotation.accepted_visa_types
        accepted = ", ".join(VisaType(v).label for v in rotation.accepted_visa_types)
        items.append(ChecklistItem("visa", "Visa type accepted", ok, "" if ok else f"Accepted: {accepted}."))

    if rotation.requires_english_proficiency:
        ok = applicant.english_proficiency != Applicant.EnglishProficiency.NONE
        items.append(
            ChecklistItem(
                "english",
                "English proficiency",
                ok,
                "" if ok else "Add your English proficiency (e.g. OET) to your profile.",
            )
        )
    return items


def _documents(rotation: Rotation, block: Block, documents: Iterable[Document]) -> list[ChecklistItem]:
    items = []
    by_kind: dict[str, list[Document]] = {}
    for document in documents:
        by_kind.setdefault(document.kind, []).append(document)
    for kind in rotation.required_document_kinds:
        label = DocumentKind(kind).label
        candidates = by_kind.get(kind, [])
        valid = [d for d in candidates if d.expires_on is None or d.expires_on >= block.end_date]
        verified = [d for d in valid if d.verification_status == Document.VerificationStatus.VERIFIED]
        pending = [d for d in valid if d.verification_status == Document.VerificationStatus.PENDING]
        if verified:
            ok, detail = True, ""
        elif pending:
            ok, detail = False, "Uploaded; waiting for verification by our staff."
        elif valid:
            # The reason stays on the vault page: hosts read this checklist too.
            ok, detail = False, "Not accepted by our staff; upload a new one."
        elif candidates:
            ok, detail = (
                False,
                f"Expires before the block ends ({day_label(block.end_date)}); upload a newer one.",
            )
        else:
            ok, detail = False, "Not uploaded yet."
        items.append(ChecklistItem(f"document:{kind}", label, ok, detail))
    return items


def block_closed_reason(block: Block, today: date) -> str:
    """Why `block` takes no applications today, or "" while it does; drafts and submissions both obey."""
    if block.rotation.status != Rotation.Status.PUBLISHED:
        return "This rotation is not published."
    if block.apply_by < today:
        return f"Applications closed on {day_label(block.apply_by)}."
    return ""


def _block_open(block: Block, today: date) -> ChecklistItem:
    closed = block_closed_reason(block, today)
    if closed:
        return ChecklistItem("open", "Open for applications", False, closed)
    return ChecklistItem("open", "Open for applications", True, f"Apply by {day_label(block.apply_by)}.")


def readiness_checklist(
    *, applicant: Applicant, block: Block, documents: Iterable[Document] | None = None
) -> list[ChecklistItem]:
    """Every requirement of the block's rotation, each met or not, with what to do about it.

    `documents` are the documents to judge (those assigned to an application); by default the
    applicant's whole vault.
    """
    rotation = block.rotation
    if documents is None:
        documents = applicant.documents.all()
    return [
        _block_open(block, timezone.now().date()),
        *_eligibility(applicant, rotation),
        *_documents(rotation, block, documents),
    ]


def is_ready(checklist: list[ChecklistItem]) -> bool:
    return all(item.ok for item in checklist)


def is_ready_to_book(checklist: list[ChecklistItem]) -> bool:
    """Ready to book a book-now block: every requirement met but documents, which may follow."""
    return all(item.ok or item.may_follow for item in checklist)
