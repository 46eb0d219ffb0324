"""API shapes of the applicants app; the rules live in services.py."""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from amo.models import Reminder
from amo.validators import MAX_REASON_CHARS, validate_single_line
from applicants import selectors
from applicants.countries import country_choices
from applicants.models import (
    COMPETENCIES,
    KEEP_RIGHT_WORDING,
    MAX_REVIEW_CHARS,
    RATING_MAX,
    RATING_MIN,
    REVIEW_RATINGS,
    WAIVER_WORDING,
    Applicant,
    Application,
    ApplicationTransition,
    BlockChange,
    Document,
    Evaluation,
    LetterRequest,
    Review,
    VisaDenial,
)
from applicants.services import MAX_STATEMENT_CHARS
from applicants.services.letter_requests import LETTER_ID_FORMAT
from hosts.models import Organization, Preceptor
from payments.models import Payment
from payments.serializers import BlockChangePriceField
from rotations.models import VAULT_DOCUMENT_KINDS, Block, SeatHold, Specialty
from rotations.serializers import FirstDaySerializer, PreceptorSerializer


class CompletenessSerializer(serializers.Serializer):
    percent = serializers.IntegerField()
    missing = serializers.ListField(child=serializers.CharField())


def country_field() -> serializers.ChoiceField:
    """An ISO 3166 code, or empty: the list is said in the schema, the refusal in the service's words."""
    return serializers.ChoiceField(
        choices=country_choices(),
        allow_blank=True,
        required=False,
        error_messages={"invalid_choice": "Choose a country from the list (ISO 3166 code)."},
    )


class ProfileSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    citizenship = country_field()
    country_of_residence = country_field()
    medical_school_country = country_field()
    specialties_of_interest = serializers.SlugRelatedField(
        slug_field="slug", queryset=Specialty.objects.all(), many=True, required=False
    )
    completeness = CompletenessSerializer(read_only=True)

    class Meta:
        model = Applicant
        fields = ["email", *Applicant.PROFILE_FIELDS, "specialties_of_interest", "completeness", "updated_at"]
        read_only_fields = ["updated_at"]
        # Ranges and cross-field rules are the service's; keep the model's constraints out of here.
        extra_kwargs = {"step2_score": {"min_value": None, "max_value": None}}


class DocumentSerializer(serializers.ModelSerializer):
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "original_filename",
            "content_type",
            "size_bytes",
            "sha256",
            "expires_on",
            "verification_status",
            "rejection_reason",
            "uploaded_at",
            "file_url",
        ]
        read_only_fields = fields

    def get_file_url(self, document: Document) -> str:
        return reverse("applicants:document_file", args=[document.pk])


class DocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VAULT_DOCUMENT_KINDS)
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=f"PDF, JPEG or PNG, at most 10 MB; your vault holds at most "
        f"{settings.DOCUMENT_VAULT_MAX_FILES} files and {settings.DOCUMENT_VAULT_MAX_BYTES // 2**20} MB.",
    )
    expires_on = serializers.DateField(
        required=False, help_text="Leave out for a document that does not expire."
    )


class TransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApplicationTransition
        fields = ["from_status", "to_status", "actor_role", "reason", "created_at"]


class BlockSummarySerializer(serializers.ModelSerializer):
    rotation = serializers.CharField(source="rotation.title")
    rotation_slug = serializers.CharField(source="rotation.slug")
    organization = serializers.CharField(source="rotation.organization.name")
    end_date = serializers.DateField()

    class Meta:
        model = Block
        fields = ["id", "rotation", "rotation_slug", "organization", "start_date", "end_date", "weeks"]


class BlockChangeSerializer(serializers.ModelSerializer):
    from_block = BlockSummarySerializer()
    to_block = BlockSummarySerializer()
    price_difference = BlockChangePriceField(
        help_text="What moving does to the money if the host approves; null once decided."
    )

    class Meta:
        model = BlockChange
        fields = [
            "id",
            "from_block",
            "to_block",
            "status",
            "reason",
            "answer",
            "requested_at",
            "decided_at",
            "price_difference",
        ]


class ApplicationSerializer(serializers.ModelSerializer):
    block = BlockSummarySerializer()
    documents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    next_step = serializers.CharField()
    hold_kind = serializers.ChoiceField(
        choices=SeatHold.Kind.choices,
        allow_null=True,
        read_only=True,
        help_text="What holds the application's seat: an offer, a book-now checkout or a booking; null "
        "without a held seat.",
    )
    block_changes = BlockChangeSerializer(
        many=True, read_only=True, help_text="Date changes asked for this booking, newest first."
    )
    hold_expires_at = serializers.DateTimeField(
        allow_null=True,
        read_only=True,
        help_text="Until when the seat is held (an offer's or a checkout's deadline); null for a booking or "
        "without a held seat.",
    )
    waitlist_position = serializers.IntegerField(
        allow_null=True, help_text="Your place on the block's waitlist (1 is next); null unless waitlisted."
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "status",
            "block",
            "personal_statement",
            "documents",
            "application_fee_cents",
            "currency",
            "application_fee_status",
            "hold_kind",
            "hold_expires_at",
            "documents_due_at",
            "waitlisted_at",
            "waitlist_position",
            "submitted_at",
            "created_at",
            "next_step",
            "block_changes",
        ]


class BookingSiteSerializer(serializers.ModelSerializer):
    address = serializers.CharField(help_text="Street, city, state and ZIP code on one line.")
    map_url = serializers.URLField(
        help_text="The site on OpenStreetMap: at its coordinates when known, else a search for its address."
    )

    class Meta:
        model = Organization
        fields = ["name", "address_line", "city", "state", "zip_code", "address", "map_url"]


class BookingFirstDaySerializer(FirstDaySerializer):
    """The rotation's first-day information as its host keeps it now (not an agreed term: the
    latest version), with the preceptor and the site."""

    preceptor = PreceptorSerializer(allow_null=True, help_text="Null while the host has named none.")
    site = BookingSiteSerializer()

    class Meta(FirstDaySerializer.Meta):
        fields = [*FirstDaySerializer.Meta.fields, "preceptor", "site"]


class AdvisorSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()


class CompetencyRatingSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=[field for field, _, _ in COMPETENCIES])
    name = serializers.CharField(help_text="The ACGME core competency.")
    rating = serializers.IntegerField(min_value=1, max_value=5)
    rating_label = serializers.CharField(
        help_text="What the rating means, for the applicant's level of training."
    )
    comment = serializers.CharField(allow_blank=True)


class EvaluationSerializer(serializers.ModelSerializer):
    """The preceptor's end-of-rotation evaluation as submitted: fixed from then on."""

    ratings = CompetencyRatingSerializer(
        many=True, read_only=True, help_text="The six ACGME core competencies, each rated 1 to 5."
    )
    preceptor_name = serializers.CharField(source="preceptor.full_name", read_only=True)
    preceptor_credentials = serializers.CharField(source="preceptor.credentials", read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "ratings",
            "hours_completed",
            "attendance",
            "days_missed",
            "overall_comment",
            "preceptor_name",
            "preceptor_credentials",
            "submitted_at",
        ]
        read_only_fields = fields


class ApplicationDetailSerializer(ApplicationSerializer):
    """An application with its history and, once it is a booking, its enrollment letter, and once
    completed and evaluated, its evaluation and certificate of completion (the view sets
    `enrollment_letter`: the letter that stands, or None; `submitted_evaluation` and
    `certificate_issued`, or None)."""

    transitions = TransitionSerializer(many=True)
    enrollment_letter_url = serializers.SerializerMethodField(
        help_text="Where to download the booking's enrollment letter (PDF) with your token or session; "
        "null until the booking is confirmed (and the profile has the legal name and citizenship the "
        "letter prints), and once the letter no longer stands."
    )
    verification_code = serializers.SerializerMethodField(
        help_text="The letter's verification code, as printed on it (ABCD-EFGH-JKMN); a consulate checks "
        "it at /verify/<code>/. Null when there is no letter."
    )

    advisor = serializers.SerializerMethodField(
        help_text="Your advisor, of our staff, from confirmation on; null until one is assigned."
    )
    first_day = serializers.SerializerMethodField(
        help_text="The preceptor, the site and the first-day plan, from confirmation on; null before."
    )
    evaluation = serializers.SerializerMethodField(
        help_text="The preceptor's evaluation of the completed rotation; null until it is submitted."
    )
    certificate_url = serializers.SerializerMethodField(
        help_text="Where to download the certificate of completion (PDF) with your token or session; null "
        "until the evaluation is submitted."
    )
    certificate_code = serializers.SerializerMethodField(
        help_text="The certificate's verification code, as printed on it (ABCD-EFGH-JKMN); anyone checks it "
        "at /verify/<code>/. Null when there is no certificate."
    )

    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "transitions",
            "enrollment_letter_url",
            "verification_code",
            "advisor",
            "first_day",
            "evaluation",
            "certificate_url",
            "certificate_code",
        ]

    def get_enrollment_letter_url(self, application: Application) -> str | None:
        if application.enrollment_letter is None:
            return None
        return reverse("applicants_api:application_enrollment_letter", args=[application.pk])

    def get_verification_code(self, application: Application) -> str | None:
        letter = application.enrollment_letter
        return None if letter is None else letter.code_display

    @extend_schema_field(AdvisorSerializer(allow_null=True))
    def get_advisor(self, application: Application) -> dict | None:
        advisor = selectors.booking_advisor(application)
        return AdvisorSerializer(advisor).data if advisor else None

    @extend_schema_field(BookingFirstDaySerializer(allow_null=True))
    def get_first_day(self, application: Application) -> dict | None:
        first_day = selectors.booking_first_day(application)
        return BookingFirstDaySerializer(first_day).data if first_day else None

    @extend_schema_field(EvaluationSerializer(allow_null=True))
    def get_evaluation(self, application: Application) -> dict | None:
        evaluation = application.submitted_evaluation
        return None if evaluation is None else EvaluationSerializer(evaluation).data

    def get_certificate_url(self, application: Application) -> str | None:
        if application.certificate_issued is None:
            return None
        return reverse("applicants_api:application_certificate", args=[application.pk])

    def get_certificate_code(self, application: Application) -> str | None:
        certificate = application.certificate_issued
        return None if certificate is None else certificate.code_display


class ApplicationInputSerializer(serializers.Serializer):
    """What an applicant sends for a block: the statement and the documents its host will see."""

    block = serializers.PrimaryKeyRelatedField(
        queryset=Block.objects.select_related("rotation__organization")
    )
    personal_statement = serializers.CharField(max_length=MAX_STATEMENT_CHARS, allow_blank=True, default="")
    documents = serializers.ListField(child=serializers.IntegerField(min_value=1), default=list)


class ApplicationCreateSerializer(ApplicationInputSerializer):
    submit = serializers.BooleanField(
        default=True, help_text="Submit at once (the default); false keeps a draft to finish later."
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON_CHARS, allow_blank=True, default="")


class BookNowSerializer(ApplicationInputSerializer):
    """Book a block of a book-now rotation; required documents missing may follow within 7 days."""


class BlockChangeRequestSerializer(serializers.Serializer):
    to_block = serializers.PrimaryKeyRelatedField(
        queryset=Block.objects.all(), help_text="Another open block of the same organization."
    )
    reason = serializers.CharField(max_length=MAX_REASON_CHARS, allow_blank=True, default="")


class DocumentsSendSerializer(serializers.Serializer):
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        min_length=1,  # allow_empty alone is not said in the schema
        help_text="Documents from your vault.",
    )


class RefundWindowSerializer(serializers.Serializer):
    starts_on = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField()
    refund_percent = serializers.IntegerField()


class RefundQuoteLineSerializer(serializers.Serializer):
    payment = serializers.IntegerField(source="payment_id")
    purpose = serializers.ChoiceField(choices=Payment.Purpose.choices)
    amount_cents = serializers.IntegerField()


class RefundQuoteSerializer(serializers.Serializer):
    """What cancelling (or withdrawing) today gives back by the rotation's cancellation policy, from
    the payments made: what the cancellation then refunds."""

    application_fee_cents = serializers.IntegerField()
    application_fee_paid_cents = serializers.IntegerField()
    application_fee_refund_cents = serializers.IntegerField(help_text="The application fee is not refunded.")
    program_fee_cents = serializers.IntegerField()
    program_fee_paid_cents = serializers.IntegerField(help_text="Program fee paid, less what was refunded.")
    refund_percent = serializers.IntegerField()
    program_fee_refund_cents = serializers.IntegerField()
    refund_total_cents = serializers.IntegerField()
    currency = serializers.CharField()
    refunds = RefundQuoteLineSerializer(
        many=True, help_text="The refund's part of each payment, newest first."
    )
    schedule = RefundWindowSerializer(many=True)


class VisaDenialSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisaDenial
        fields = ["id", "status", "refusal_reason", "submitted_at", "decided_at"]
        read_only_fields = fields


class VisaDenialSubmitSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="The consulate's letter denying the visa: PDF, JPEG or PNG, at most 10 MB.",
    )


class ReminderSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_kind_display", help_text="What it reminds of, in words.")
    about_type = serializers.SerializerMethodField(
        help_text="What it is about: application, block_change, document, organization..."
    )
    about_id = serializers.IntegerField(help_text="The id of what it is about.")
    application_id = serializers.IntegerField(
        allow_null=True, help_text="The application it is about, itself or through a date change; else null."
    )

    class Meta:
        model = Reminder
        fields = ["id", "kind", "label", "due_at", "about_type", "about_id", "application_id"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_about_type(self, reminder: Reminder) -> str:
        # The model's name in snake case: BlockChange is "block_change".
        return re.sub(r"(?<!^)(?=[A-Z])", "_", reminder.about_type.model_class().__name__).lower()


# --- Letters of recommendation ----------------------------------------------------------------


class LetterFileURLField(serializers.CharField):
    """Where the applicant downloads a letter they kept the right to see, once its author's letter
    is received. Left out of the answer otherwise: a waived letter carries no file field at all."""

    def __init__(self, **kwargs):
        super().__init__(source="*", required=False, **kwargs)

    def get_attribute(self, letter: LetterRequest) -> str:
        if letter.waived or letter.received_at is None:
            raise serializers.SkipField
        return reverse("applicants_api:letter_file", args=[letter.pk])


class LetterSerializer(serializers.ModelSerializer):
    """A letter request as its applicant sees it: what they asked, its status and dates."""

    application = serializers.IntegerField(source="application_id")
    rotation = serializers.CharField(source="application.block.rotation.title")
    preceptor = serializers.IntegerField(source="preceptor_id", help_text="The author's preceptor id.")
    specialty = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    status_label = serializers.CharField(source="get_status_display", help_text="The status in words.")
    received_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When AMO first received the author's letter, checked against the ERAS portal's rules "
        "and kept for safekeeping; null before.",
    )
    download_url = LetterFileURLField(
        help_text="Only for a letter you kept the right to see, once received: where to download its "
        "newest version (PDF) with your token or session. Never present for a waived letter."
    )

    class Meta:
        model = LetterRequest
        fields = [
            "id",
            "application",
            "rotation",
            "preceptor",
            "author_name",
            "author_title",
            "author_email",
            "eras_letter_id",
            "specialty",
            "due_on",
            "waived",
            "waiver_wording",
            "waiver_recorded_at",
            "status",
            "status_label",
            "requested_at",
            "accepted_at",
            "received_at",
            "eras_submitted_on",
            "submitted_at",
            "declined_at",
            "decline_reason",
            "expired_at",
            "withdrawn_at",
            "download_url",
        ]
        read_only_fields = [name for name in fields if name != "download_url"]


class LetterRequestCreateSerializer(serializers.Serializer):
    """A letter asked of a preceptor of the booking's organization, as entered in MyERAS."""

    preceptor = serializers.PrimaryKeyRelatedField(
        queryset=Preceptor.objects.all(),
        required=False,
        help_text="The author: a preceptor of the rotation's organization (default: the rotation's).",
    )
    author_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        validators=[validate_single_line],
        help_text="The author's name as in MyERAS. Default: the preceptor's name.",
    )
    author_title = serializers.CharField(
        max_length=200, validators=[validate_single_line], help_text="The author's title or department."
    )
    author_email = serializers.EmailField(
        required=False,
        allow_blank=True,
        help_text="Where the author's link is emailed. Default: the address of the preceptor's AMO account "
        "(required when they have none).",
    )
    eras_letter_id = serializers.RegexField(
        LETTER_ID_FORMAT,
        max_length=20,
        help_text="The Letter ID on the Letter Request Form: 4 to 20 letters, digits or dashes.",
        error_messages={"invalid": "Enter the ERAS Letter ID: 4 to 20 letters, digits or dashes."},
    )
    specialty = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Specialty.objects.all(),
        required=False,
        allow_null=True,
        help_text="The specialty you will assign the letter to (its slug); leave out for none in particular.",
    )
    due_on = serializers.DateField(help_text="When you need the letter in ERAS: a day after today.")
    request_form = serializers.FileField(
        allow_empty_file=True, help_text="The Letter Request Form from MyERAS: a PDF of at most 1 MB."
    )
    waived = serializers.BooleanField(
        required=False,
        help_text=f"True: “{WAIVER_WORDING}” False: “{KEEP_RIGHT_WORDING}” Default: your standing choice "
        "(waived when you never made one).",
    )


class ReviewSerializer(serializers.ModelSerializer):
    """A review as its author and the host read it (the public reads the rotation's page)."""

    completed_month = serializers.SerializerMethodField(
        help_text="The month the rotation ended (YYYY-MM): the public page says “Completed <month year>”."
    )
    hidden = serializers.BooleanField(
        source="is_hidden", read_only=True, help_text="Hidden from the public by our staff."
    )
    hidden_reason = serializers.CharField(read_only=True, help_text="Our staff's reason; empty when shown.")

    class Meta:
        model = Review
        fields = [
            "id",
            "application",
            *REVIEW_RATINGS,
            "text",
            "created_at",
            "completed_month",
            "answer",
            "answered_at",
            "hidden",
            "hidden_reason",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2025-03"})
    def get_completed_month(self, review: Review) -> str:
        return f"{review.application.block.end_date:%Y-%m}"


class ReviewSubmitSerializer(serializers.Serializer):
    teaching_rating = serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX)
    hands_on_rating = serializers.IntegerField(
        min_value=RATING_MIN, max_value=RATING_MAX, help_text="How much you took part in care."
    )
    organization_rating = serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX)
    value_rating = serializers.IntegerField(
        min_value=RATING_MIN, max_value=RATING_MAX, help_text="Value for the fees paid."
    )
    text = serializers.CharField(max_length=MAX_REVIEW_CHARS, help_text="What future applicants should know.")
