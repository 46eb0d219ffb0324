"""Project-wide template tags: form fields the Bootstrap way (labels, help and errors wired for
screen readers), and money."""

from django import forms, template

from amo.money import format_cents

register = template.Library()

CHOICE_LISTS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


def _css_class(widget: forms.Widget) -> str:
    if isinstance(widget, (*CHOICE_LISTS, forms.CheckboxInput)):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


@register.inclusion_tag("partials/field.html")
def bs_field(field: forms.BoundField, label: bool = True):
    """One field: label, input, help and errors; `label=False` keeps the label for screen readers."""
    widget = field.field.widget
    classes = [_css_class(widget)]
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_help")
    if field.errors:
        classes.append("is-invalid")
        described_by.append(f"{field.auto_id}_errors")
    attrs = {"class": " ".join(classes)}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if not isinstance(widget, forms.HiddenInput) and field.field.widget.attrs.get("style"):
        # CSP forbids inline styles (allauth's honeypot carries one): hide by class instead.
        widget.attrs.pop("style")
        attrs["class"] += " visually-hidden"
    widget.attrs.update(attrs)
    return {
        "field": field,
        "show_label": label,
        "kind": "list"
        if isinstance(widget, CHOICE_LISTS)
        else "check"
        if isinstance(widget, forms.CheckboxInput)
        else "hidden"
        if isinstance(widget, forms.HiddenInput)
        else "input",
    }


@register.filter
def money(cents: int | None, currency: str = "usd") -> str:
    """Integer cents as an amount with its currency (amo.money.format_cents): 250000 → "$2,500.00"."""
    return "" if cents is None else format_cents(cents, currency)
