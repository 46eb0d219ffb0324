"""Form plumbing shared by every app's pages."""

from __future__ import annotations

from functools import lru_cache

from django import forms
from django.core import validators
from django.utils.safestring import SafeString, mark_safe
from markupsafe import escape

from amo.errors import DomainError
from amo.models import Reminder
from amo.services import API_TOKEN_LIFETIMES
from amo.validators import validate_single_line


class SingleLineField(forms.CharField):
    """A one-line text input of a plain form (a model form reads its model field's validators)."""

    default_validators = [validate_single_line]


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
    name = SingleLineField(
        max_length=100, help_text="What will use it, e.g. “Nightly sync script”. Only you see it."
    )
    lifetime_days = forms.TypedChoiceField(
        label="Expires after",
        choices=list(API_TOKEN_LIFETIMES.items()),
        coerce=int,
        initial=90,
        help_text="The token stops working then; create a new one before it does.",
    )


class ReminderSettingsForm(forms.Form):
    """The optional reminder kinds a person turns off (amo.reminders.OPTIONAL_KINDS): `kinds` are the
    ones their roles are sent. Any other kind is refused: money and deadline reminders always go."""

    turned_off = forms.MultipleChoiceField(
        label="Do not send me these reminders",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "That reminder cannot be turned off: reminders about money and deadlines "
            "are always sent."
        },
        help_text="Tick a reminder to stop it; untick it to have it sent again.",
    )

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["turned_off"].choices = [(kind, Reminder.Kind(kind).label) for kind in kinds]


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


def html_attrs(attrs: dict) -> SafeString:
    """A widget's attributes as Django's django/forms/widgets/attrs.html writes them, in their order:
    True as the bare name, False left out.

    The fast widgets escape with markupsafe's `escape` (C; it keeps what is already safe, as Django's
    conditional_escape does), a few times faster than Django's lazy-aware `escape`. Quotes come out
    as &#34; and &#39; rather than &quot; and &#x27;: the same characters to a browser."""
    return mark_safe(
        "".join(
            f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


@lru_cache(maxsize=256)
def _options(choices: tuple) -> tuple[tuple[str, str, str], ...]:
    """Each choice's value as text (what the selected values are compared with) and its <option>
    before and after " selected". Keyed by each value and label with its type: 1 == True and
    "x" == SafeString("x"), which do not print alike."""
    return tuple(
        (str(key), f'<option value="{escape(key)}"', f">{escape(label)}</option>")
        for _, key, _, label in choices
    )


class FastSelect(forms.Select):
    """A <select> built in Python: rendering ~100 <option>s through widget templates took ~15 ms a
    page. A list of choices is escaped once (_options), not on each page: escaping two strings for
    each of the catalog form's ~140 options was half the form's time."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        choices = tuple((type(key), key, type(label), label) for key, label in self.choices)
        try:
            options = _options(choices)
        except TypeError:  # an unhashable value or label: escape them on each render
            options = _options.__wrapped__(choices)
        html = "".join(
            start + " selected" + end if key in selected else start + end for key, start, end in options
        )
        attrs = html_attrs(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attrs}>{html}</select>')


class FastInput(forms.widgets.Input):
    """An <input> built in Python, the markup of Django's django/forms/widgets/input.html: through
    the form renderer's templates an input took ~250 µs (~25 µs here), 2.5 ms for the catalog form's
    ten. A mixin first in the bases of any Input widget (text, number, date, hidden, checkbox)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        value = "" if widget["value"] is None else f' value="{escape(widget["value"])}"'
        attrs = html_attrs(widget["attrs"])
        return mark_safe(f'<input type="{escape(widget["type"])}" name="{escape(name)}"{value}{attrs}>')


class FastTextInput(FastInput, forms.TextInput):
    pass


class FastNumberInput(FastInput, forms.NumberInput):
    pass


class FastDateInput(FastInput, forms.DateInput):
    pass


class FastHiddenInput(FastInput, forms.HiddenInput):
    pass


class FastCheckboxInput(FastInput, forms.CheckboxInput):
    pass
