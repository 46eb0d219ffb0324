"""Shapes of the catalog API. Read-only: the catalog is written by hosts and staff. The first-day
information's shape serves the host API (which writes it) and a booking's answer (which reads it)."""

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hosts.models import Accreditation, Organization, Preceptor
from rotations.models import Block, FirstDayInformation, Rotation, Specialty
from rotations.policies import TIERS, refund_schedule


class SpecialtySerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialty
        fields = ["id", "name", "slug"]


class VerificationSerializer(serializers.Serializer):
    """What staff checked when they verified the host (hosts.models.VerificationSummary)."""

    accreditation = serializers.ChoiceField(
        choices=Accreditation.choices, help_text="The accreditation staff checked; `none` for none."
    )
    preceptors_checked = serializers.IntegerField(
        min_value=0, help_text="How many of its preceptors' NPI numbers and state licenses staff checked."
    )
    verified_on = serializers.DateField(help_text="The day staff recorded the verification (UTC).")
    checked = serializers.CharField(
        help_text=(
            "What was checked, in the badge's words: \"Joint Commission accreditation and 2 preceptors' "
            'NPI and state license checked". It counts the preceptors checked, not those the host has now.'
        )
    )


VERIFICATION_HELP = "The host's standing verification: null when staff recorded none (or withdrew it)."


class OrganizationSummarySerializer(serializers.ModelSerializer):
    verification = VerificationSerializer(read_only=True, allow_null=True, help_text=VERIFICATION_HELP)

    class Meta:
        model = Organization
        fields = ["slug", "name", "kind", "city", "state", "is_verified", "verification"]


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


class FigureSerializer(serializers.Serializer):
    """A figure of a track record (hosts.track_records): its value only when shown."""

    shown = serializers.BooleanField(
        read_only=True, help_text="Whether the figure rests on enough cases (at least 5) to be shown."
    )
    reason = serializers.CharField(
        read_only=True, help_text="Why it is not shown, in words (e.g. too few cases); empty when shown."
    )
    cases = serializers.IntegerField(read_only=True, help_text="How many cases it is counted from.")
    values: tuple[str, ...] = ()

    def to_representation(self, figure):
        data = super().to_representation(figure)
        if not figure.shown:
            data.update(dict.fromkeys(self.values))
        return data


def _tenths_field(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        coerce_to_string=False,
        read_only=True,
        allow_null=True,
        help_text=help_text,
    )


class RatingsSerializer(FigureSerializer):
    overall = _tenths_field("Average of every rating, out of 5; null unless shown.")
    teaching = _tenths_field("Average teaching rating, out of 5.")
    hands_on = _tenths_field("Average hands-on involvement rating, out of 5.")
    organization = _tenths_field("Average organization rating, out of 5.")
    value = _tenths_field("Average value rating, out of 5.")
    values = ("overall", "teaching", "hands_on", "organization", "value")

    def to_representation(self, figure):
        data = super().to_representation(figure)
        if figure.shown:
            averages = figure.averages
            data.update(
                teaching=averages["teaching_rating"],
                hands_on=averages["hands_on_rating"],
                organization=averages["organization_rating"],
                value=averages["value_rating"],
            )
        return data


class RateSerializer(FigureSerializer):
    percent = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Whole percent; null unless shown."
    )
    values = ("percent",)


class DaysSerializer(FigureSerializer):
    days = _tenths_field("Median days, to a tenth; null unless shown.")
    values = ("days",)


class TrackRecordSerializer(serializers.Serializer):
    ratings = RatingsSerializer(read_only=True, help_text="Reviews by applicants after a completed booking.")
    response_rate = RateSerializer(
        read_only=True,
        help_text="Share of the applications sent for the host's review that the host decided (offered, "
        "waitlisted or turned down) rather than left to expire; cases: those applications.",
    )
    median_days_to_decision = DaysSerializer(
        source="decision_days",
        read_only=True,
        help_text="Median days from an application's submission to the host's decision; cases: "
        "the decisions.",
    )


class RotationTrackRecordSerializer(TrackRecordSerializer):
    letter_rate = RateSerializer(
        read_only=True,
        allow_null=True,
        help_text="Share of the letters of recommendation the rotation's preceptor accepted to write that "
        "they submitted to ERAS; cases: the letters accepted. Null when the rotation names no preceptor.",
    )
    median_days_to_letter = DaysSerializer(
        source="letter_days",
        read_only=True,
        allow_null=True,
        help_text="Median days from a letter's request to its submission to ERAS; cases: the letters "
        "submitted. Null when the rotation names no preceptor.",
    )


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
    track_record = RotationTrackRecordSerializer(
        read_only=True,
        help_text="Counted from our own records: this rotation's ratings, its host's answers to "
        "applications and its preceptor's letters.",
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
            "track_record",
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
    verification = VerificationSerializer(read_only=True, allow_null=True, help_text=VERIFICATION_HELP)
    rotations = OrganizationRotationSerializer(source="published_rotations", many=True, read_only=True)
    track_record = TrackRecordSerializer(
        read_only=True,
        help_text="Counted from our own records: ratings over all its rotations, and its answers to "
        "applications.",
    )

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
            "verification",
            "rotations",
            "track_record",
        ]
