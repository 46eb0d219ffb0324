"""Staff verify a host organization, recording how, or withdraw the verification.

Only a verified organization publishes (rotations.services.rotation_publish). Verifying is never a
bare flag: staff record what they checked (the accreditation, and each preceptor's NPI number and
state license) and the record stands until a newer one or a withdrawal. Both go through
hosts.services.organization_set_verified, which takes an unverified organization's rotations off
the catalog; its save of the organization tells the catalog's cache (rotations.cache), so the
"Verified host" badge changes at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.text import day_label, in_words
from amo.validators import single_line_text
from hosts.models import (
    Accreditation,
    Organization,
    OrganizationVerification,
    Preceptor,
    PreceptorCheck,
)
from hosts.npi import NPI_CHECK_DIGIT_MESSAGE, NPI_FORMAT_MESSAGE, NPI_PATTERN, npi_is_valid
from hosts.services import STATE_CODES, STATE_MESSAGE, organization_set_verified

LICENSE_NUMBER_MAX = PreceptorCheck._meta.get_field("license_number").max_length
REFERENCE_MAX = OrganizationVerification._meta.get_field("accreditation_reference").max_length
NOTES_MAX = OrganizationVerification._meta.get_field("notes").max_length
REASON_MAX = OrganizationVerification._meta.get_field("withdrawal_reason").max_length


@dataclass(frozen=True)
class PreceptorCheckInput:
    """What staff checked of one preceptor: their NPI number in the NPPES registry, and their
    license on the state medical board's lookup."""

    preceptor: Preceptor
    npi_number: str
    license_number: str
    license_state: str
    checked_on: date | None = None  # today when not given


def _staff_only(actor: User) -> None:
    if not (actor.is_active and actor.is_staff):
        raise DomainError("Only staff verify host organizations.", status=403)


def _checked_preceptor(organization: Organization, check: PreceptorCheckInput, today: date) -> PreceptorCheck:
    """One preceptor's check, validated: theirs to check, a valid NPI, a license number and state."""
    preceptor = check.preceptor
    who = preceptor.full_name
    if preceptor.organization_id != organization.pk:
        raise DomainError(f"{who} is not a preceptor of {organization}.", field="preceptor_checks")
    npi = (check.npi_number or "").strip()
    if not npi:
        raise DomainError(f"{who}: enter the NPI number you checked.", field="npi_number")
    if not re.fullmatch(NPI_PATTERN, npi):
        raise DomainError(f"{who}: {NPI_FORMAT_MESSAGE}", field="npi_number")
    if not npi_is_valid(npi):
        raise DomainError(f"{who}: {NPI_CHECK_DIGIT_MESSAGE}", field="npi_number")
    if preceptor.npi_number and preceptor.npi_number != npi:
        raise DomainError(
            f"{who}'s NPI number on file is {preceptor.npi_number}, not {npi}: check which is right "
            "in the NPPES registry and correct it first.",
            field="npi_number",
        )
    license_number = single_line_text((check.license_number or "").strip(), field="license_number")
    if not license_number:
        raise DomainError(f"{who}: enter the state license number you checked.", field="license_number")
    if len(license_number) > LICENSE_NUMBER_MAX:
        raise DomainError(
            f"{who}: a license number has at most {LICENSE_NUMBER_MAX} characters.", field="license_number"
        )
    state = (check.license_state or "").strip().upper()
    if state not in STATE_CODES:
        raise DomainError(f"{who}: license state: {STATE_MESSAGE}", field="license_state")
    checked_on = check.checked_on or today
    if checked_on > today:
        raise DomainError(f"{who}: the day you checked cannot be in the future.", field="checked_on")
    return PreceptorCheck(
        preceptor=preceptor,
        npi_number=npi,
        license_number=license_number,
        license_state=state,
        checked_on=checked_on,
    )


def organization_verification_record(
    *,
    organization: Organization,
    actor: User,
    accreditation: str,
    accreditation_reference: str = "",
    accreditation_expires_on: date | None = None,
    notes: str = "",
    preceptor_checks: list[PreceptorCheckInput],
) -> OrganizationVerification:
    """Staff record how they verified `organization`, and it is verified (it may publish).

    The accreditation is one of `Accreditation` (with its number and expiry, if any; an expired one
    does not count); each preceptor checked is the organization's own, once, with an NPI number
    whose check digit is right and which matches the one on file, a state license number and state.
    Every current preceptor of the organization is checked (the refusal names those left out), and
    something is checked: an accreditation, or at least one preceptor. The badge says what the
    record holds and nothing more, so a record that checked nothing is never written. A preceptor
    with no NPI on file gets the one staff checked. A refusal writes nothing. Recording again (a
    yearly check, or after a preceptor joins) adds a record; the latest stands.
    """
    _staff_only(actor)
    if accreditation not in Accreditation.values:
        raise DomainError("Choose the accreditation you checked, or None.", field="accreditation")
    reference = single_line_text((accreditation_reference or "").strip(), field="accreditation_reference")
    if len(reference) > REFERENCE_MAX:
        raise DomainError(
            f"The accreditation's reference has at most {REFERENCE_MAX} characters.",
            field="accreditation_reference",
        )
    today = timezone.localdate()
    if accreditation == Accreditation.NONE and (reference or accreditation_expires_on):
        raise DomainError(
            "With no accreditation there is no reference or expiry date: leave them empty, or choose "
            "the accreditation they belong to.",
            field="accreditation",
        )
    if accreditation_expires_on is not None and accreditation_expires_on < today:
        raise DomainError(
            f"That accreditation expired on {day_label(accreditation_expires_on)}: an expired "
            "accreditation does not verify an organization.",
            field="accreditation_expires_on",
        )
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise DomainError(f"Notes have at most {NOTES_MAX} characters.", field="notes")
    checks = [_checked_preceptor(organization, check, today) for check in preceptor_checks]
    seen = [check.preceptor.pk for check in checks]
    if len(set(seen)) != len(seen):
        raise DomainError("Each preceptor is checked once per verification.", field="preceptor_checks")

    with transaction.atomic():
        # Recording and withdrawing one organization wait for each other.
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        checked = set(seen)
        missing = [
            preceptor.full_name
            for preceptor in Preceptor.objects.for_org(locked).order_by("full_name", "pk")
            if preceptor.pk not in checked
        ]
        if missing:
            raise DomainError(
                f"Check every preceptor of {locked}: {in_words(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not checked yet (their NPI number and state "
                "license). A verification covers all of its preceptors.",
                field="preceptor_checks",
            )
        if accreditation == Accreditation.NONE and not checks:
            raise DomainError(
                f"Nothing was checked: {locked} has no preceptors, so choose the accreditation or the "
                "state facility license you checked. A verification records what was checked.",
                field="accreditation",
            )
        verification = OrganizationVerification.objects.create(
            organization=locked,
            verified_by=actor,
            verified_at=timezone.now(),
            accreditation=accreditation,
            accreditation_reference=reference,
            accreditation_expires_on=accreditation_expires_on,
            notes=notes,
        )
        for check in checks:
            check.verification = verification
            if not check.preceptor.npi_number:
                check.preceptor.npi_number = check.npi_number
                check.preceptor.save(update_fields=["npi_number"])
        PreceptorCheck.objects.bulk_create(checks)
        organization_set_verified(organization=locked, verified=True)
    organization.is_verified = True
    return verification


def organization_verification_withdraw(
    *, organization: Organization, actor: User, reason: str
) -> Organization:
    """Staff stop vouching for `organization`, saying why: it is no longer verified, its rotations
    leave the catalog (back to draft), and its standing records are stamped withdrawn (who, when,
    why). Applications already made stand. A refusal writes nothing."""
    _staff_only(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the verification is withdrawn.", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(f"The reason has at most {REASON_MAX} characters.", field="reason")
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        if not locked.is_verified:
            raise DomainError(f"{locked} is not verified: there is nothing to withdraw.")
        for record in OrganizationVerification.objects.filter(organization=locked, withdrawn_at__isnull=True):
            record.withdrawn_at = timezone.now()
            record.withdrawn_by = actor
            record.withdrawal_reason = reason
            record.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        organization_set_verified(organization=locked, verified=False)
    organization.is_verified = False
    return organization
