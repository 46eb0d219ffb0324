"""Writes of the applicant's profile: becoming an applicant, the profile's rules, and deletion."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from amo.errors import DomainError, field_label
from amo.models import User
from amo.transactions import transaction_required
from amo.validators import validate_single_line
from applicants.countries import country_choices
from applicants.models import Applicant, Application
from applicants.selectors import LETTER_STANDS
from applicants.services.documents import _locked_applicant
from applicants.services.follow_up import applicant_removed
from applicants.services.letters import enrollment_letter_follow

S = Application.Status

STEP2_SCORE_RANGE = (1, 300)
# A student expects to graduate within the length of the longest medical programs.
STUDENT_YEARS_AHEAD = 8
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-.]{6,22}$")


def applicant_create(*, user: User) -> Applicant:
    """Make `user` an applicant (once; a second call returns the same row).

    The profile starts with the account's name as its legal name, which the applicant may correct
    to match their passport; everything else is empty.
    """
    with transaction.atomic():
        if not user.is_applicant:
            user.is_applicant = True
            user.save(update_fields=["is_applicant"])
        applicant, _ = Applicant.objects.get_or_create(user=user, defaults={"legal_name": user.full_name})
    return applicant


def _profile_problems(values: dict, today: date) -> dict[str, list[str]]:
    """The rules a profile must follow, field by field; empty when the profile may be saved."""
    problems: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    for field in Applicant.PROFILE_FIELDS:
        if isinstance(Applicant._meta.get_field(field), models.CharField):
            try:
                validate_single_line(values[field])
            except ValidationError as error:
                refuse(field, error.messages[0])

    countries = {code for code, _ in country_choices()}
    for field in Applicant.COUNTRY_FIELDS:
        if values[field] and values[field] not in countries:
            refuse(field, "Choose a country from the list (ISO 3166 code).")

    born = values["date_of_birth"]
    if born and not (today.replace(year=today.year - 100) <= born <= today.replace(year=today.year - 16)):
        refuse("date_of_birth", "Enter a date of birth between 16 and 100 years ago.")

    year, status = values["graduation_year"], values["training_status"]
    if year is not None:
        if (
            status == Applicant.TrainingStatus.STUDENT
            and not today.year <= year <= today.year + STUDENT_YEARS_AHEAD
        ):
            refuse(
                "graduation_year",
                f"A student's expected graduation year is between {today.year} and "
                f"{today.year + STUDENT_YEARS_AHEAD}.",
            )
        elif status == Applicant.TrainingStatus.GRADUATE and not 1950 <= year <= today.year:
            refuse("graduation_year", f"A graduate's graduation year is between 1950 and {today.year}.")
        elif not status:
            refuse("training_status", "Say whether you are a student or a graduate.")

    if values["ecfmg_status"] == Applicant.EcfmgStatus.CERTIFIED:
        digits = re.sub(r"\D", "", values["ecfmg_number"] or "")
        if len(digits) != 8:
            refuse(
                "ecfmg_number", "A certified applicant gives the 8-digit ECFMG/USMLE ID, e.g. 0-123-456-7."
            )

    taken = values["step1_result"] in (Applicant.Step1Result.PASS, Applicant.Step1Result.FAIL)
    if not taken and values["step1_date"]:
        refuse("step1_date", "A Step 1 date needs a Step 1 result.")

    score = values["step2_score"]
    low, high = STEP2_SCORE_RANGE
    if score is not None and not low <= score <= high:
        refuse("step2_score", f"A Step 2 CK score is between {low} and {high}.")
    if score is not None and not values["step2_date"]:
        refuse("step2_date", "Give the date you took Step 2 CK.")
    if score is None and values["step2_date"]:
        refuse("step2_score", "A Step 2 CK date needs the score.")

    for field in ("step1_date", "step2_date"):
        if values[field] and values[field] > today:
            refuse(field, "An exam date cannot be in the future.")

    if values["phone"] and not PHONE_PATTERN.match(values["phone"]):
        refuse("phone", "Enter a phone number with its country code, e.g. +234 803 123 4567.")
    return problems


def applicant_profile_update(*, applicant: Applicant, data: dict) -> Applicant:
    """Change the profile fields in `data` (and `specialties_of_interest`); refuse any rule broken.

    The rules: known country codes, a plausible date of birth, a graduation year that fits the
    training status, a Step 2 CK score in 1–300 with its date, exam dates not in the future, an
    ECFMG ID for the certified. On refusal nothing is saved and `extra.fields` names each problem.
    A booking's enrollment letter follows the legal name and citizenship: issued once both are
    given, issued again (the old one replaced) when either changes.
    """
    unknown = set(data) - {*Applicant.PROFILE_FIELDS, "specialties_of_interest"}
    if unknown:
        raise DomainError(
            "Unknown profile fields.", extra={"fields": {f: ["Unknown field."] for f in unknown}}
        )
    values = {field: getattr(applicant, field) for field in Applicant.PROFILE_FIELDS}
    for field in Applicant.PROFILE_FIELDS:
        if field in data:
            value = data[field]
            values[field] = value.strip() if isinstance(value, str) else value
    for field in Applicant.COUNTRY_FIELDS:
        values[field] = (values[field] or "").upper()
    problems = _profile_problems(values, timezone.now().date())
    if problems:
        first_field, messages = next(iter(problems.items()))
        raise DomainError(
            f"{field_label(Applicant, first_field)}: {messages[0]}",
            extra={"fields": problems},
        )
    with transaction.atomic():
        for field, value in values.items():
            setattr(applicant, field, value)
        applicant.save()
        if "specialties_of_interest" in data:
            applicant.specialties_of_interest.set(data["specialties_of_interest"])
        for booking in applicant.applications.filter(status__in=LETTER_STANDS).order_by("pk"):
            enrollment_letter_follow(booking)
    return applicant


def _applicant_remove(applicant: Applicant) -> None:
    """Delete a locked applicant with their drafts and documents; the files go once this commits.

    Refused once an application was sent: its host keeps what it received (ended ones included).
    """
    transaction_required("_applicant_remove")
    applications = list(applicant.applications.select_for_update())
    if any(application.status != S.DRAFT for application in applications):
        raise DomainError(
            f"{applicant} has sent applications, and hosts keep what they received: "
            "the profile and its documents stay. Deactivate the account instead.",
            status=409,
        )
    files = [(document.file.storage, document.file.name) for document in applicant.documents.all()]
    applicant_removed(applicant)
    Application.objects.filter(pk__in=[application.pk for application in applications]).delete()
    applicant.delete()

    def remove_files() -> None:
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(remove_files)


def applicant_delete(*, applicant: Applicant) -> None:
    """Delete an applicant's profile, drafts and documents, files included; never once they applied."""
    with transaction.atomic():
        _applicant_remove(_locked_applicant(applicant.pk))


def account_delete(*, user: User) -> None:
    """Delete a person's account and, if they are an applicant, all `applicant_delete` removes."""
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().filter(user=user).first()
        if applicant is not None:
            _applicant_remove(applicant)
        try:
            user.delete()
        except ProtectedError as error:
            raise DomainError(
                f"{user} wrote application messages that hosts and applicants keep: "
                "deactivate the account instead.",
                status=409,
            ) from error
