"""Input shapes of the host dashboard. Services decide what is allowed."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django import forms

from amo.forms import SingleLineField, bounded_formfield
from amo.money import cents_to_dollars, dollars_to_cents
from amo.text import day_label, moment_label
from amo.validators import MAX_DESCRIPTION_CHARS, MAX_REASON_CHARS, validate_platform_date
from applicants.models import (
    COMPETENCIES,
    MAX_REVIEW_ANSWER_CHARS,
    MAX_WEEKLY_HOURS,
    RATINGS,
    Application,
    Evaluation,
)
from applicants.services import MAX_MESSAGE_CHARS
from applicants.services.evaluations import MAX_COMPETENCY_COMMENT_CHARS
from hosts.models import (
    Accreditation,
    Membership,
    Organization,
    OrganizationVerification,
    Preceptor,
    PreceptorCheck,
)
from hosts.npi import validate_npi
from hosts.services import STATE_MESSAGE
from hosts.verification import PreceptorCheckInput
from rotations import limits
from rotations import services as rotation_services
from rotations.models import VAULT_DOCUMENT_KINDS, Block, FirstDayInformation, Rotation, VisaType
from rotations.states import US_STATES

DATE = forms.DateInput(attrs={"type": "date"})


class DescribedBoundField(forms.BoundField):
    """A field whose errors, like its help text, are its accessible description (hosts/_form.html
    gives them the id), so a screen reader reads what is wrong on reaching the field."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            widget = widget or self.field.widget
            described_by = attrs.get("aria-describedby") or widget.attrs.get("aria-describedby", "")
            attrs["aria-describedby"] = f"{described_by} {self.auto_id}-errors".strip()
        return attrs


class BootstrapMixin:
    """Bootstrap's classes on every widget, so the templates stay plain loops."""

    bound_field_class = DescribedBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            if field.help_text:
                widget.attrs.setdefault("aria-describedby", f"{self._element_id(name)}-help")

    def _element_id(self, name: str) -> str:
        """The id the field's element gets (BoundField.auto_id), without building the bound field,
        which would freeze its help text before a subclass adapts it."""
        html_name = self.add_prefix(name)
        auto_id = str(self.auto_id or "")
        return auto_id % html_name if "%s" in auto_id else auto_id and html_name


class StateField(forms.ChoiceField):
    """A U.S. state by its postal code, in either case ("tx" is TX)."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[("", "Choose a state"), *((code, f"{name} ({code})") for code, name in US_STATES)],
            error_messages={"invalid_choice": STATE_MESSAGE},
            **kwargs,
        )

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class OrganizationForm(BootstrapMixin, forms.ModelForm):
    """Lengths, the ZIP code's shape and the description's bound come from the model's fields, as
    organization_create checks them."""

    website = forms.URLField(required=False, assume_scheme="https")
    state = StateField()

    class Meta:
        model = Organization
        fields = ["name", "kind", "address_line", "city", "state", "zip_code", "website", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def _post_clean(self):
        # organization_create validates the organization, in the same words for every path.
        pass


class InvitationForm(BootstrapMixin, forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices)
    preceptor = forms.ModelChoiceField(
        queryset=None, required=False, help_text="For the preceptor role: which of your preceptors this is."
    )

    def __init__(self, *args, preceptors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preceptor"].queryset = preceptors


class PreceptorForm(BootstrapMixin, forms.Form):
    full_name = SingleLineField(max_length=200)
    credentials = forms.ChoiceField(choices=[("MD", "MD"), ("DO", "DO")])
    specialty = forms.ModelChoiceField(queryset=None)
    board_certification = SingleLineField(max_length=200, required=False)
    npi_number = SingleLineField(
        label="NPI number",
        max_length=10,
        required=False,
        validators=[validate_npi],
        help_text="Ten digits, as the NPPES registry lists them.",
    )

    def __init__(self, *args, specialties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialty"].queryset = specialties


MONEY_FIELDS = {
    "application_fee": "application_fee_cents",
    "program_fee": "program_fee_cents",
    "deposit": "deposit_cents",
}


def dollars_field(label: str, cents_field: str) -> forms.DecimalField:
    """Dollars and cents, up to the model field's own maximum in cents."""
    max_cents = bounded_formfield(Rotation._meta.get_field(cents_field)).max_value
    return forms.DecimalField(
        label=f"{label} (USD)",
        min_value=0,
        max_value=cents_to_dollars(max_cents),
        max_digits=9,
        decimal_places=2,
    )


class RotationForm(BootstrapMixin, forms.ModelForm):
    """Fees in dollars here, cents in the service (`service_fields`)."""

    service_field_names = {cents: name for name, cents in MONEY_FIELDS.items()}

    application_fee = dollars_field("Application fee", "application_fee_cents")
    program_fee = dollars_field("Program fee", "program_fee_cents")
    deposit = dollars_field("Deposit", "deposit_cents")
    accepted_visa_types = forms.MultipleChoiceField(
        choices=VisaType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means any.",
    )
    required_document_kinds = forms.MultipleChoiceField(
        choices=VAULT_DOCUMENT_KINDS, required=False, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(max_length=MAX_DESCRIPTION_CHARS, widget=forms.Textarea(attrs={"rows": 6}))

    class Meta:
        model = Rotation
        # Fees are entered in dollars (MONEY_FIELDS); the currency is the platform's.
        fields = [
            name
            for name in rotation_services.ROTATION_FIELDS
            if name not in MONEY_FIELDS.values() and name != "currency"
        ]
        formfield_callback = bounded_formfield

    def __init__(self, *args, preceptors, specialties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preceptor"].queryset = preceptors
        self.fields["specialty"].queryset = specialties
        if self.instance.pk:
            for name, cents_field in MONEY_FIELDS.items():
                self.initial[name] = cents_to_dollars(getattr(self.instance, cents_field))

    def _post_clean(self):
        # The service validates the rotation; the form only checks shapes.
        pass

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        for name, cents_field in MONEY_FIELDS.items():
            data[cents_field] = dollars_to_cents(self.cleaned_data[name])
        return data


class BlockForm(BootstrapMixin, forms.ModelForm):
    """Ranges from the model's validators; the dates' rules (rotations.limits) are the service's."""

    class Meta:
        model = Block
        fields = ["start_date", "weeks", "capacity", "apply_by"]
        widgets = {"start_date": DATE, "apply_by": DATE}
        formfield_callback = bounded_formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The date pickers offer the window the service accepts.
        self.fields["start_date"].widget.attrs["max"] = limits.latest_block_start().isoformat()

    def _post_clean(self):
        pass


class FirstDayForm(BootstrapMixin, forms.ModelForm):
    """Shapes only; rotations.services.first_day_update checks and writes."""

    class Meta:
        model = FirstDayInformation
        fields = list(FirstDayInformation.FIELDS)
        widgets = {
            # The one format a time input reads back, so a re-shown value is not lost.
            "arrival_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "where_to_go": forms.Textarea(attrs={"rows": 3}),
            "dress_code": forms.Textarea(attrs={"rows": 2}),
            "what_to_bring": forms.Textarea(attrs={"rows": 3}),
        }

    def _post_clean(self):
        pass


class QueueFilterForm(BootstrapMixin, forms.Form):
    rotation = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    block = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(
        choices=[
            ("", "Any status but waitlisted"),
            *[c for c in Application.Status.choices if c[0] != "draft"],
        ],
        required=False,
    )
    submitted_from = forms.DateField(
        required=False, widget=DATE, label="Submitted from", validators=[validate_platform_date]
    )
    submitted_to = forms.DateField(
        required=False, widget=DATE, label="Submitted to", validators=[validate_platform_date]
    )

    def __init__(self, *args, rotations, blocks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rotation"].choices = [("", "Any rotation"), *[(r.pk, r.title) for r in rotations]]
        self.fields["block"].choices = [
            ("", "Any block"),
            *[(b.pk, f"{b.rotation.title} — {day_label(b.start_date)}") for b in blocks],
        ]


class OfferForm(BootstrapMixin, forms.Form):
    expires_at = forms.DateTimeField(
        required=False,
        label="Offer expires at (UTC)",
        # The one format a datetime-local input reads back, so a re-shown value is not lost.
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for 7 days (never past the block's start).",
    )

    def __init__(self, *args, default_deadline: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if default_deadline is not None:
            self.fields[
                "expires_at"
            ].help_text = (
                f"Leave empty for {moment_label(default_deadline)} UTC: 7 days, never past the block's start."
            )


def _reason_field(*, label: str = "Reason", help_text: str, required: bool = True) -> forms.CharField:
    return forms.CharField(
        max_length=MAX_REASON_CHARS,
        required=required,
        label=label,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PrefixedIdsMixin:
    """Distinct element ids for a form shown next to others with the same field names."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class CancelBookingForm(PrefixedIdsMixin, BootstrapMixin, forms.Form):
    id_prefix = "cancel"
    reason = _reason_field(help_text="Why the booking is cancelled; the applicant will read it.")


class NoShowForm(PrefixedIdsMixin, BootstrapMixin, forms.Form):
    id_prefix = "no-show"
    reason = _reason_field(label="Note", help_text="Optional; the applicant will read it.", required=False)


class EndEarlyForm(PrefixedIdsMixin, BootstrapMixin, forms.Form):
    id_prefix = "end-early"
    reason = _reason_field(help_text="Why the rotation ended early; the applicant will read it.")


class BlockChangeDeclineForm(BootstrapMixin, forms.Form):
    answer = _reason_field(label="Reason for declining", help_text="The applicant will read it.")

    def __init__(self, *args, block_change_id: int, **kwargs):
        kwargs.setdefault("auto_id", f"change-{block_change_id}-%s")
        super().__init__(*args, **kwargs)


class ReviewAnswerForm(BootstrapMixin, forms.Form):
    answer = forms.CharField(
        label="Your public answer",
        max_length=MAX_REVIEW_ANSWER_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown under the review on the rotation's page. You can answer once.",
    )

    def __init__(self, *args, review_id: int, **kwargs):
        kwargs.setdefault("auto_id", f"review-{review_id}-%s")
        super().__init__(*args, **kwargs)


class RejectForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The applicant will read it.",
    )


class MessageForm(BootstrapMixin, forms.Form):
    message = forms.CharField(max_length=MAX_MESSAGE_CHARS, widget=forms.Textarea(attrs={"rows": 3}))


class BulkForm(BootstrapMixin, forms.Form):
    ACTIONS = [
        ("start_review", "Start review"),
        ("offer", "Make offers (7-day deadline)"),
        ("waitlist", "Waitlist"),
        ("reject", "Reject"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    applications = forms.CharField(widget=forms.MultipleHiddenInput, help_text="Ticked applications.")
    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (for reject)",
    )

    def clean_applications(self) -> list[int]:
        ids = self.data.getlist("applications")
        if not ids or not all(value.isdecimal() for value in ids):
            raise forms.ValidationError("Tick at least one application.")
        return sorted({int(value) for value in ids})


class EvaluationForm(BootstrapMixin, forms.Form):
    """The end-of-rotation evaluation: each ACGME core competency rated 1 to 5 (radio buttons with
    what each rating means) with an optional comment, the hours, the attendance and an overall
    comment. Shapes only; applicants.services.evaluation_submit checks and writes."""

    def __init__(self, *args, weeks: int, **kwargs):
        super().__init__(*args, **kwargs)
        rating_choices = [(value, f"{value}: {label}") for value, label in RATINGS.items()]
        for field, name, description in COMPETENCIES:
            self.fields[field] = forms.TypedChoiceField(
                label=name,
                help_text=description,
                coerce=int,
                choices=rating_choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={
                    "required": f"Rate {name.lower()}.",
                    "invalid_choice": f"Rate {name.lower()} from 1 to 5.",
                },
            )
            self.fields[f"{field}_comment"] = forms.CharField(
                label=f"Comment on {name.lower()}",
                required=False,
                max_length=MAX_COMPETENCY_COMMENT_CHARS,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            )
        most = weeks * MAX_WEEKLY_HOURS
        self.fields["hours_completed"] = forms.IntegerField(
            label="Hours completed",
            min_value=1,
            max_value=most,
            help_text=f"At most {most}: {MAX_WEEKLY_HOURS} hours a week over {weeks} weeks.",
            widget=forms.NumberInput(attrs={"class": "form-control"}),
        )
        self.fields["attendance"] = forms.ChoiceField(
            label="Attendance",
            choices=Evaluation.Attendance.choices,
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        )
        self.fields["days_missed"] = forms.IntegerField(
            label="Days missed",
            required=False,
            min_value=0,
            max_value=weeks * 7,
            help_text="Only if the applicant missed some days.",
            widget=forms.NumberInput(attrs={"class": "form-control"}),
        )
        self.fields["overall_comment"] = forms.CharField(
            label="Overall comment",
            max_length=MAX_DESCRIPTION_CHARS,
            help_text="The applicant reads it, and every comment above.",
            widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        )

        for name in ("hours_completed", "days_missed", "overall_comment"):
            self.fields[name].widget.attrs["aria-describedby"] = f"{self._element_id(name)}-help"

    def competencies(self) -> list[tuple]:
        """Each competency's rating and comment fields, in order, for the template."""
        return [(self[field], self[f"{field}_comment"]) for field, _, _ in COMPETENCIES]

    def submission(self) -> dict:
        """The cleaned answers as evaluation_submit takes them."""
        data = self.cleaned_data
        return {
            "ratings": {field: data[field] for field, _, _ in COMPETENCIES},
            "comments": {field: data[f"{field}_comment"] for field, _, _ in COMPETENCIES},
            "hours_completed": data["hours_completed"],
            "attendance": data["attendance"],
            "days_missed": data.get("days_missed") or 0,
            "overall_comment": data["overall_comment"],
        }


# --- Staff (the admin's pages) ---------------------------------------------------------------------


def _named_by_headers(pk: int, name: str) -> dict:
    """An input in the verification page's table is named by its column's and its row's headers
    (ids the template gives them)."""
    return {"aria-labelledby": f"column-{name} preceptor-{pk}"}


class VerificationRecordForm(forms.Form):
    """Staff: how they verified an organization. The accreditation, then one row of inputs per
    current preceptor of the organization (`preceptor_rows`), all of them required: the NPI number
    found in the NPPES registry and the state license found on the medical board's lookup."""

    PRECEPTOR_INPUTS = ["npi_number", "license_number", "license_state", "checked_on"]

    accreditation = forms.ChoiceField(choices=Accreditation.choices)
    accreditation_reference = SingleLineField(
        label="Accreditation or license number",
        max_length=OrganizationVerification._meta.get_field("accreditation_reference").max_length,
        required=False,
    )
    accreditation_expires_on = forms.DateField(
        label="Accreditation expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_platform_date],
    )
    notes = forms.CharField(
        required=False,
        max_length=OrganizationVerification._meta.get_field("notes").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you looked at and where, for the next person who checks.",
    )

    def __init__(self, *args, organization: Organization, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.preceptors = list(Preceptor.objects.for_org(organization).select_related("specialty"))
        for preceptor in self.preceptors:
            prefix = f"p{preceptor.pk}_"
            named = partial(_named_by_headers, preceptor.pk)
            self.fields[prefix + "npi_number"] = SingleLineField(
                label="NPI number",
                max_length=10,
                required=False,
                validators=[validate_npi],
                initial=preceptor.npi_number,
                widget=forms.TextInput(attrs={**named("npi_number"), "inputmode": "numeric", "size": 11}),
            )
            self.fields[prefix + "license_number"] = SingleLineField(
                label="State license number",
                max_length=PreceptorCheck._meta.get_field("license_number").max_length,
                required=False,
                widget=forms.TextInput(attrs={**named("license_number"), "size": 14}),
            )
            self.fields[prefix + "license_state"] = forms.ChoiceField(
                label="License state",
                choices=[("", "---------"), *US_STATES],
                required=False,
                initial=organization.state,
                widget=forms.Select(attrs=named("license_state")),
            )
            self.fields[prefix + "checked_on"] = forms.DateField(
                label="Checked on",
                required=False,
                initial=today,
                widget=forms.DateInput(attrs={**named("checked_on"), "type": "date"}),
                validators=[validate_platform_date],
            )

    @property
    def accreditation_fields(self) -> list:
        return [
            self[name]
            for name in ("accreditation", "accreditation_reference", "accreditation_expires_on", "notes")
        ]

    @property
    def preceptor_rows(self) -> list[tuple[Preceptor, list]]:
        """Each current preceptor with its inputs, for the page's table: one row each."""
        return [
            (preceptor, [self[f"p{preceptor.pk}_{name}"] for name in self.PRECEPTOR_INPUTS])
            for preceptor in self.preceptors
        ]

    def clean(self):
        cleaned = super().clean()
        for preceptor in self.preceptors:
            prefix = f"p{preceptor.pk}_"
            for name, words in [
                ("npi_number", "the NPI number you checked"),
                ("license_number", "the state license number you checked"),
                ("license_state", "the license's state"),
            ]:
                if not cleaned.get(prefix + name) and prefix + name not in self.errors:
                    self.add_error(
                        prefix + name,
                        f"Enter {words} for {preceptor.full_name}: a verification checks every preceptor.",
                    )
        return cleaned

    def preceptor_checks(self) -> list[PreceptorCheckInput]:
        """Every preceptor's check, as the service takes them."""
        data = self.cleaned_data
        return [
            PreceptorCheckInput(
                preceptor=preceptor,
                npi_number=data[f"p{preceptor.pk}_npi_number"],
                license_number=data[f"p{preceptor.pk}_license_number"],
                license_state=data[f"p{preceptor.pk}_license_state"],
                checked_on=data[f"p{preceptor.pk}_checked_on"],
            )
            for preceptor in self.preceptors
        ]


class VerificationWithdrawForm(forms.Form):
    """Staff: why they stop vouching for an organization (kept on its verification records)."""

    reason = forms.CharField(
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept on the organization's verification records. Its rotations leave the catalog.",
    )
