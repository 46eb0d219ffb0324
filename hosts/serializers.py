"""Shapes of the host API. Related objects are looked up through the view's tenant scope."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from amo.validators import MAX_DESCRIPTION_CHARS, MAX_REASON_CHARS, validate_platform_date
from applicants.models import (
    COMPETENCIES,
    MAX_EVALUATION_HOURS,
    MAX_REVIEW_ANSWER_CHARS,
    RATINGS,
    Application,
    BlockChange,
    Document,
    Evaluation,
    LetterRequest,
    LetterVersion,
)
from applicants.serializers import ReviewSerializer
from applicants.services import BULK_ACTIONS, MAX_MESSAGE_CHARS
from applicants.services.evaluations import MAX_COMPETENCY_COMMENT_CHARS
from hosts.models import Preceptor
from payments.serializers import BlockChangePriceField
from rotations import services as rotation_services
from rotations.models import Block, Rotation


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A foreign key the requester may only point at their own organization's objects."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        view = self.context["view"]
        return view.scoped(self.model._default_manager.all())


class HostRotationSerializer(serializers.ModelSerializer):
    preceptor = ScopedPrimaryKeyField(Preceptor, allow_null=True, required=False)
    # The platform's one currency (rotation_services refuses any other), said in the schema.
    currency = serializers.ChoiceField(
        choices=[settings.DEFAULT_CURRENCY],
        required=False,
        error_messages={"invalid_choice": f"Fees are in {settings.DEFAULT_CURRENCY.upper()} only."},
    )

    class Meta:
        model = Rotation
        fields = ["id", "slug", "status", "published_at", *rotation_services.ROTATION_FIELDS]
        read_only_fields = ["id", "slug", "status", "published_at"]
        extra_kwargs = {"description": {"max_length": MAX_DESCRIPTION_CHARS}}


class HostBlockSerializer(serializers.ModelSerializer):
    rotation = ScopedPrimaryKeyField(Rotation)
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Block
        fields = [
            "id",
            "rotation",
            "start_date",
            "weeks",
            "capacity",
            "apply_by",
            "seats_taken",
            "seats_left",
        ]
        read_only_fields = ["id", "seats_taken", "seats_left"]


class HostApplicantSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="legal_name")
    email = serializers.EmailField(source="user.email")
    training_status = serializers.CharField()
    step1_result = serializers.CharField()
    step2_score = serializers.IntegerField(allow_null=True)


class HostDocumentSummarySerializer(serializers.ModelSerializer):
    # A plain string here: the DocumentKind enum is named once in the schema, on rotations.
    kind = serializers.CharField(read_only=True, help_text="The document kind (see required_document_kinds).")

    class Meta:
        model = Document
        fields = ["id", "kind", "original_filename", "content_type", "verification_status", "expires_on"]


class HostApplicationSerializer(serializers.ModelSerializer):
    applicant = HostApplicantSummarySerializer(read_only=True)
    rotation = serializers.IntegerField(source="block.rotation_id", read_only=True)
    documents = HostDocumentSummarySerializer(many=True, read_only=True)
    hold_expires_at = serializers.DateTimeField(
        allow_null=True,
        read_only=True,
        help_text="Until when the seat is held (an offer's or a checkout's deadline); null for a booking or "
        "without a held seat.",
    )
    waitlist_position = serializers.SerializerMethodField(
        help_text="The place in its block's waitlist (1 is next); null unless waitlisted."
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "status",
            "applicant",
            "rotation",
            "block",
            "personal_statement",
            "documents",
            "submitted_at",
            "hold_expires_at",
            "documents_due_at",
            "waitlisted_at",
            "waitlist_position",
            "created_at",
        ]
        read_only_fields = fields

    def get_waitlist_position(self, application) -> int | None:
        # Annotated by the host selectors (ApplicationQuerySet.with_waitlist_position).
        return getattr(application, "waitlist_position", None)


class HostApplicationFilterSerializer(serializers.Serializer):
    rotation = serializers.IntegerField(required=False)
    block = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=Application.Status.choices, required=False)
    submitted_from = serializers.DateField(required=False, validators=[validate_platform_date])
    submitted_to = serializers.DateField(required=False, validators=[validate_platform_date])


class HostOfferSerializer(serializers.Serializer):
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Default: 7 days, never past the block's start."
    )


class HostRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON_CHARS, help_text="Shown to the applicant.")


class HostMessageSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=MAX_MESSAGE_CHARS)


class HostMessageOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    author_role = serializers.CharField()
    created_at = serializers.DateTimeField()


class HostBulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(BULK_ACTIONS))
    applications = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=200)
    reason = serializers.CharField(
        required=False, max_length=MAX_REASON_CHARS, help_text="Required for reject."
    )


class HostBulkResultSerializer(serializers.Serializer):
    application_id = serializers.IntegerField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


class HostCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_REASON_CHARS, help_text="Why the booking is cancelled; shown to the applicant."
    )


class HostNoShowSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_REASON_CHARS,
        required=False,
        allow_blank=True,
        default="",
        help_text="An optional note, shown to the applicant.",
    )


class HostEndEarlySerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_REASON_CHARS, help_text="Why the rotation ended early; shown to the applicant."
    )


class HostEvaluationSerializer(serializers.Serializer):
    """The end-of-rotation evaluation of a completed booking: each ACGME core competency rated 1 to
    5 with an optional comment (`<competency>_comment`), the hours, the attendance and an overall
    comment. The service checks the hours against the block's weeks and the days missed against the
    attendance."""

    hours_completed = serializers.IntegerField(
        min_value=1,
        max_value=MAX_EVALUATION_HOURS,
        help_text="Hours the applicant completed: at most 80 a week of the block (the duty-hour limit).",
    )
    attendance = serializers.ChoiceField(choices=Evaluation.Attendance.choices)
    days_missed = serializers.IntegerField(
        min_value=0,
        max_value=52 * 7,
        default=0,
        help_text="With attendance missed_some: the days missed, from 1 to the block's days; else 0.",
    )
    overall_comment = serializers.CharField(
        max_length=MAX_DESCRIPTION_CHARS, help_text="The applicant reads it."
    )

    def get_fields(self):
        ratings = ", ".join(f"{value} {label.lower()}" for value, label in RATINGS.items())
        fields = {}
        for field, name, description in COMPETENCIES:
            fields[field] = serializers.IntegerField(
                min_value=1, max_value=5, label=name, help_text=f"{name}: {description} Rated {ratings}."
            )
            fields[f"{field}_comment"] = serializers.CharField(
                max_length=MAX_COMPETENCY_COMMENT_CHARS,
                allow_blank=True,
                default="",
                label=f"Comment on {name.lower()}",
                help_text=f"Optional comment on {name.lower()}; the applicant reads it.",
            )
        return {**fields, **super().get_fields()}

    def submission(self) -> dict:
        """The validated answers as evaluation_submit takes them."""
        data = self.validated_data
        return {
            "ratings": {field: data[field] for field, _, _ in COMPETENCIES},
            "comments": {field: data[f"{field}_comment"] for field, _, _ in COMPETENCIES},
            "hours_completed": data["hours_completed"],
            "attendance": data["attendance"],
            "days_missed": data["days_missed"],
            "overall_comment": data["overall_comment"],
        }


class HostBlockSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rotation = serializers.IntegerField(source="rotation_id")
    rotation_title = serializers.CharField(source="rotation.title")
    start_date = serializers.DateField()
    weeks = serializers.IntegerField()


class HostBlockChangeSerializer(serializers.ModelSerializer):
    applicant = serializers.CharField(source="application.applicant.legal_name", read_only=True)
    from_block = HostBlockSummarySerializer(read_only=True)
    to_block = HostBlockSummarySerializer(read_only=True)
    price_difference = BlockChangePriceField(
        help_text="What approving does to the booking's money; null once decided."
    )

    class Meta:
        model = BlockChange
        fields = [
            "id",
            "application",
            "applicant",
            "status",
            "from_block",
            "to_block",
            "reason",
            "answer",
            "requested_at",
            "decided_at",
            "price_difference",
        ]
        read_only_fields = fields


class HostBlockChangeFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=BlockChange.Status.choices, required=False)


class HostBlockChangeDeclineSerializer(serializers.Serializer):
    answer = serializers.CharField(
        max_length=MAX_REASON_CHARS, help_text="Why the date change is declined; shown to the applicant."
    )


# --- Letters of recommendation ------------------------------------------------------------------


class HostLetterVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = LetterVersion
        fields = ["number", "filename", "size_bytes", "page_count", "uploaded_at"]
        read_only_fields = fields


class HostLetterSerializer(serializers.ModelSerializer):
    """A letter request as a host member sees it. Only its author is shown the letter's versions
    (the view puts their preceptor ids in the context as `author_of`)."""

    applicant = serializers.CharField(source="application.applicant.legal_name")
    rotation = serializers.IntegerField(source="application.block.rotation_id")
    rotation_title = serializers.CharField(source="application.block.rotation.title")
    specialty = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    status_label = serializers.CharField(source="get_status_display", help_text="The status in words.")
    received_at = serializers.DateTimeField(
        allow_null=True, help_text="When the author's letter was first received and checked; null before."
    )
    you_are_the_author = serializers.SerializerMethodField(
        help_text="Whether you are the author, who alone answers the request and sees the letter."
    )
    versions = serializers.SerializerMethodField(
        help_text="The letter's uploads, newest (the one for ERAS) first: for its author only, else empty."
    )

    class Meta:
        model = LetterRequest
        fields = [
            "id",
            "application",
            "applicant",
            "rotation",
            "rotation_title",
            "preceptor",
            "author_name",
            "author_title",
            "author_email",
            "eras_letter_id",
            "specialty",
            "due_on",
            "waived",
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
            "you_are_the_author",
            "versions",
        ]
        read_only_fields = fields

    def get_you_are_the_author(self, letter: LetterRequest) -> bool:
        return letter.preceptor_id in self.context["author_of"]

    @extend_schema_field(HostLetterVersionSerializer(many=True))
    def get_versions(self, letter: LetterRequest) -> list:
        if not self.get_you_are_the_author(letter):
            return []
        versions = sorted(letter.versions.all(), key=lambda version: -version.number)
        return HostLetterVersionSerializer(versions, many=True).data


class HostLetterFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=LetterRequest.Status.choices, required=False)


class HostLetterDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_REASON_CHARS, help_text="Why you decline; the applicant reads it."
    )


class HostLetterUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="The letter: a PDF of at most 1 MB, not encrypted, US Letter pages, not blank, and no "
        "| * ? or : in its name (each problem is listed in extra.problems, and nothing is kept).",
    )


class HostLetterConfirmSerializer(serializers.Serializer):
    eras_submitted_on = serializers.DateField(
        help_text="The day you uploaded the letter to the ERAS portal: not ahead, not before the request."
    )


class HostReviewSerializer(ReviewSerializer):
    rotation = serializers.IntegerField(source="application.block.rotation_id", read_only=True)
    rotation_title = serializers.CharField(source="application.block.rotation.title", read_only=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "rotation", "rotation_title"]
        read_only_fields = fields


class HostReviewAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(
        max_length=MAX_REVIEW_ANSWER_CHARS, help_text="Your public answer, shown under the review. Once."
    )
