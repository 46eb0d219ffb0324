"""The catalog: specialties, rotations (listings) and their blocks (bookable runs with seats), and the
synonyms its search understands."""

from datetime import date, timedelta

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Func, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from amo.audit import tracked
from amo.text import day_label, pluralize
from hosts.models import OrganizationQuerySet
from rotations import limits
from rotations.search import search_phrases


class Specialty(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self) -> str:
        return self.name


class VisaType(models.TextChoices):
    B1_B2 = "b1_b2", "B1/B2"
    F1 = "f1", "F-1"
    J1 = "j1", "J-1"
    NONE_NEEDED = "none_needed", "None needed (U.S. citizen or resident)"
    OTHER = "other", "Other"


class DocumentKind(models.TextChoices):
    """The kinds of document in an applicant's vault that a rotation may require."""

    CV = "cv", "CV"
    PASSPORT = "passport", "Passport"
    USMLE_SCORE_REPORT = "usmle_score_report", "USMLE score report"
    DIPLOMA_OR_ENROLLMENT = "diploma_or_enrollment", "Medical diploma or enrollment letter"
    IMMUNIZATION_RECORD = "immunization_record", "Immunization record"
    TB_TEST = "tb_test", "TB test"
    HEALTH_INSURANCE = "health_insurance", "Health insurance"
    BACKGROUND_CHECK = "background_check", "Background check"
    BLS_CERTIFICATE = "bls_certificate", "BLS certificate"
    OTHER = "other", "Other"
    VISA_DENIAL_LETTER = "visa_denial_letter", "Visa denial letter"


# The kinds an applicant keeps in the vault and a rotation may require. A visa denial letter is sent
# with the booking it cancels (applicants.services.visa_denials), never required by a host.
VAULT_DOCUMENT_KINDS = [
    (value, label) for value, label in DocumentKind.choices if value != DocumentKind.VISA_DENIAL_LETTER
]


# What the catalog's filters and sorts read of a rotation (rotations.selectors.rotation_catalog),
# carried by its covering indexes so that counting and choosing a page read no table pages.
CATALOG_FILTER_COLUMNS = [
    "rotation_type",
    "setting",
    "offers_lor",
    "total_price_cents",
    "specialty",
    "organization",
    "open_seats_until",
    "accepted_visa_types",
]


class RotationQuerySet(OrganizationQuerySet):
    # Set by rotations.selectors.rotation_catalog and kept across clones, for the paginator: the
    # search asked for (a rotations.search.ParsedSearch, whose typo correction the page shows), the
    # sort the catalog is listed by (a rotations.selectors.Sort), with which the paginator chooses a
    # page's ids as it counts, and, on a search sorted by a column, the same search walking that
    # sort's index, for pages past the count's cap (rotations.selectors._broad_search).
    search = None
    catalog_sort = ""
    broad = None

    def published(self) -> "RotationQuerySet":
        return self.filter(status=Rotation.Status.PUBLISHED)

    def _clone(self):
        clone = super()._clone()
        clone.search = self.search
        clone.catalog_sort = self.catalog_sort
        clone.broad = self.broad
        return clone


# Left out, as the database or a sum keeps them from the columns that are recorded: the search
# vector, the next start and open-seats dates (moved by every block change and each night's
# catalog refresh), the total price; and updated_at, which the event's own time says.
@tracked(exclude=["search_vector", "next_start_date", "open_seats_until", "total_price_cents", "updated_at"])
class Rotation(models.Model):
    class Type(models.TextChoices):
        HANDS_ON = "hands_on", "Hands-on (externship / clerkship)"
        OBSERVERSHIP = "observership", "Observership"
        RESEARCH = "research", "Research"
        TELEHEALTH = "telehealth", "Telehealth"

    class Setting(models.TextChoices):
        INPATIENT = "inpatient", "Inpatient"
        OUTPATIENT = "outpatient", "Outpatient"
        MIXED = "mixed", "Inpatient and outpatient"

    class BookingMode(models.TextChoices):
        HOST_REVIEW = "host_review", "Host reviews each application"
        BOOK_NOW = "book_now", "Book now (eligible applicants reserve at once)"

    class CancellationPolicy(models.TextChoices):
        FLEXIBLE = "flexible", "Flexible"
        MODERATE = "moderate", "Moderate"
        STRICT = "strict", "Strict"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    organization = models.ForeignKey("hosts.Organization", on_delete=models.CASCADE, related_name="rotations")
    preceptor = models.ForeignKey(
        "hosts.Preceptor", null=True, blank=True, on_delete=models.SET_NULL, related_name="rotations"
    )
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="rotations")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=240, unique=True)
    rotation_type = models.CharField("type", max_length=16, choices=Type.choices)
    setting = models.CharField(max_length=16, choices=Setting.choices)
    description = models.TextField()

    # Requirements: who is eligible.
    accepts_students = models.BooleanField(default=True)
    accepts_graduates = models.BooleanField(default=True)
    requires_step1_pass = models.BooleanField("requires USMLE Step 1 passed", default=False)
    min_step2_score = models.PositiveSmallIntegerField(
        "minimum USMLE Step 2 CK score",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(limits.MAX_STEP2_SCORE)],
    )
    accepted_visa_types = ArrayField(
        models.CharField(max_length=16, choices=VisaType.choices),
        default=list,
        blank=True,
        help_text="Visa types accepted; empty means any.",
    )
    requires_english_proficiency = models.BooleanField(default=False)
    required_document_kinds = ArrayField(
        models.CharField(max_length=32, choices=VAULT_DOCUMENT_KINDS), default=list, blank=True
    )
    offers_lor = models.BooleanField("letter of recommendation offered", default=False)

    # Money: integer cents in one currency.
    currency = models.CharField(max_length=3, default="usd")
    application_fee_cents = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(limits.MAX_FEE_CENTS)]
    )
    program_fee_cents = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(limits.MAX_FEE_CENTS)]
    )
    deposit_cents = models.PositiveIntegerField(
        default=0,
        help_text="The part of the program fee that reserves a seat.",
        validators=[MaxValueValidator(limits.MAX_FEE_CENTS)],
    )
    balance_due_days_before_start = models.PositiveSmallIntegerField(
        default=45, validators=[MaxValueValidator(limits.MAX_BALANCE_DUE_DAYS)]
    )
    cancellation_policy = models.CharField(
        max_length=16, choices=CancellationPolicy.choices, default=CancellationPolicy.MODERATE
    )

    weekly_hours = models.PositiveSmallIntegerField(
        default=40, validators=[MinValueValidator(1), MaxValueValidator(limits.MAX_WEEKLY_HOURS)]
    )
    booking_mode = models.CharField(
        max_length=16, choices=BookingMode.choices, default=BookingMode.HOST_REVIEW
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    # Kept by the database, whoever writes (admin, host dashboard, bulk seed): see the triggers in
    # migrations 0002 and 0003. The weighted document of title (A), specialty/organization/city (B)
    # and description (C); the start of the earliest block still open to applications (its last day
    # to apply not passed, as in `selectors.bookable_blocks()`); and the latest
    # last-day-to-apply among blocks with a seat left, so "open seats" is `open_seats_until >= today`
    # on the rotation's row instead of a search through its blocks.
    search_vector = SearchVectorField(null=True, editable=False)
    next_start_date = models.DateField(null=True, editable=False)
    open_seats_until = models.DateField(null=True, editable=False)
    total_price_cents = models.GeneratedField(
        expression=F("application_fee_cents") + F("program_fee_cents"),
        output_field=models.BigIntegerField(),
        db_persist=True,
        help_text="Application fee plus program fee: what a seat costs in all.",
    )

    objects = RotationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deposit_cents__lte=F("program_fee_cents")),
                name="rotation_deposit_within_program_fee",
                violation_error_message="The deposit cannot be more than the program fee.",
            ),
            models.CheckConstraint(
                condition=Q(min_step2_score__isnull=True) | Q(min_step2_score__lte=300),
                name="rotation_step2_score_range",
                violation_error_message="The minimum Step 2 CK score is at most 300.",
            ),
            models.CheckConstraint(
                condition=Q(weekly_hours__lte=80),
                name="rotation_weekly_hours_at_most_80",
                violation_error_message="A rotation has at most 80 hours a week.",
            ),
            models.CheckConstraint(
                condition=Q(accepts_students=True) | Q(accepts_graduates=True),
                name="rotation_accepts_someone",
                violation_error_message="Accept students, graduates or both.",
            ),
        ]
        # Partial indexes on the published catalog: one per sort, so a page of 20 is read in order
        # from an index instead of sorting every match. The soonest-start one also carries the
        # filtered columns, so counting a filtered catalog is an index-only scan of a few MB
        # rather than a read of every row (descriptions and search vectors make rows ~1 kB).
        indexes = [
            models.Index(fields=["organization", "status"]),
            # Only the published catalog is searched by its vector (staff and hosts look rotations
            # up by title), and a partial index lets a count skip the row's status check.
            GinIndex(fields=["search_vector"], name="rotation_search_gin", condition=Q(status="published")),
            models.Index(
                fields=["next_start_date", "id"],  # ascending puts NULLs (no upcoming block) last
                include=CATALOG_FILTER_COLUMNS,
                name="rotation_soonest_idx",
                condition=Q(status="published"),
            ),
            models.Index(
                fields=["total_price_cents", "id"], name="rotation_price_idx", condition=Q(status="published")
            ),
            models.Index(
                F("published_at").desc(nulls_last=True),
                F("id").desc(),
                name="rotation_newest_idx",
                condition=Q(status="published"),
            ),
            # A specialty's rotations, soonest first, with what the other filters and sorts read: a
            # count of a specialty's matches reads this index alone, not thousands of table pages.
            models.Index(
                fields=["specialty", "next_start_date", "id"],
                include=[column for column in CATALOG_FILTER_COLUMNS if column != "specialty"],
                name="rotation_specialty_cover_idx",
                condition=Q(status="published"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def accepted_visa_labels(self) -> list[str]:
        """Labels of the visas accepted; empty means any visa."""
        return [VisaType(value).label for value in self.accepted_visa_types]

    @property
    def required_document_labels(self) -> list[str]:
        return [DocumentKind(value).label for value in self.required_document_kinds]


class BlockQuerySet(OrganizationQuerySet):
    organization_path = "rotation__organization"


# seats_taken is left out: it moves with every seat taken or given back, under the block's lock, and
# the seat holds are its history (a released hold stays, with its reason).
@tracked(
    exclude=["seats_taken"], indexes=[models.Index(fields=["rotation"], name="block_event_rotation_idx")]
)
class Block(models.Model):
    """One bookable run of a rotation. seats_taken caches the block's unreleased seat holds.

    The database refuses seats_taken above capacity; rotations/services.py changes it only together
    with a SeatHold row, while holding the block's row lock, and `blocks_out_of_step()` checks the two.
    """

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="blocks")
    start_date = models.DateField()
    weeks = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(limits.BLOCK_MAX_WEEKS)]
    )
    capacity = models.PositiveSmallIntegerField(
        help_text="Seats on this block.",
        validators=[MinValueValidator(1), MaxValueValidator(limits.BLOCK_MAX_SEATS)],
    )
    seats_taken = models.PositiveSmallIntegerField(default=0, editable=False)
    apply_by = models.DateField(help_text="The last day to apply.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BlockQuerySet.as_manager()

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")),
                name="block_no_overbooking",
                violation_error_message="A block cannot have more seats taken than it has.",
            ),
            models.CheckConstraint(
                condition=Q(weeks__gte=1) & Q(weeks__lte=52),
                name="block_weeks_range",
                violation_error_message="A block lasts from 1 to 52 weeks.",
            ),
            models.CheckConstraint(
                condition=Q(apply_by__lte=F("start_date")),
                name="block_apply_by_before_start",
                violation_error_message="The last day to apply must be on or before the start date.",
            ),
        ]
        indexes = [
            models.Index(fields=["rotation", "start_date"]),
            # The catalog's block conditions (dates, weeks, open seats, still open to apply) are
            # answered from these two indexes alone: per rotation, or from a date window.
            models.Index(
                fields=["rotation", "apply_by"],
                include=["start_date", "weeks", "seats_taken", "capacity"],
                name="block_catalog_idx",
            ),
            models.Index(
                fields=["start_date", "rotation"],
                include=["apply_by", "weeks", "seats_taken", "capacity"],
                name="block_start_date_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rotation} from {day_label(self.start_date)} ({pluralize(self.weeks, 'week')})"

    @property
    def end_date(self) -> date:
        """The last day of the block.

        A row from before the date limits (rotations.limits) may start so late that its end is past
        the last date Python has (9999-12-31, where PostgreSQL goes on): it ends on that date rather
        than failing every page and API answer that shows it.
        """
        try:
            return self.start_date + timedelta(weeks=self.weeks) - timedelta(days=1)
        except OverflowError:
            return date.max

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_taken

    @property
    def is_full(self) -> bool:
        """No seat left: applying joins the block's waitlist."""
        return self.seats_left <= 0


class FirstDayInformationQuerySet(OrganizationQuerySet):
    organization_path = "rotation__organization"


def _first_day_text(verbose_name: str, help_text: str) -> models.TextField:
    return models.TextField(
        verbose_name,
        blank=True,
        max_length=limits.MAX_FIRST_DAY_CHARS,
        validators=[MaxLengthValidator(limits.MAX_FIRST_DAY_CHARS)],
        help_text=help_text,
    )


class FirstDayInformation(models.Model):
    """What an applicant needs on the first day of a rotation, kept by its host.

    A row of its own beside the rotation rather than columns on it: the catalog reads rotation rows
    by the thousand through covering indexes and never shows this; it is edited on its own page by
    rotations.services.first_day_update, which also takes it while a rotation is archived (its
    bookings still run) and announces no catalog change. It is practical information, not an agreed
    term: a booking always reads the latest version.
    """

    rotation = models.OneToOneField(
        Rotation, on_delete=models.CASCADE, primary_key=True, related_name="first_day"
    )
    arrival_time = models.TimeField(
        null=True, blank=True, help_text="When to arrive on the first day, local time at the site."
    )
    where_to_go = _first_day_text("where to go", "The entrance, building, floor or room to go to.")
    ask_for = models.CharField(
        "who to ask for", max_length=200, blank=True, help_text="The person or desk to ask for on arrival."
    )
    dress_code = _first_day_text("dress code", "What to wear, e.g. business casual with a white coat.")
    what_to_bring = _first_day_text("what to bring", "Papers and things to bring on the first day.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = FirstDayInformationQuerySet.as_manager()

    # What a host writes (rotations.services.first_day_update), in the order pages show it.
    FIELDS = ("arrival_time", "where_to_go", "ask_for", "dress_code", "what_to_bring")

    class Meta:
        verbose_name = verbose_name_plural = "first-day information"

    def __str__(self) -> str:
        return f"First day of {self.rotation}"

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, name) in (None, "") for name in self.FIELDS)


class SeatHoldQuerySet(models.QuerySet):
    def unreleased(self) -> "SeatHoldQuerySet":
        return self.filter(released_at__isnull=True)

    def active(self, now) -> "SeatHoldQuerySet":
        """Holds that keep a seat at `now`: unreleased, and a booking or a deadline still ahead."""
        return self.unreleased().filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))

    def lapsed(self, now) -> "SeatHoldQuerySet":
        """Unreleased holds whose deadline has passed: they no longer keep a seat from anyone."""
        return self.unreleased().filter(expires_at__lte=now)


def unreleased_holds_count() -> Coalesce:
    """A block's unreleased seat holds, as an expression on Block rows (no extra query): what its
    seats_taken caches."""
    counted = (
        SeatHold.objects.filter(block=OuterRef("pk"), released_at__isnull=True)
        .order_by()
        .values("block")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted), 0)


class SeatHold(models.Model):
    """What takes a seat: one application's claim on one seat of a block, until a deadline.

    An offer holds its seat until the offer's deadline, a book-now checkout for 30 minutes while the
    deposit is paid, a booking with no deadline. A released hold stays as history with its reason.
    Written only by rotations/services.py, under the block's row lock.
    """

    class Kind(models.TextChoices):
        OFFER = "offer", "Offer"
        CHECKOUT = "checkout", "Book-now checkout"
        BOOKING = "booking", "Booking"

    class ReleaseReason(models.TextChoices):
        EXPIRED = "expired", "Deadline passed"
        DECLINED = "declined", "Offer declined"
        WITHDRAWN = "withdrawn", "Application withdrawn"
        CANCELLED = "cancelled", "Booking cancelled"
        MOVED = "moved", "Moved to another block"
        ENDED = "ended", "Rotation ended early or not attended"

    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="seat_holds")
    application = models.ForeignKey(
        "applicants.Application", on_delete=models.PROTECT, related_name="seat_holds"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty for a booking.")
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=16, choices=ReleaseReason.choices, blank=True)

    objects = SeatHoldQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(released_at__isnull=True),
                name="seat_hold_one_unreleased_per_application",
                violation_error_message="This application already holds a seat.",
            ),
            models.CheckConstraint(
                condition=Q(kind="booking", expires_at__isnull=True)
                | (~Q(kind="booking") & Q(expires_at__isnull=False)),
                name="seat_hold_deadline_unless_booking",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True, release_reason="")
                | (Q(released_at__isnull=False) & ~Q(release_reason="")),
                name="seat_hold_release_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["block"], condition=Q(released_at__isnull=True), name="seat_hold_unreleased_idx"
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(released_at__isnull=True, expires_at__isnull=False),
                name="seat_hold_deadline_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} hold on {self.block}"


class SearchSynonym(models.Model):
    """A word or phrase people type for what the catalog words otherwise ("peds" for pediatrics).

    A query containing the term also searches for each of its alternatives, as phrases; staff edit
    the table in the admin and the next search reads it (rotations.search). The term is stored as
    the search reads a query: lowercase, accents and punctuation dropped ("ob/gyn" is "ob gyn").
    """

    term = models.CharField(
        max_length=100,
        unique=True,
        help_text='What people type, e.g. "peds" or "letter of recommendation"; stored lowercase, '
        'without accents or punctuation ("OB/GYN" is kept as "ob gyn").',
    )
    expands_to = models.CharField(
        max_length=300,
        help_text="What the term also searches for: words matched as a phrase, alternatives separated by "
        'commas, e.g. "otolaryngology, ear nose and throat".',
    )

    class Meta:
        ordering = ["term"]
        constraints = [
            # What the search compares a query's words with; SearchSynonym.clean() writes it so.
            models.CheckConstraint(
                condition=Q(term__regex=r"^[[:alnum:]]+( [[:alnum:]]+)*$") & Q(term=Lower("term")),
                name="search_synonym_term_normalized",
            ),
        ]
        indexes = [
            # A query's word finds the terms that start with it (rotations_search_parse).
            models.Index(
                Func("term", Value(" "), Value(1), function="split_part"), name="search_synonym_first_word"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.expands_to}"

    def clean(self) -> None:
        term, *alternatives = search_phrases([self.term, *self.expands_to.split(",")])
        errors = {}
        if not term.searched:
            errors["term"] = (
                "Use a word the search reads: it skips punctuation and common words such as “in” or “the”."
            )
        if not all(alternative.searched for alternative in alternatives):
            errors["expands_to"] = (
                "Each alternative (between commas) needs a word the search reads: it skips punctuation "
                "and common words such as “of” or “the”."
            )
        if errors:
            raise ValidationError(errors)
        self.term = term.words
        self.expands_to = ", ".join(alternative.words for alternative in alternatives)
