"""Shapes of the host API. Related objects are looked up through the view's tenant scope."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from amo.validators import MAX_DESCRIPTION_CHARS, MAX_REASON_CHARS, validate_platform_date
from applicants.models import MAX_REVIEW_ANSWER_CHARS, Application, BlockChange, Document
from applicants.serializers import ReviewSerializer
from applicants.services import BULK_ACTIONS, MAX_MESSAGE_CHARS
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
