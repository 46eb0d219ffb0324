"""Input shapes of the applicant's pages; the rules live in services.py."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.utils import timezone

from amo.forms import FastSelect, SingleLineField
from amo.text import day_label
from amo.validators import MAX_REASON_CHARS
from applicants.countries import country_choices
from applicants.models import (
    KEEP_RIGHT_WORDING,
    MAX_REVIEW_CHARS,
    REVIEW_RATINGS,
    WAIVER_WORDING,
    Applicant,
    Application,
    Document,
)
from applicants.selectors import letter_author_email_default
from applicants.services import MAX_MESSAGE_CHARS, MAX_STATEMENT_CHARS, document_expiry_window
from hosts.models import Preceptor
from payments.selectors import PriceDifference
from rotations.models import VAULT_DOCUMENT_KINDS, Block, Specialty


class DateInput(forms.DateInput):
    input_type = "date"


class ProfileForm(forms.ModelForm):
    specialties_of_interest = forms.ModelMultipleChoiceField(
        queryset=Specialty.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Applicant
        fields = [*Applicant.PROFILE_FIELDS, "specialties_of_interest"]
        widgets = {
            "date_of_birth": DateInput,
            "step1_date": DateInput,
            "step2_date": DateInput,
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "legal_name": forms.TextInput(attrs={"autocomplete": "name"}),
        }
        labels = {
            "legal_name": "Legal name (as in your passport)",
            "training_status": "I am a",
            "ecfmg_status": "ECFMG certification",
            "ecfmg_number": "ECFMG/USMLE ID",
            "step1_result": "USMLE Step 1",
            "step1_date": "Step 1 date",
            "step2_date": "Step 2 CK date",
            "visa_status": "Current U.S. visa status",
            "medical_school_name": "Medical school",
        }
        help_texts = {
            "graduation_year": "The year you expect to graduate (students) or graduated (graduates).",
            "step2_score": "1–300; leave empty if you have not taken it.",
            "phone": "With the country code, e.g. +234 803 123 4567.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = [("", "—"), *country_choices()]
        for name in Applicant.COUNTRY_FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=self.fields[name].label, choices=countries, required=False, widget=FastSelect
            )
        self.fields["citizenship"].label = "Citizenship"

    def _post_clean(self):
        # The model's own validation would duplicate the service's rules: the service decides.
        pass


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=VAULT_DOCUMENT_KINDS, label="Kind of document")
    file = forms.FileField(
        help_text="PDF, JPEG or PNG, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        allow_empty_file=True,  # the service refuses empty files with its own message
    )
    expires_on = forms.DateField(
        required=False,
        widget=DateInput,
        label="Expires on",
        help_text="Required for TB test, immunization record, health insurance and BLS certificate.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The date picker offers the window the service accepts.
        first, last = document_expiry_window(timezone.now().date())
        self.fields["expires_on"].widget.attrs.update(min=first.isoformat(), max=last.isoformat())


class VisaDenialForm(forms.Form):
    file = forms.FileField(
        label="The consulate's denial letter",
        help_text="PDF, JPEG or PNG, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        allow_empty_file=True,  # the service refuses empty files with its own message
    )


class DocumentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, document: Document) -> str:
        expiry = f", expires {day_label(document.expires_on)}" if document.expires_on else ""
        return (
            f"{document.get_kind_display()}: {document.original_filename} "
            f"({document.get_verification_status_display().lower()}{expiry})"
        )


def _vault(applicant: Applicant):
    return Document.objects.filter(applicant=applicant).order_by("kind", "-uploaded_at")


class ApplyForm(forms.Form):
    """Apply for a block, or book a book-now block: the statement and the documents the host sees."""

    personal_statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_STATEMENT_CHARS,
        required=False,
        help_text=f"Why this rotation? Up to {MAX_STATEMENT_CHARS} characters; required to submit.",
    )
    documents = DocumentChoiceField(
        queryset=Document.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Documents this host will see",
    )

    def __init__(self, *args, applicant: Applicant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = _vault(applicant)


class ReasonForm(forms.Form):
    """An optional reason: withdrawing, declining an offer, cancelling a booking."""

    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (optional)",
    )


class DocumentsSendForm(forms.Form):
    documents = DocumentChoiceField(
        queryset=Document.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Documents to send to the host",
    )

    def __init__(self, *args, applicant: Applicant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = _vault(applicant)


class BlockChangeForm(forms.Form):
    to_block = forms.ModelChoiceField(queryset=Block.objects.none(), label="Move to", empty_label=None)
    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (optional)",
    )

    def __init__(self, *args, targets, price_of: Callable[[Block], PriceDifference] | None = None, **kwargs):
        """`price_of` (payments.selectors.price_differences) adds what each move does to the money."""
        super().__init__(*args, **kwargs)
        self.fields["to_block"].queryset = targets

        def label(block: Block) -> str:
            text = f"{block.rotation.title}: {day_label(block.start_date)} – {day_label(block.end_date)}"
            return f"{text} ({price_of(block).short})" if price_of else text

        self.fields["to_block"].label_from_instance = label


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message", max_length=MAX_MESSAGE_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- Letters of recommendation ----------------------------------------------------------------


class WaiverField(forms.TypedChoiceField):
    """The waiver as a choice between its two wordings, word for word (applicants.models)."""

    WAIVE, KEEP = "waive", "keep"

    def __init__(self, **kwargs):
        super().__init__(
            choices=[(self.WAIVE, WAIVER_WORDING), (self.KEEP, KEEP_RIGHT_WORDING)],
            coerce=lambda value: value == self.WAIVE,
            widget=forms.RadioSelect,
            error_messages={"required": "Choose whether you waive your right to see the letter."},
            **kwargs,
        )

    @classmethod
    def initial_for(cls, waived: bool) -> str:
        return cls.WAIVE if waived else cls.KEEP


class LetterRequestForm(forms.Form):
    """A letter of recommendation asked of a preceptor of the booking's organization, as the
    applicant entered it in MyERAS; the service decides whether it may be asked now."""

    preceptor = forms.ModelChoiceField(queryset=Preceptor.objects.none(), label="Author", empty_label=None)
    author_title = SingleLineField(
        max_length=200,
        label="Author's title or department",
        help_text="As you entered it in MyERAS, e.g. “Associate Professor of Medicine”.",
    )
    author_email = forms.EmailField(
        required=False,
        label="Author's email",
        help_text="We email the author a link to answer, upload the letter and confirm its submission. "
        "Leave it empty to use the address of the author's AMO account.",
    )
    eras_letter_id = SingleLineField(
        max_length=20,
        label="ERAS Letter ID",
        help_text="The Letter ID printed on the Letter Request Form you generated in MyERAS.",
    )
    specialty = forms.ModelChoiceField(
        queryset=Specialty.objects.order_by("name"),
        required=False,
        label="Target specialty",
        empty_label="None in particular",
    )
    due_on = forms.DateField(
        widget=DateInput, label="Needed in ERAS by", help_text="The day you need the letter in ERAS."
    )
    request_form = forms.FileField(
        label="Letter Request Form (PDF)",
        help_text="The form you generated in MyERAS for this letter: a PDF of at most 1 MB. The author "
        "receives it with the request.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
        allow_empty_file=True,  # the service refuses an empty file in its own words
    )
    waived = WaiverField(label="Your right to see this letter")

    def __init__(self, *args, application: Application, waived: bool, **kwargs):
        """`waived`: the applicant's standing choice (selectors.letter_default_waiver)."""
        super().__init__(*args, **kwargs)
        rotation = application.block.rotation
        self.fields["preceptor"].queryset = (
            Preceptor.objects.for_org(rotation.organization_id).select_related("user").order_by("full_name")
        )
        self.fields[
            "preceptor"
        ].help_text = f"A preceptor of {rotation.organization.name}; usually the one who supervised you."
        default_author = rotation.preceptor
        self.initial.setdefault("preceptor", default_author.pk if default_author else None)
        self.initial.setdefault("author_email", letter_author_email_default(default_author))
        self.initial.setdefault("specialty", rotation.specialty_id)
        self.initial.setdefault("waived", WaiverField.initial_for(waived))

    def clean(self):
        data = super().clean()
        if not data.get("author_email") and "author_email" not in self.errors:
            # Left empty: the address of the author's account, if any (the service refuses none).
            data["author_email"] = letter_author_email_default(data.get("preceptor"))
        return data


class LetterWaiverForm(forms.Form):
    """The applicant's standing choice, the default for the letters they request from now on."""

    waived = WaiverField(label="For the letters you request from now on")


# --- A letter of recommendation, answered by its author through the emailed link ---------------------


class LetterAuthorDeclineForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why you decline",
        help_text="The applicant will read it.",
    )


class LetterAuthorUploadForm(forms.Form):
    file = forms.FileField(
        label="The letter (PDF)",
        help_text="Checked against the ERAS portal's rules before it is kept. A new upload replaces the "
        "letter for ERAS; earlier ones are kept.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
        allow_empty_file=True,  # the format check refuses an empty file in its own words
    )


class LetterAuthorConfirmForm(forms.Form):
    eras_submitted_on = forms.DateField(
        widget=DateInput,
        label="The day you uploaded it to ERAS",
        help_text="As the ERAS Letter of Recommendation Portal shows it.",
    )


# A rating's choices, best first, with the words that say what each number means.
RATING_CHOICES = [
    ("", "Choose a rating"),
    (5, "5: excellent"),
    (4, "4: good"),
    (3, "3: fair"),
    (2, "2: poor"),
    (1, "1: very poor"),
]


class ReviewForm(forms.Form):
    """A review of a completed booking: the four ratings, then the words."""

    text = forms.CharField(
        label="Your review",
        max_length=MAX_REVIEW_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What should future applicants know? Shown on the rotation's page without your name, "
        "with the month your rotation ended.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ratings = {
            field: forms.TypedChoiceField(label=label, coerce=int, choices=RATING_CHOICES)
            for field, label in REVIEW_RATINGS.items()
        }
        self.fields = {**ratings, **self.fields}
