"""The catalog's query parameters: one definition for the HTML page and the API.

The FilterSet validates the query string (its form shows errors on the page; the API answers
400 naming the parameter) and hands the clean values to `rotations.selectors.rotation_catalog`.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from datetime import date, datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.choices import BaseChoiceIterator
from drf_spectacular.utils import extend_schema_field

from amo.forms import (
    FastCheckboxInput,
    FastDateInput,
    FastHiddenInput,
    FastNumberInput,
    FastSelect,
    FastTextInput,
)
from rotations import limits
from rotations.cache import catalog_cached
from rotations.models import Rotation, VisaType
from rotations.selectors import CatalogPaginator, Sort, rotation_catalog, specialty_choices
from rotations.states import US_STATES

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


TRUE_WORDS = {"true", "1", "yes", "on"}


class Choices(tuple, BaseChoiceIterator):
    """A filter's choices, (value, label) pairs, shared rather than copied and never normalized again.

    Each form deep-copies its fields, and walking every list of choices (~50 states, ~50
    specialties) again on each request was a third of the catalog form's set-up; being a tuple,
    nobody changes them in place (a filterset replaces them, as RotationFilter does with the
    specialties). Being a BaseChoiceIterator too, Django's normalize_choices (~100 µs for 50 pairs)
    passes them through as they are: django-filter's ChoiceIterator normalizes its choices on every
    pass, each time a value is validated or the <select> lists them.
    """

    def __deepcopy__(self, memo):
        return self


class FilterCopies(OrderedDict):
    """A FilterSet's `base_filters`, which django-filter deep-copies for each instance
    (`self.filters`): a shallow copy of each filter with its own `extra` does, at a quarter of the
    cost. An instance only sets attributes on its filters (`model`, `parent`, `extra["choices"]`),
    never changes a value they share in place."""

    def __deepcopy__(self, memo):
        return OrderedDict((name, _filter_copy(filter_)) for name, filter_ in self.items())


def _filter_copy(filter_: django_filters.Filter) -> django_filters.Filter:
    copied = copy.copy(filter_)
    copied.extra = dict(filter_.extra)
    copied.__dict__.pop("_field", None)  # built from `extra` on first use: the copy's own
    copied.method = filter_.method  # a FilterMethod of its own, which finds a named method on its parent
    return copied


class ChoiceField(django_filters.fields.ChoiceField):
    """django-filter's choice field, copied (once per form) with a new ChoiceIterator over the same
    `Choices`: deepcopy's generic path through the iterator took twice as long as a plain field's copy."""

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self.iterator(result, self._choices.choices)
        return result


class ChoiceFilter(django_filters.ChoiceFilter):
    field_class = ChoiceField


class FlagCheckboxInput(FastCheckboxInput):
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

    widget = FastDateInput(attrs={"type": "month"})

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


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2027-03"})
class MonthFilter(django_filters.Filter):
    field_class = MonthField


class CatalogForm(forms.Form):
    """The filters' fields (added by the FilterSet) plus the page, validated the same way."""

    page = forms.IntegerField(min_value=1, required=False, widget=FastHiddenInput)
    page_size = forms.IntegerField(
        label="Per page", min_value=1, max_value=MAX_PAGE_SIZE, required=False, widget=FastHiddenInput
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
        page, page_size = cleaned.get("page"), cleaned.get("page_size") or PAGE_SIZE
        deepest = CatalogPaginator.paged_rows_max
        if page and (page - 1) * page_size >= deepest:
            self.add_error(
                "page",
                f"Pages list the first {deepest:,} rotations found: narrow the search or the filters "
                "to see others.",
            )
        return cleaned


def _keep(queryset, name, value):
    """Filters only validate; RotationFilter.filter_queryset applies them all at once."""
    return queryset


class RotationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        widget=FastTextInput,
        label="Search",
        method=_keep,
        max_length=200,
        help_text="Words in the title, description, specialty, host or city.",
    )
    specialty = ChoiceFilter(widget=FastSelect, label="Specialty", method=_keep, empty_label="Any specialty")
    state = ChoiceFilter(
        widget=FastSelect, label="State", method=_keep, choices=Choices(US_STATES), empty_label="Any state"
    )
    city = django_filters.CharFilter(widget=FastTextInput, label="City", method=_keep, max_length=100)
    type = ChoiceFilter(
        widget=FastSelect,
        label="Type",
        method=_keep,
        choices=Choices(Rotation.Type.choices),
        empty_label="Any type",
    )
    setting = ChoiceFilter(
        widget=FastSelect,
        label="Setting",
        method=_keep,
        choices=Choices(Rotation.Setting.choices),
        empty_label="Any setting",
    )
    # Dates within the window blocks are offered in (rotations.limits), so none overflows a month's end.
    start_month = MonthFilter(label="Starting in", method=_keep, validators=[limits.validate_catalog_month])
    start_from = django_filters.DateFilter(
        label="Starting from",
        method=_keep,
        widget=FastDateInput(attrs={"type": "date"}),
        validators=[limits.validate_catalog_date],
    )
    start_to = django_filters.DateFilter(
        label="Starting by",
        method=_keep,
        widget=FastDateInput(attrs={"type": "date"}),
        validators=[limits.validate_catalog_date],
    )
    weeks = BoundedNumberFilter(
        widget=FastNumberInput,
        label="Weeks",
        method=_keep,
        min_value=1,
        max_value=limits.BLOCK_MAX_WEEKS,
        decimal_places=0,
        help_text="Length of the block in weeks.",
    )
    max_price = BoundedNumberFilter(
        widget=FastNumberInput,
        label="Max total price (USD)",
        method=_keep,
        min_value=0,
        max_value=limits.MAX_TOTAL_PRICE_DOLLARS,
        decimal_places=0,
        help_text="Application fee plus program fee, whole dollars.",
    )
    lor = StrictBooleanFilter(label="Letter of recommendation offered", method=_keep)
    visa = ChoiceFilter(
        widget=FastSelect,
        label="Visa accepted",
        method=_keep,
        choices=Choices(VisaType.choices),
        empty_label="Any visa",
    )
    open_seats = StrictBooleanFilter(label="Only with open seats", method=_keep)
    sort = ChoiceFilter(
        widget=FastSelect,
        label="Sort by",
        method=_keep,
        choices=Choices(Sort.choices),
        empty_label="Recommended",
        help_text="Recommended: best match when searching, else soonest start.",
    )

    class Meta:
        model = Rotation
        fields: list[str] = []
        form = CatalogForm

    # The form class for the latest specialties: (specialties, class). See get_form_class.
    _form_class: tuple[Choices, type[CatalogForm]] | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read once per catalog version and kept as Choices: a callable would query on each use.
        self.filters["specialty"].extra["choices"] = Choices(
            catalog_cached("specialties", {}, specialty_choices)
        )

    @classmethod
    def get_filters(cls):
        return FilterCopies(super().get_filters())

    def get_form_class(self) -> type[CatalogForm]:
        """django-filter's form class, built once for each list of specialties (the one thing that
        varies) rather than for each request: building its 17 fields and a class took ~0.3 ms. Each
        form still gets its own fields (Django's forms deep-copy their class's fields)."""
        specialties = self.filters["specialty"].extra["choices"]
        cached = type(self).__dict__.get("_form_class")
        if cached is None or cached[0] != specialties:
            cached = (specialties, super().get_form_class())
            type(self)._form_class = cached
        return cached[1]

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
