"""Template helpers of the catalog.

Plain Python on purpose: Django's `date` and `intcomma` filters look up the active language and
time zone on every call, which cost a few milliseconds on a page of 20 rotations with their blocks.
The catalog is in U.S. English and its dates are calendar dates, with no time zone. Money is
amo_forms' `money` filter (amo.money.format_cents, plain Python too).
"""

from datetime import date

from django import template

register = template.Library()

MONTHS = ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@register.filter
def day(value: date | None) -> str:
    """A calendar date as "Mar 2, 2027"."""
    return f"{MONTHS[value.month]} {value.day}, {value.year}" if value else ""


@register.filter
def rotations_found(paginator) -> str:
    """The catalog paginator's count as "1 rotation", "12 rotations" or "1,000+ rotations"."""
    count = paginator.count
    more = "" if paginator.count_is_exact else "+"
    return f"{count:,}{more} rotation{'' if count == 1 and not more else 's'}"
