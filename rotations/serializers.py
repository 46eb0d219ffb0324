"""Shapes of the catalog API. Read-only: the catalog is written by hosts and staff. The first-day
information's shape serves the host API (which writes it) and a booking's answer (which reads it)."""

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hosts.models import Organization, Preceptor
from rotations.models import Block, FirstDayInformation, Rotation, Specialty
from rotations.policies import TIERS, refund_schedule


class SpecialtySerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialty
        fields = ["id", "name", "slug"]


class OrganizationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["slug", "name", "kind", "city", "state", "is_verified"]


class PreceptorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Preceptor
        fields = ["full_name", "credentials", "board_certification", "npi_number"]


# A time of day as the API reads and writes it: HH:MM, on the 24-hour clock.
CLOCK_TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"


@extend_schema_field({"type": "string", "pattern": CLOCK_TIME_PATTERN, "example": "07:30"})
class ClockTimeField(serializers.TimeField):
    """HH:MM and nothing else: strptime alone would take "7:5" and an ISO time with seconds or an
    offset, which the schema's pattern refuses."""

    default_error_messages = {"invalid": "Enter a time as HH:MM on the 24-hour clock, e.g. 07:30."}

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(CLOCK_TIME_PATTERN, value):
            self.fail("invalid")
        return super().to_internal_value(value)


class FirstDaySerializer(serializers.ModelSerializer):
    arrival_time = ClockTimeField(
        allow_null=True, required=False, help_text="When to arrive, local time at the site (HH:MM)."
    )
    updated_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the host last changed it; null before they wrote any.",
    )

    class Meta:
        model = FirstDayInformation
        fields = [*FirstDayInformation.FIELDS, "updated_at"]


class BlockSerializer(serializers.ModelSerializer):
    seats_left = serializers.IntegerField(read_only=True)
    end_date = serializers.DateField(read_only=True)
    application_fee_due = serializers.SerializerMethodField(
        help_text="`on_submission`; or, on a full block, `when_a_seat_is_offered`: applying joins the "
        "waitlist and no fee is due until a seat is offered."
    )

    class Meta:
        model = Block
        fields = [
            "id",
            "start_date",
            "end_date",
            "weeks",
            "capacity",
            "seats_left",
            "apply_by",
            "application_fee_due",
        ]

    def get_application_fee_due(self, block: Block) -> str:
        return "when_a_seat_is_offered" if block.is_full else "on_submission"


class RefundWindowSerializer(serializers.Serializer):
    starts_on = serializers.DateField(allow_null=True, help_text="null: from now on.")
    ends_on = serializers.DateField()
    refund_percent = serializers.IntegerField(help_text="Percent of the program fee paid given back.")


class BlockWithRefundsSerializer(BlockSerializer):
    refund_schedule = serializers.SerializerMethodField()

    class Meta(BlockSerializer.Meta):
        fields = [*BlockSerializer.Meta.fields, "refund_schedule"]

    def get_refund_schedule(self, block) -> list[dict]:
        rotation = self.context["rotation"]
        schedule = refund_schedule(TIERS[rotation.cancellation_policy], block.start_date)
        return RefundWindowSerializer(schedule, many=True).data


ROTATION_LIST_FIELDS = [
    "id",
    "slug",
    "title",
    "specialty",
    "organization",
    "rotation_type",
    "setting",
    "offers_lor",
    "booking_mode",
    "currency",
    "application_fee_cents",
    "program_fee_cents",
    "total_price_cents",
    "deposit_cents",
    "accepted_visa_types",
    "next_start_date",
]


class RotationListSerializer(serializers.ModelSerializer):
    specialty = SpecialtySerializer(read_only=True)
    organization = OrganizationSummarySerializer(read_only=True)
    total_price_cents = serializers.IntegerField(
        read_only=True, help_text="Application fee plus program fee."
    )
    blocks = BlockSerializer(source="bookable_blocks", many=True, read_only=True)

    class Meta:
        model = Rotation
        fields = [*ROTATION_LIST_FIELDS, "blocks"]
        extra_kwargs = {"blocks": {"help_text": "Blocks still open for applications."}}


class RotationDetailSerializer(serializers.ModelSerializer):
    specialty = SpecialtySerializer(read_only=True)
    organization = OrganizationSummarySerializer(read_only=True)
    preceptor = PreceptorSerializer(read_only=True, allow_null=True)
    total_price_cents = serializers.IntegerField(
        read_only=True, help_text="Application fee plus program fee."
    )
    blocks = serializers.SerializerMethodField(
        help_text="Blocks not yet started, with their refund schedule."
    )

    class Meta:
        model = Rotation
        fields = [
            *ROTATION_LIST_FIELDS,
            "description",
            "preceptor",
            "accepts_students",
            "accepts_graduates",
            "requires_step1_pass",
            "min_step2_score",
            "requires_english_proficiency",
            "required_document_kinds",
            "balance_due_days_before_start",
            "cancellation_policy",
            "weekly_hours",
            "blocks",
        ]

    def get_blocks(self, rotation) -> list[dict]:
        serializer = BlockWithRefundsSerializer(
            rotation.upcoming_blocks, many=True, context={"rotation": rotation}
        )
        return serializer.data


class OrganizationRotationSerializer(serializers.ModelSerializer):
    specialty = serializers.CharField(source="specialty.name", read_only=True)

    class Meta:
        model = Rotation
        fields = ["id", "slug", "title", "specialty", "rotation_type"]


class OrganizationSerializer(serializers.ModelSerializer):
    rotations = OrganizationRotationSerializer(source="published_rotations", many=True, read_only=True)

    class Meta:
        model = Organization
        fields = [
            "slug",
            "name",
            "kind",
            "address_line",
            "city",
            "state",
            "zip_code",
            "latitude",
            "longitude",
            "website",
            "description",
            "is_verified",
            "rotations",
        ]
