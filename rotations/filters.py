"""The catalog's query parameters: one definition for the HTML page and the API.

The FilterSet validates the query string (its form shows errors on the page; the API answers
400 naming the parameter) and hands the clean values to `rotations.selectors.rotation_catalog`.
"""

from __future__ import annotations

from datetime import date, datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field

from amo.forms import FastSelect
from rotations import limits
from rotations.cache import catalog_cached
from rotations.models import Rotation, VisaType
from rotations.selectors import Sort, rotation_catalog, specialty_choices
from rotations.states import US_STATES

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


TRUE_WORDS = {"true", "1", "yes", "on"}


class FlagCheckboxInput(forms.CheckboxInput):
    """A checkbox whose absence means "not asked" (no filter), not False."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: str(value).lower() in TRUE_WORDS)

    def value_from_datadict(self, data, files, name):
        return data.get(name)

    def format_value(self, value):
        return None


class StrictBooleanField(forms.Field):
    """true/false (or 1/0, yes/no, on for a checkbox); anything else is an error, not "unset"."""

    widget = FlagCheckboxInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in TRUE_WORDS:
            return True
        if text in {"false", "0", "no", "off"}:
            return False
        raise ValidationError("Enter true or false.", code="invalid")


class MonthField(forms.Field):
    """A month as YYYY-MM (what <input type="month"> sends), cleaned to its first day."""

    widget = forms.DateInput(attrs={"type": "month"})

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return datetime.strptime(str(value), "%Y-%m").date()
        except ValueError as error:
            raise ValidationError("Enter a month as YYYY-MM.", code="invalid") from error

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, date) else value


class BoundedNumberFilter(django_filters.NumberFilter):
    """A number within its own min_value/max_value, refused with that one message: django-filter's
    own guard against overflow (at most 1e+50) would add a second, internal one ("1e309")."""

    def get_max_validator(self):
        return None


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2027-03"})
class MonthFilter(django_filters.Filter):
    field_class = MonthField


class CatalogForm(forms.Form):
    """The filters' fields (added by the FilterSet) plus the page, validated the same way."""

    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    page_size = forms.IntegerField(
        label="Per page", min_value=1, max_value=MAX_PAGE_SIZE, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def clean(self):
        cleaned = super().clean()
        start_from, start_to = cleaned.get("start_from"), cleaned.get("start_to")
        if start_from and start_to and start_from > start_to:
            self.add_error("start_to", "The end of the date window must not be before its start.")
        return cleaned


def _keep(queryset, name, value):
    """Filters only validate; RotationFilter.filter_queryset applies them all at once."""
    return queryset


class RotationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method=_keep,
        max_length=200,
        help_text="Words in the title, description, specialty, host or city.",
    )
    specialty = django_filters.ChoiceFilter(
        widget=FastSelect, label="Specialty", method=_keep, empty_label="Any specialty"
    )
    state = django_filters.ChoiceFilter(
        widget=FastSelect, label="State", method=_keep, choices=US_STATES, empty_label="Any state"
    )
    city = django_filters.CharFilter(label="City", method=_keep, max_length=100)
    type = django_filters.ChoiceFilter(
        widget=FastSelect, label="Type", method=_keep, choices=Rotation.Type.choices, empty_label="Any type"
    )
    setting = django_filters.ChoiceFilter(
        widget=FastSelect,
        label="Setting",
        method=_keep,
        choices=Rotation.Setting.choices,
        empty_label="Any setting",
    )
    # Dates within the window blocks are offered in (rotations.limits), so none overflows a month's end.
    start_month = MonthFilter(label="Starting in", method=_keep, validators=[limits.validate_catalog_month])
    start_from = django_filters.DateFilter(
        label="Starting from",
        method=_keep,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[limits.validate_catalog_date],
    )
    start_to = django_filters.DateFilter(
        label="Starting by",
        method=_keep,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[limits.validate_catalog_date],
    )
    weeks = BoundedNumberFilter(
        label="Weeks",
        method=_keep,
        min_value=1,
        max_value=limits.BLOCK_MAX_WEEKS,
        decimal_places=0,
        help_text="Length of the block in weeks.",
    )
    max_price = BoundedNumberFilter(
        label="Max total price (USD)",
        method=_keep,
        min_value=0,
        max_value=limits.MAX_TOTAL_PRICE_DOLLARS,
        decimal_places=0,
        help_text="Application fee plus program fee, whole dollars.",
    )
    lor = StrictBooleanFilter(label="Letter of recommendation offered", method=_keep)
    visa = django_filters.ChoiceFilter(
        widget=FastSelect,
        label="Visa accepted",
        method=_keep,
        choices=VisaType.choices,
        empty_label="Any visa",
    )
    open_seats = StrictBooleanFilter(label="Only with open seats", method=_keep)
    sort = django_filters.ChoiceFilter(
        widget=FastSelect,
        label="Sort by",
        method=_keep,
        choices=Sort.choices,
        empty_label="Recommended",
        help_text="Recommended: best match when searching, else soonest start.",
    )

    class Meta:
        model = Rotation
        fields: list[str] = []
        form = CatalogForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read once per catalog version and kept as a list: a callable would query on each use.
        self.filters["specialty"].extra["choices"] = catalog_cached("specialties", {}, specialty_choices)

    def clean_values(self) -> dict:
        data = {k: v for k, v in self.form.cleaned_data.items() if k not in CatalogForm.declared_fields}
        data["rotation_type"] = data.pop("type")
        if data["weeks"] is not None:
            data["weeks"] = int(data["weeks"])
        if data["max_price"] is not None:
            data["max_price"] = int(data["max_price"])
        return {key: value for key, value in data.items() if value not in (None, "")}

    @classmethod
    def cache_query(cls, params, *, also: frozenset[str] | set[str] = frozenset()) -> dict[str, str] | None:
        """The query as the catalog cache keys it, read before any validation (so a cached answer
        costs no form): each parameter with its value, empty ones dropped (they mean the default).
        None when a parameter is neither the catalog's nor in `also`, or is given twice: such a
        query is answered without the cache."""
        known = cls.parameters() | also
        query = {}
        for name, values in params.lists():
            if name not in known or len(values) > 1:
                return None
            if values[0]:
                query[name] = values[0]
        return query

    @classmethod
    def parameters(cls) -> set[str]:
        """Every query parameter the catalog understands; others are refused by the API."""
        return set(cls.base_filters) | set(CatalogForm.declared_fields)

    def filter_queryset(self, queryset):
        # Search and filters compose in one place (the selector), whichever page or API asks.
        return rotation_catalog(**self.clean_values())
