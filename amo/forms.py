"""Form plumbing shared by every app's pages."""

from __future__ import annotations

from django import forms

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
