"""Bounds shared by every app's inputs, one definition for page forms and API serializers."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

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


def day_label(value: date) -> str:
    return f"{value:%b} {value.day}, {value.year}"


def validate_platform_date(value: date) -> None:
    """A date filter or field anywhere: from 2000 to ten years ahead."""
    last = years_from(timezone.localdate(), YEARS_AHEAD)
    if not FIRST_DATE <= value <= last:
        raise ValidationError(
            f"Choose a date from {day_label(FIRST_DATE)} to {day_label(last)}.",
            code="out_of_range",
            params={"value": value},
        )
