"""Bounds shared by every app's inputs, one definition for page forms and API serializers."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from amo.errors import DomainError
from amo.text import day_label

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
