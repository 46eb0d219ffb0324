from django import template

register = template.Library()


@register.filter
def fields_with_errors(form) -> list:
    """The visible fields of `form` that have errors, in the form's order (for the error summary)."""
    return [field for field in form.visible_fields() if field.errors]
