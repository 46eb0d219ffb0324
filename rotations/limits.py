"""The bounds of what anyone may enter about rotations and blocks, defined once.

The model fields carry the fixed ranges as validators, so the host pages (hosts/forms.py builds
its fields from them) and the API (DRF's ModelSerializers read them) refuse the same values; the
services check the date rules, which move with today; the catalog's filters take dates in the same
window. Nothing entered can then reach date arithmetic that overflows or a column it does not fit.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from amo.text import day_label
from amo.validators import years_from

BLOCK_MAX_WEEKS = 52
BLOCK_MAX_SEATS = 500
# A block starts from today on and at most this many years ahead.
BOOKING_HORIZON_YEARS = 3
# Each fee is at most $1,000,000; the catalog's price filter goes up to the sum of two of them.
MAX_FEE_CENTS = 100_000_000
MAX_TOTAL_PRICE_DOLLARS = 2 * MAX_FEE_CENTS // 100
MAX_STEP2_SCORE = 300
MAX_WEEKLY_HOURS = 80
MAX_BALANCE_DUE_DAYS = 365
# Each text of a rotation's first-day information (where to go, dress code, what to bring).
MAX_FIRST_DAY_CHARS = 1000
# How far back the catalog's date filters reach (a bookmarked search stays valid for a while).
CATALOG_PAST_YEARS = 1


def latest_block_start(today: date | None = None) -> date:
    return years_from(today or timezone.localdate(), BOOKING_HORIZON_YEARS)


def catalog_date_window(today: date | None = None) -> tuple[date, date]:
    """The first and last dates the catalog's date filters accept."""
    today = today or timezone.localdate()
    return years_from(today, -CATALOG_PAST_YEARS), latest_block_start(today)


def validate_catalog_date(value: date) -> None:
    first, last = catalog_date_window()
    if not first <= value <= last:
        raise ValidationError(
            f"Choose a date from {day_label(first)} to {day_label(last)}.",
            code="out_of_range",
            params={"value": value},
        )


def validate_catalog_month(value: date) -> None:
    """`value` is the month's first day; any month that overlaps the window is accepted."""
    first, last = catalog_date_window()
    if not first.replace(day=1) <= value <= last:
        raise ValidationError(
            f"Choose a month from {first:%Y-%m} to {last:%Y-%m}.",
            code="out_of_range",
            params={"value": value},
        )
