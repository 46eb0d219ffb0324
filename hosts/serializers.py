"""Shapes of the host API. Related objects are looked up through the view's tenant scope."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from amo.validators import MAX_DESCRIPTION_CHARS, MAX_REASON_CHARS, validate_platform_date
from applicants.models import (
    COMPETENCIES,
    MAX_EVALUATION_HOURS,
    RATINGS,
    Application,
    BlockChange,
    Document,
    Evaluation,
)
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
