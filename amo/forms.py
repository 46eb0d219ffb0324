"""Form plumbing shared by every app's pages."""

from __future__ import annotations

from django import forms
from django.core import validators
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from amo.errors import DomainError
from amo.services import API_TOKEN_LIFETIMES


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: on the fields it names, else above the form.

    A form whose inputs differ from the service's names (dollars for cents) maps them in
    `service_field_names` ({service name: form field}).
    """
    aliases = getattr(form, "service_field_names", {})
    placed = False
    for name, messages in (error.extra.get("fields") or {}).items():
        name = aliases.get(name, name)
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What will use it, e.g. “Nightly sync script”. Only you see it."
    )
    lifetime_days = forms.TypedChoiceField(
        label="Expires after",
        choices=list(API_TOKEN_LIFETIMES.items()),
        coerce=int,
        initial=90,
        help_text="The token stops working then; create a new one before it does.",
    )


def bounded_formfield(db_field, **kwargs):
    """A model field's form field carrying the model field's own range (its Min/MaxValueValidators,
    as DRF's ModelSerializer reads them), so a page refuses what the API refuses, with the HTML
    min/max attributes to match. Use as a ModelForm's `formfield_callback`."""
    lows = [v.limit_value for v in db_field.validators if isinstance(v, validators.MinValueValidator)]
    highs = [v.limit_value for v in db_field.validators if isinstance(v, validators.MaxValueValidator)]
    if lows:
        kwargs.setdefault("min_value", max(lows))
    if highs:
        kwargs.setdefault("max_value", min(highs))
    return db_field.formfield(**kwargs)


class FastSelect(forms.Select):
    """A <select> built in Python: rendering ~100 <option>s through widget templates took ~15 ms a page."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in selected else "", label)
                for key, label in self.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)), options
        )
