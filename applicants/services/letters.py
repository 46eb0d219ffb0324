"""The visa-support and enrollment letter: issued when a booking is confirmed, issued again when the
booking moves to another block or the applicant corrects their legal name or passport country (the
old letter then says "replaced"), and no longer valid once the booking is cancelled, not attended or
ended early. One function makes the letters agree with the booking, whatever changed it."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.utils import timezone

from amo.transactions import transaction_required
from applicants.models import (
    LETTER_CODE_ALPHABET,
    LETTER_CODE_LENGTH,
    Application,
    CompletionCertificate,
    EnrollmentLetter,
)
from applicants.selectors import LETTER_STANDS, letter_profile_missing

S = Application.Status
Reason = EnrollmentLetter.WithdrawalReason

# The statuses that end a letter, with the reason the verify page gives.
LETTER_ENDS = {S.CANCELLED: Reason.CANCELLED, S.NO_SHOW: Reason.NO_SHOW, S.ENDED_EARLY: Reason.ENDED_EARLY}
# What a new letter is issued for when it changes; the host's later edits (its name, address,
# preceptor) leave an issued letter as it was, as they leave the agreed terms.
LETTER_FOLLOWS = ("block_id", "applicant_name", "passport_country")


def letter_content(application: Application) -> dict | None:
    """What a letter issued now for `application` would say; None while the applicant's profile
    lacks their legal name or citizenship (the passport country), which a letter cannot do without."""
    applicant = application.applicant
    if letter_profile_missing(applicant):
        return None
    block = application.block
    rotation = block.rotation
    preceptor = rotation.preceptor
    return {
        "block_id": block.pk,
        "applicant_name": applicant.legal_name,
        "passport_country": applicant.citizenship_name,
        "organization_name": rotation.organization.name,
        "site_address": rotation.organization.address,
        "rotation_title": rotation.title,
        "rotation_type": rotation.get_rotation_type_display(),
        "preceptor_name": preceptor.full_name if preceptor else "",
        "preceptor_credentials": preceptor.credentials if preceptor else "",
        "starts_on": block.start_date,
        "ends_on": block.end_date,
    }


def verification_code_new() -> str:
    """A fresh verification code for an enrollment letter or a certificate of completion: one the
    verify page finds as neither yet, so a code names one document of either kind. A clash of two
    59-bit codes is too unlikely to plan more for; each kind's unique index refuses one in its table."""
    while True:
        code = "".join(secrets.choice(LETTER_CODE_ALPHABET) for _ in range(LETTER_CODE_LENGTH))
        if not (
            EnrollmentLetter.objects.filter(code=code).exists()
            or CompletionCertificate.objects.filter(code=code).exists()
        ):
            return code


def enrollment_letter_follow(application: Application | int) -> EnrollmentLetter | None:
    """Make the booking's letters agree with the application as it now stands, inside the caller's
    transaction; returns the letter that stands, if any. Idempotent: a second call changes nothing.

    - Confirmed, under way or completed: a letter stands. None yet, one is issued; the booking moved
      to another block, or the applicant's legal name or passport country changed, a new one is
      issued and the old one is marked replaced. While the profile lacks the legal name or the
      citizenship, no letter is issued (the booking page asks for them); a letter already issued
      keeps standing, unless the booking moved, when it is no longer valid.
    - Cancelled, not attended or ended early: the letter is no longer valid from now, with the reason.
    """
    transaction_required("enrollment_letter_follow")
    pk = application if isinstance(application, int) else application.pk
    # The application's row first, as every status change takes it: two calls for one booking queue.
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant", "block__rotation__organization", "block__rotation__preceptor")
        .get(pk=pk)
    )
    if locked.status not in LETTER_STANDS and locked.status not in LETTER_ENDS:
        return None
    standing = locked.enrollment_letters.filter(standing=EnrollmentLetter.Standing.VALID).first()
    now = timezone.now()
    if locked.status in LETTER_ENDS:
        if standing is not None:
            _withdraw(standing, LETTER_ENDS[locked.status], now)
        return None
    content = letter_content(locked)
    if content is None:
        if standing is not None and standing.block_id != locked.block_id:
            _withdraw(standing, Reason.MOVED, now)
            return None
        return standing
    if standing is not None:
        if all(getattr(standing, field) == content[field] for field in LETTER_FOLLOWS):
            return standing
        standing.standing = EnrollmentLetter.Standing.REPLACED
        standing.replaced_at = now
        standing.save(update_fields=["standing", "replaced_at"])
    return EnrollmentLetter.objects.create(
        application=locked, code=verification_code_new(), issued_at=now, replaces=standing, **content
    )


def _withdraw(letter: EnrollmentLetter, reason: Reason, now: datetime) -> None:
    letter.standing = EnrollmentLetter.Standing.WITHDRAWN
    letter.withdrawn_at = now
    letter.withdrawal_reason = reason
    letter.save(update_fields=["standing", "withdrawn_at", "withdrawal_reason"])
