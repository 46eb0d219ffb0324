"""Bounds shared by every app's inputs, one definition for page forms and API serializers."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from amo.errors import DomainError
from amo.text import breaks_one_line, day_label

# The longest free text anyone may enter, in characters: one definition for the model fields, the
# pages' forms, the API's serializers and the services (the personal statement and the application
# thread have theirs in applicants.services).
MAX_REASON_CHARS = 500  # why a host rejects, an applicant withdraws, staff refuse a document
MAX_DESCRIPTION_CHARS = 5000  # an organization's or a rotation's description


def bounded_text(value: str | None, *, field: str, max_chars: int, what: str) -> str:
    """`value` without surrounding blanks, or a DomainError on `field` when it is too long."""
    value = (value or "").strip()
    if len(value) > max_chars:
        raise DomainError(f"Keep {what} to {max_chars} characters.", field=field)
    return value


# No record of AMO's is older, and none is planned further ahead: a date outside is a typo or a
# probe, and refused before it reaches date arithmetic (9999-12-31 plus a day overflows).
FIRST_DATE = date(2000, 1, 1)
YEARS_AHEAD = 10


def years_from(day: date, years: int) -> date:
    """The same day `years` later (or earlier); Feb 29 becomes Feb 28 in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def validate_platform_date(value: date) -> None:
    """A date filter or field anywhere: from 2000 to ten years ahead."""
    last = years_from(timezone.localdate(), YEARS_AHEAD)
    if not FIRST_DATE <= value <= last:
        raise ValidationError(
            f"Choose a date from {day_label(FIRST_DATE)} to {day_label(last)}.",
            code="out_of_range",
            params={"value": value},
        )


SINGLE_LINE_MESSAGE = "Write this on one line, without line breaks, tabs or other control characters."


def validate_single_line(value: str) -> None:
    """A name, a title or any one-line text: no line break, tab or other control character, which
    would break an email's subject or hide what the text says."""
    if isinstance(value, str) and any(breaks_one_line(character) for character in value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="not_one_line")


def single_line_text(value: str, *, field: str) -> str:
    """`value` when it is one line, or a DomainError on `field`: for a service that writes a
    CharField without the model's full_clean."""
    try:
        validate_single_line(value)
    except ValidationError as error:
        raise DomainError(error.messages[0], field=field) from error
    return value


def single_line_fields_validate(app_configs) -> None:
    """Give every CharField of these apps' models `validate_single_line`: one rule for the pages'
    model forms, the API's model serializers (DRF copies a model field's validators) and the admin.

    The validator joins the field's `validators` (what full_clean and DRF read), not the
    constructor's list that migrations record, so it needs no migration and no field declares it.
    """
    for config in app_configs:
        for model in config.get_models():
            for field in model._meta.local_fields:
                if isinstance(field, models.CharField) and validate_single_line not in field.validators:
                    field.__dict__["validators"] = [*field.validators, validate_single_line]
