from django import template

register = template.Library()


@register.filter
def dollars(cents: int | None) -> str:
    """Integer cents as a dollar amount: 250000 → "$2,500.00"."""
    if cents is None:
        return "—"
    return f"${cents / 100:,.2f}"


@register.filter
def fields_with_errors(form) -> list:
    """The visible fields of `form` that have errors, in the form's order (for the error summary)."""
    return [field for field in form.visible_fields() if field.errors]
