"""Template helpers of the catalog."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def usd(cents: int | None) -> str:
    """Integer cents as U.S. dollars: 250000 -> "$2,500", 12550 -> "$125.50"."""
    if cents is None:
        return ""
    dollars, rest = divmod(int(cents), 100)
    return f"${intcomma(dollars)}" + (f".{rest:02d}" if rest else "")


@register.filter
def percent_of(cents: int, percent: int) -> int:
    return int(cents) * int(percent) // 100
