from django import template

register = template.Library()


@register.filter
def dollars(cents: int | None) -> str:
    """Integer cents as a dollar amount: 250000 → "$2,500.00"."""
    if cents is None:
        return "—"
    return f"${cents / 100:,.2f}"
