"""Applicants (IMGs), their document vault, and their applications for blocks."""

import operator
import re
import uuid
from functools import reduce

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Length, Upper
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse

from amo.audit import tracked
from applicants.countries import country_name
from applicants.files import EXTENSIONS
from hosts.models import OrganizationQuerySet
from rotations.models import DocumentKind, Rotation, SeatHold, VisaType


class Applicant(models.Model):
    """An IMG's profile: what hosts and readiness rules look at."""

    class TrainingStatus(models.TextChoices):
        STUDENT = "student", "Medical student"
        GRADUATE = "graduate", "Graduate"

    class EcfmgStatus(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        CERTIFIED = "certified", "Certified"

    class Step1Result(models.TextChoices):
        NOT_TAKEN = "not_taken", "Not taken"
        PASS = "pass", "Pass"
        FAIL = "fail", "Fail"

    class EnglishProficiency(models.TextChoices):
        NONE = "none", "None yet"
        OET = "oet", "OET"
        TOEFL = "toefl", "TOEFL"
        IELTS = "ielts", "IELTS"
        NATIVE = "native", "Native speaker / English-medium school"
        OTHER = "other", "Other"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applicant")
    legal_name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    citizenship = models.CharField(max_length=2, blank=True, help_text="ISO 3166 country code.")
    country_of_residence = models.CharField(max_length=2, blank=True, help_text="ISO 3166 country code.")
    medical_school_name = models.CharField(max_length=200, blank=True)
    medical_school_country = models.CharField(max_length=2, blank=True)
    training_status = models.CharField(max_length=16, choices=TrainingStatus.choices, blank=True)
    graduation_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Expected year for students, year obtained for graduates."
    )
    ecfmg_status = models.CharField(
        max_length=16, choices=EcfmgStatus.choices, default=EcfmgStatus.NOT_STARTED
    )
    ecfmg_number = models.CharField("ECFMG number", max_length=20, blank=True)
    step1_result = models.CharField(max_length=16, choices=Step1Result.choices, default=Step1Result.NOT_TAKEN)
    step1_date = models.DateField(null=True, blank=True)
    step2_score = models.PositiveSmallIntegerField("USMLE Step 2 CK score", null=True, blank=True)
    step2_date = models.DateField(null=True, blank=True)
    english_proficiency = models.CharField(
        max_length=16, choices=EnglishProficiency.choices, default=EnglishProficiency.NONE
    )
    visa_status = models.CharField(
        "current U.S. visa status", max_length=16, choices=VisaType.choices, blank=True
    )
    phone = models.CharField(max_length=32, blank=True)
    specialties_of_interest = models.ManyToManyField("rotations.Specialty", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(step2_score__isnull=True) | (Q(step2_score__gte=1) & Q(step2_score__lte=300)),
                name="applicant_step2_score_range",
            ),
            models.CheckConstraint(
                condition=Q(graduation_year__isnull=True)
                | (Q(graduation_year__gte=1950) & Q(graduation_year__lte=2100)),
                name="applicant_graduation_year_range",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name or self.user.email

    # The answers an applicant gives on the profile page and through the API, with the words pages
    # use for them: the one list behind the profile form, the API, readiness and the completeness
    # meter (each of those picks the fields it needs from it).
    PROFILE_FIELDS = {
        "legal_name": "Legal name",
        "date_of_birth": "Date of birth",
        "citizenship": "Citizenship",
        "country_of_residence": "Country of residence",
        "medical_school_name": "Medical school",
        "medical_school_country": "Medical school country",
        "training_status": "Student or graduate",
        "graduation_year": "Graduation year",
        "ecfmg_status": "ECFMG status",
        "ecfmg_number": "ECFMG number",
        "step1_result": "USMLE Step 1 result",
        "step1_date": "USMLE Step 1 date",
        "step2_score": "USMLE Step 2 CK score",
        "step2_date": "USMLE Step 2 CK date",
        "english_proficiency": "English proficiency",
        "visa_status": "Current U.S. visa status",
        "phone": "Phone",
    }
    # Countries are stored as ISO codes (applicants.countries); people read their names.
    COUNTRY_FIELDS = ("citizenship", "country_of_residence", "medical_school_country")

    @property
    def citizenship_name(self) -> str:
        return country_name(self.citizenship)

    @property
    def medical_school_country_name(self) -> str:
        return country_name(self.medical_school_country)


def document_storage_name(instance: "Document", filename: str) -> str:
    """A generated name with the extension of the type the bytes proved: the uploader's file name
    never reaches the file system."""
    return f"documents/{instance.applicant_id}/{uuid.uuid4().hex}{EXTENSIONS[instance.content_type][0]}"


# The file's original name often carries the applicant's name, which deleting their account
# erases: history keeps no copy of it (the stored file's own name is kept).
@tracked(exclude=["original_filename"])
class Document(models.Model):
    class VerificationStatus(models.TextChoices):
        PENDING = "pending", "Pending verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    file = models.FileField(upload_to=document_storage_name, max_length=200)
    original_filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    expires_on = models.DateField(null=True, blank=True)
    verification_status = models.CharField(
        max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    rejection_reason = models.CharField(max_length=500, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        # Seeing that a document exists (the admin's lists) is not opening it: the file itself opens
        # for staff only with this permission (the placement coordinators), and each opening is logged.
        permissions = [("view_document_file", "Can open the file of an applicant's document")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(verification_status="rejected") | ~Q(rejection_reason=""),
                name="document_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=list(EXTENSIONS)), name="document_allowed_content_type"
            ),
            # A file is named, listed and downloaded with its type's extension (applicants/files.py).
            models.CheckConstraint(
                condition=reduce(
                    operator.or_,
                    [
                        Q(content_type=content_type, original_filename__iendswith=extension)
                        for content_type, extensions in EXTENSIONS.items()
                        for extension in extensions
                    ],
                ),
                name="document_filename_has_type_extension",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.applicant}"


class ApplicationQuerySet(OrganizationQuerySet):
    organization_path = "block__rotation__organization"

    def with_waitlist_position(self) -> "ApplicationQuerySet":
        """Annotate `waitlist_position`: a waitlisted application's place in its block's line, first
        waitlisted first (1 is next); None for any other status. A subquery, so no extra query."""
        ahead = (
            Application.objects.filter(block=OuterRef("block"), status=Application.Status.WAITLISTED)
            .filter(
                Q(waitlisted_at__lt=OuterRef("waitlisted_at"))
                | Q(waitlisted_at=OuterRef("waitlisted_at"), pk__lte=OuterRef("pk"))
            )
            .order_by()
            .values("block")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(
            waitlist_position=models.Case(
                models.When(status=Application.Status.WAITLISTED, then=Coalesce(Subquery(ahead), 1)),
                default=None,
                output_field=models.IntegerField(),
            )
        )

    def live(self) -> "ApplicationQuerySet":
        """Applications that keep the applicant from applying for their block again (the database's
        one-live-application constraint says the same)."""
        return self.exclude(status__in=Application.ENDED_REAPPLICABLE)

    def with_hold(self) -> "ApplicationQuerySet":
        """Annotate the application's unreleased seat hold: `hold_kind` and `hold_expires_at` (the
        offer's or checkout's deadline; None for a booking or without a hold). No extra query."""
        hold = SeatHold.objects.filter(application=OuterRef("pk"), released_at__isnull=True)
        return self.annotate(
            hold_kind=Subquery(hold.values("kind")[:1]),
            hold_expires_at=Subquery(hold.values("expires_at")[:1]),
        )


# updated_at moves on every save; the event's own time says when. The personal statement is the
# applicant's own words, which deleting their account erases: history keeps no copy of it.
@tracked(exclude=["updated_at", "personal_statement"])
class Application(models.Model):
    """An applicant's request for a seat on one block. Its status changes only in workflow.py."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        UNDER_REVIEW = "under_review", "Under review"
        WAITLISTED = "waitlisted", "Waitlisted"
        OFFERED = "offered", "Offered"
        # Accepted (or booked at once) and holding its seat until the deposit is paid.
        AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
        CONFIRMED = "confirmed", "Confirmed"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DECLINED = "declined", "Offer declined"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "Did not attend"
        ENDED_EARLY = "ended_early", "Ended early"

    # An applicant may apply to a block again only after withdrawing or declining, or after an offer
    # expired or a booking was cancelled.
    ENDED_REAPPLICABLE = [Status.WITHDRAWN, Status.DECLINED, Status.EXPIRED, Status.CANCELLED]
    # Statuses in which the application holds a seat on its block (an unreleased SeatHold).
    SEATED = [Status.OFFERED, Status.AWAITING_PAYMENT, Status.CONFIRMED, Status.IN_PROGRESS]
    # A booking: confirmed, under way, or ended after it was to start (completed, ended early, not
    # attended). From confirmation on the applicant sees the preceptor, the site and the first day,
    # and has an advisor; a cancelled booking is no longer one.
    BOOKED = [Status.CONFIRMED, Status.IN_PROGRESS, Status.COMPLETED, Status.ENDED_EARLY, Status.NO_SHOW]

    class FeeStatus(models.TextChoices):
        # Joining a full block's waitlist: the fee falls due when the host offers a seat.
        NOT_DUE = "not_due", "Not due until a seat is offered"
        DUE = "due", "Due"
        PAID = "paid", "Paid"
        WAIVED = "waived", "Waived"
        REFUNDED = "refunded", "Refunded"

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="applications")
    block = models.ForeignKey("rotations.Block", on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    personal_statement = models.TextField(blank=True)
    documents = models.ManyToManyField(
        Document, blank=True, related_name="applications", help_text="The documents this host may see."
    )
    # The agreed terms (applicants.terms): what the applicant agreed to pay, and get back on
    # cancelling, when the application was sent or its booking moved to another block; fixed then
    # by applicants.services.terms and read for every amount, never the rotation's live fields.
    # A draft has none yet (terms_agreed_at empty) and reads its rotation's.
    terms_agreed_at = models.DateTimeField(null=True, blank=True)
    application_fee_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    program_fee_cents = models.PositiveIntegerField(default=0)
    deposit_cents = models.PositiveIntegerField(default=0)
    balance_due_days_before_start = models.PositiveSmallIntegerField(default=0)
    cancellation_policy = models.CharField(
        max_length=16, choices=Rotation.CancellationPolicy.choices, blank=True
    )
    # The policy's tiers as they stood: [{"min_days_before_start": 30, "refund_percent": 100}, ...].
    refund_tiers = models.JSONField(default=list, blank=True)
    application_fee_status = models.CharField(max_length=16, choices=FeeStatus.choices, default=FeeStatus.DUE)
    # A book-now booking confirmed before every required document was in: when they are due.
    documents_due_at = models.DateTimeField(null=True, blank=True)
    # When it last joined its block's waitlist: its place in line, first come, first served.
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # A cancelled booking: the booking from the waitlist that took its seat before the start, which
    # refunded this one the rest of its program fee (applicants.services.payment_handoff, resale).
    resold_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resold_from"
    )
    # The booking's advisor: a staff member, the applicant's named contact before, during and after
    # the rotation. Assigned only by applicants.services.advisors.booking_advisor_assign. Not
    # indexed: bookings are read by their own id, and a plain index built on this existing table
    # would stop every write to it while it is built.
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="advised_bookings",
        limit_choices_to={"is_staff": True, "is_active": True},
        db_index=False,
    )
    advisor_assigned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "block"],
                condition=~Q(status__in=["withdrawn", "declined", "expired", "cancelled"]),
                name="application_one_live_per_applicant_block",
                violation_error_message="You already have an application for this block.",
            ),
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(waitlisted_at__isnull=False),
                name="application_waitlisted_has_time",
            ),
            models.CheckConstraint(
                condition=Q(resold_to__isnull=True) | Q(status="cancelled"),
                name="application_resold_only_when_cancelled",
            ),
            models.CheckConstraint(
                # Sent means submitted (or booked, or waitlisted): a draft withdrawn unsent agreed to nothing.
                condition=Q(submitted_at__isnull=True)
                | (Q(terms_agreed_at__isnull=False) & ~Q(cancellation_policy="")),
                name="application_sent_has_agreed_terms",
            ),
            models.CheckConstraint(
                condition=Q(deposit_cents__lte=F("program_fee_cents")),
                name="application_deposit_within_program_fee",
            ),
            models.CheckConstraint(
                condition=Q(advisor__isnull=True, advisor_assigned_at__isnull=True)
                | Q(advisor__isnull=False, advisor_assigned_at__isnull=False),
                name="application_advisor_has_assignment_time",
            ),
        ]
        indexes = [models.Index(fields=["block", "status"]), models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.applicant} → {self.block}"


class ApplicationTransition(models.Model):
    """Every change of an application's status: who, when, from, to, why. Never edited."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=Application.Status.choices)
    to_status = models.CharField(max_length=16, choices=Application.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the system made the change.",
    )
    actor_role = models.CharField(max_length=16)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    # Who took the step, as the timeline says it (actor_role holds applicants.workflow.ActorRole).
    BY_WHOM = {
        "applicant": "by the applicant",
        "host": "by the host",
        "staff": "by our staff",
        "system": "automatically",
    }

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"

    @property
    def by_whom(self) -> str:
        return self.BY_WHOM.get(self.actor_role, "")


class ApplicationMessage(models.Model):
    """The thread on an application, seen by the applicant, the host and staff."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=16)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author_role} on application {self.application_id}"


class AdvisorMessage(models.Model):
    """The thread between a booked applicant and their advisor, apart from the host's thread
    (ApplicationMessage), which the host reads: what an applicant tells our staff about a rotation
    is not for its host. Written only by applicants.services.advisors.advisor_message_post."""

    class AuthorRole(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        ADVISOR = "advisor", "Advisor"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="advisor_messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=16, choices=AuthorRole.choices)
    # Whom it was sent to: the advisor assigned when the applicant wrote, or the applicant.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_author_role_display()} message on booking {self.application_id}"


class BlockChangeQuerySet(OrganizationQuerySet):
    organization_path = "application__block__rotation__organization"


class BlockChange(models.Model):
    """An applicant's request to switch or postpone a confirmed booking to another block of the same
    organization, and the host's answer. Approving moves the seat hold (both blocks locked)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="block_changes")
    from_block = models.ForeignKey("rotations.Block", on_delete=models.PROTECT, related_name="+")
    to_block = models.ForeignKey("rotations.Block", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reason = models.TextField(blank=True, help_text="Why the applicant asks.")
    answer = models.TextField(blank=True, help_text="The host's reason when declining.")
    quoted_terms = models.JSONField(
        null=True,
        blank=True,
        help_text="The target rotation's terms when the applicant asked (applicants.terms.Terms.fields): "
        "the price both sides see and approving agrees to. Empty only on changes decided before it was kept.",
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = BlockChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="requested"),
                name="block_change_one_open_per_application",
                violation_error_message="This booking already has a date change waiting for the host.",
            ),
            models.CheckConstraint(
                condition=~Q(from_block=F("to_block")), name="block_change_to_another_block"
            ),
            models.CheckConstraint(
                condition=Q(status="requested", decided_at__isnull=True)
                | (~Q(status="requested") & Q(decided_at__isnull=False)),
                name="block_change_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="requested") | Q(quoted_terms__isnull=False),
                name="block_change_requested_has_quote",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.from_block} → {self.to_block}"


class VisaDenial(models.Model):
    """An applicant's word, with the consulate's letter, that the visa for a confirmed booking was
    denied. Staff accept it (the booking is cancelled and the whole program fee paid refunded) or
    refuse it, saying why. Written only by applicants/services/visa_denials.py."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for staff"
        ACCEPTED = "accepted", "Accepted"
        REFUSED = "refused", "Refused"

    # One letter at a time waits for staff or stands accepted.
    OPEN = [Status.SUBMITTED, Status.ACCEPTED]

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="visa_denials")
    letter = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="visa_denial")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    refusal_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One letter waits for staff at a time; after a refusal the applicant may send another.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=["submitted", "accepted"]),
                name="visa_denial_one_open_per_application",
                violation_error_message="A visa denial letter for this booking is already with our staff.",
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""), name="visa_denial_refusal_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="submitted", decided_at__isnull=True)
                | (~Q(status="submitted") & Q(decided_at__isnull=False)),
                name="visa_denial_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        # No status here: a label read after the row changed (an admin message) would show the old one.
        return f"Visa denial for {self.application}"


# A verification code (an enrollment letter's, a certificate of completion's) is read aloud and typed
# from paper: no I, L, O, 0 or 1 to mistake for one another. 12 of these 31 characters are about 59
# random bits: unguessable.
LETTER_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LETTER_CODE_LENGTH = 12
LETTER_CODE_REGEX = f"^[{LETTER_CODE_ALPHABET}]{{{LETTER_CODE_LENGTH}}}$"


class VerifiedByCode(models.Model):
    """What we issue that anyone checks by its code on the public verify page: an enrollment letter,
    a certificate of completion. One code names one of them, whichever kind (the code is drawn by
    applicants.services.letters.verification_code_new, which looks in both)."""

    code = models.CharField(
        max_length=LETTER_CODE_LENGTH,
        unique=True,
        help_text="The verification code, stored without its dashes.",
    )

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        """The public verify page, with the code as printed."""
        return reverse("applicants:letter_verify", args=[self.code_display])

    @property
    def code_display(self) -> str:
        """The code as printed and typed: ABCD-EFGH-JKMN."""
        return "-".join(self.code[start : start + 4] for start in range(0, len(self.code), 4))

    @property
    def verification_url(self) -> str:
        return f"{settings.SITE_URL}{self.get_absolute_url()}"

    @staticmethod
    def code_normalized(typed: str) -> str:
        """A code as typed (lower case, with or without its dashes or spaces) as it is stored."""
        return re.sub(r"[\s-]", "", typed).upper()


class EnrollmentLetter(VerifiedByCode):
    """The visa-support and enrollment letter of a booking: what it says is fixed when it is issued
    (the applicant's legal name and passport country, the host, the preceptor, the dates, the site
    address), and a consulate checks it by its code on the public verify page. At most one letter
    of a booking stands at a time; written only by applicants/services/letters.py."""

    class Standing(models.TextChoices):
        VALID = "valid", "Valid"
        REPLACED = "replaced", "Replaced by a newer letter"
        WITHDRAWN = "withdrawn", "No longer valid"

    class WithdrawalReason(models.TextChoices):
        # The label is what the verify page tells a consulate.
        CANCELLED = "cancelled", "The booking was cancelled."
        NO_SHOW = "no_show", "The host recorded that the applicant did not attend the rotation."
        ENDED_EARLY = "ended_early", "The rotation ended before its last day."
        # Moved while the applicant's profile lacked what a new letter needs (their legal name or
        # passport country), so none could replace it.
        MOVED = "moved", "The booking moved to other dates."

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="enrollment_letters")
    issued_at = models.DateTimeField()
    # What the letter says, as it was when issued.
    block = models.ForeignKey(
        "rotations.Block",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The block it was issued for.",
    )
    applicant_name = models.CharField(max_length=200)
    passport_country = models.CharField(max_length=100)
    organization_name = models.CharField(max_length=200)
    site_address = models.CharField(max_length=400)
    rotation_title = models.CharField(max_length=200)
    rotation_type = models.CharField(max_length=100)
    preceptor_name = models.CharField(
        max_length=200, blank=True, help_text="Empty: no preceptor was named yet."
    )
    preceptor_credentials = models.CharField(max_length=2, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    # Whether it still stands, and since when it does not.
    standing = models.CharField(max_length=16, choices=Standing.choices, default=Standing.VALID)
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        help_text="The letter this one replaced (the booking moved, or the applicant corrected their name).",
    )
    replaced_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(max_length=16, choices=WithdrawalReason.choices, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(standing="valid"),
                name="enrollment_letter_one_valid_per_application",
            ),
            models.CheckConstraint(
                condition=Q(standing="valid", replaced_at__isnull=True, withdrawn_at__isnull=True)
                | Q(standing="replaced", replaced_at__isnull=False, withdrawn_at__isnull=True)
                | Q(standing="withdrawn", replaced_at__isnull=True, withdrawn_at__isnull=False),
                name="enrollment_letter_standing_has_its_time",
            ),
            models.CheckConstraint(
                condition=(Q(standing="withdrawn") & ~Q(withdrawal_reason=""))
                | (~Q(standing="withdrawn") & Q(withdrawal_reason="")),
                name="enrollment_letter_withdrawn_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(code__regex=LETTER_CODE_REGEX), name="enrollment_letter_code_format"
            ),
            models.CheckConstraint(
                condition=~Q(applicant_name="") & ~Q(passport_country=""),
                name="enrollment_letter_names_the_applicant",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="enrollment_letter_dates_in_order"
            ),
            models.CheckConstraint(condition=~Q(replaces=F("id")), name="enrollment_letter_replaces_another"),
        ]

    def __str__(self) -> str:
        return f"Enrollment letter {self.code_display}"

    @property
    def preceptor_line(self) -> str:
        """The preceptor as the letter and the verify page name them."""
        if not self.preceptor_name:
            return f"To be named by {self.organization_name}"
        return f"{self.preceptor_name}, {self.preceptor_credentials}"


class ReviewQuerySet(OrganizationQuerySet):
    organization_path = "application__block__rotation__organization"

    def visible(self) -> "ReviewQuerySet":
        """Reviews the public reads: not hidden by our staff."""
        return self.filter(hidden_at__isnull=True)


# A review's four ratings, with the words pages and the API use for them.
REVIEW_RATINGS = {
    "teaching_rating": "Teaching",
    "hands_on_rating": "Hands-on involvement",
    "organization_rating": "Organization",
    "value_rating": "Value",
}
RATING_MIN, RATING_MAX = 1, 5
MAX_REVIEW_CHARS = 3000
MAX_REVIEW_ANSWER_CHARS = 2000


def _rating(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, help_text=f"From {RATING_MIN} (poor) to {RATING_MAX} (excellent)."
    )


class Review(models.Model):
    """The applicant's verified review of a completed booking: one per booking, four ratings and
    words, shown on the rotation's public page with the host's one public answer, unless our staff
    hid it (with the reason recorded). Written only by applicants/services/reviews.py."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="review")
    teaching_rating = _rating("teaching")
    hands_on_rating = _rating("hands-on involvement")
    organization_rating = _rating("organization")
    value_rating = _rating("value")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # The host's one public answer.
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Hidden by our staff: no page or API shows it to the public, and track records leave it out.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": RATING_MIN, f"{field}__lte": RATING_MAX}),
                    name=f"review_{field}_range",
                )
                for field in REVIEW_RATINGS
            ],
            models.CheckConstraint(
                condition=~Q(text="") & LessThanOrEqual(Length("text"), MAX_REVIEW_CHARS),
                name="review_text_bounded",
            ),
            models.CheckConstraint(
                condition=Q(answer="", answered_at__isnull=True)
                | (~Q(answer="") & Q(answered_at__isnull=False)),
                name="review_answer_has_its_time",
            ),
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True, hidden_reason="")
                | (Q(hidden_at__isnull=False) & ~Q(hidden_reason="")),
                name="review_hidden_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.application}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def ratings(self) -> list[tuple[str, int]]:
        """Each rating with its label, in the order pages show them."""
        return [(label, getattr(self, field)) for field, label in REVIEW_RATINGS.items()]

    @property
    def completed_label(self) -> str:
        """When the reviewer's rotation ended, as the public page says it: "Completed March 2025"."""
        return f"Completed {self.application.block.end_date:%B %Y}"


# --- Letters of recommendation ----------------------------------------------------------------------

# The words an applicant agrees to when they waive, or keep, the right to see a letter, as ERAS asks
# (FERPA). Copied onto the request when it is made: a later change of wording never rewrites one.
WAIVER_WORDING = (
    "I waive my right to read this letter of recommendation or to obtain it, now or later, under "
    "any circumstances (the Family Educational Rights and Privacy Act, 20 U.S.C. § 1232g)."
)
KEEP_RIGHT_WORDING = (
    "I keep my right to read this letter of recommendation. Programs are told that I have not waived it."
)


# Staff who may open a letter's file hold this permission (LetterRequest's Meta), themselves or
# through a group; the admin groups assign it.
LETTER_FILE_PERMISSION = "applicants.view_letter_file"


class LetterWaiver(models.Model):
    """The applicant's standing choice to waive, or keep, the right to see their letters, as said.

    Never edited: a new choice is a new row, and the latest is the default for the next request.
    A revocation (a row with waived False) applies to later letters only: each LetterRequest keeps
    the choice, its wording and its time as they were when it was made.
    """

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="letter_waivers")
    waived = models.BooleanField()
    wording = models.TextField()
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{'Waived' if self.waived else 'Kept'} the right to see letters ({self.recorded_at:%Y-%m-%d})"


def letter_request_form_storage_name(instance: "LetterRequest", filename: str) -> str:
    return f"letters/{instance.application_id}/request-form-{uuid.uuid4().hex}.pdf"


def letter_version_storage_name(instance: "LetterVersion", filename: str) -> str:
    return f"letters/{instance.letter_request_id}/letter-{uuid.uuid4().hex}.pdf"


class LetterRequestQuerySet(OrganizationQuerySet):
    organization_path = "application__block__rotation__organization"
    preceptor_path = "preceptor"


class LetterRequest(models.Model):
    """An applicant's request to a preceptor for a letter of recommendation for ERAS, for one booking.

    Its status changes only in applicants/lor_workflow.py, which records every change. What the
    applicant gave (the ERAS Letter ID, the Letter Request Form, the waiver and its wording) is
    fixed when it is made. The letter itself is a LetterVersion, and none is ever deleted.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACCEPTED = "accepted", "Accepted by the author"
        UPLOADED = "uploaded", "Letter uploaded to AMO"
        SUBMITTED = "submitted", "Submitted to ERAS"
        DECLINED = "declined", "Declined by the author"
        EXPIRED = "expired", "Expired without an answer"
        WITHDRAWN = "withdrawn", "Withdrawn by the applicant"

    # Waiting on the author: at most one such request per booking and author.
    OPEN = [Status.REQUESTED, Status.ACCEPTED, Status.UPLOADED]
    # The Letter ID is in use (ERAS takes each Letter ID once, from one author).
    HOLDS_LETTER_ID = [*OPEN, Status.SUBMITTED]

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="letter_requests")
    preceptor = models.ForeignKey(
        "hosts.Preceptor", on_delete=models.PROTECT, related_name="letter_requests", help_text="The author."
    )
    # The author as the applicant named them in MyERAS, and where their links are emailed.
    author_name = models.CharField(max_length=200)
    author_title = models.CharField("author's title or department", max_length=200)
    author_email = models.EmailField()
    eras_letter_id = models.CharField("ERAS Letter ID", max_length=20)
    specialty = models.ForeignKey(
        "rotations.Specialty",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The specialty the applicant will assign the letter to.",
    )
    due_on = models.DateField(help_text="When the applicant needs the letter in ERAS.")
    request_form = models.FileField(
        "Letter Request Form", upload_to=letter_request_form_storage_name, max_length=200
    )
    # The waiver as agreed when the request was made.
    waived = models.BooleanField(default=True)
    waiver_wording = models.TextField()
    waiver_recorded_at = models.DateTimeField()

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="When the author confirmed it.")
    eras_submitted_on = models.DateField(
        "submitted to ERAS on", null=True, blank=True, help_text="The day the author says they uploaded it."
    )
    expired_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the applicant's advisor was asked to follow it up."
    )
    # The author's emailed links carry this number: emailing a fresh link raises it, so an older
    # link is refused as replaced.
    link_generation = models.PositiveIntegerField(default=1)

    objects = LetterRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "preceptor"],
                condition=Q(status__in=["requested", "accepted", "uploaded"]),
                name="letter_request_one_open_per_booking_and_author",
                violation_error_message="You already have an open request to this author for this rotation.",
            ),
            models.UniqueConstraint(
                Upper("eras_letter_id"),
                condition=Q(status__in=["requested", "accepted", "uploaded", "submitted"]),
                name="letter_request_letter_id_in_use_once",
                violation_error_message="This ERAS Letter ID is already used by another letter request.",
            ),
            models.CheckConstraint(
                condition=Q(eras_letter_id__regex=r"^[A-Za-z0-9-]{4,20}$"),
                name="letter_request_letter_id_format",
            ),
            models.CheckConstraint(
                condition=Q(status="requested", accepted_at__isnull=True)
                | Q(status__in=["accepted", "uploaded", "submitted"], accepted_at__isnull=False)
                | Q(status__in=["declined", "expired", "withdrawn"]),
                name="letter_request_accepted_has_its_time",
            ),
            models.CheckConstraint(
                condition=(Q(status="declined") & Q(declined_at__isnull=False) & ~Q(decline_reason=""))
                | (~Q(status="declined") & Q(declined_at__isnull=True)),
                name="letter_request_declined_has_time_and_reason",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="submitted") & Q(submitted_at__isnull=False, eras_submitted_on__isnull=False)
                )
                | (~Q(status="submitted") & Q(submitted_at__isnull=True)),
                name="letter_request_submitted_has_its_date",
            ),
            models.CheckConstraint(
                condition=Q(status="expired", expired_at__isnull=False)
                | (~Q(status="expired") & Q(expired_at__isnull=True)),
                name="letter_request_expired_has_its_time",
            ),
            models.CheckConstraint(
                condition=Q(status="withdrawn", withdrawn_at__isnull=False)
                | (~Q(status="withdrawn") & Q(withdrawn_at__isnull=True)),
                name="letter_request_withdrawn_has_its_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="letter_request_status_age")]
        permissions = [
            # Staff who may open a letter's file (its author may always): held by the groups the
            # admin assigns; every opening is logged (LetterFileAccess).
            ("view_letter_file", "Can open the file of a letter of recommendation"),
        ]

    def __str__(self) -> str:
        return f"Letter {self.eras_letter_id} from {self.author_name}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class LetterVersion(models.Model):
    """One upload of the letter, checked against the ERAS portal's rules before it was stored.

    The newest version is the one for ERAS; older ones are kept. A database trigger refuses to
    update or delete a row (applicants/migrations), so no version of a letter is ever lost.
    """

    letter_request = models.ForeignKey(LetterRequest, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=letter_version_storage_name, max_length=200)
    filename = models.CharField(max_length=255, help_text="A name the ERAS portal accepts.")
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveSmallIntegerField()
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the author uploaded it through their emailed link.",
    )

    class Meta:
        ordering = ["letter_request", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["letter_request", "number"], name="letter_version_number_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="letter_version_number_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.letter_request} — version {self.number}"


class LetterTransition(models.Model):
    """Every change of a letter request's status: who, in what capacity, when, from, to, why."""

    letter_request = models.ForeignKey(LetterRequest, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=LetterRequest.Status.choices)
    to_status = models.CharField(max_length=16, choices=LetterRequest.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the system, or the author through their emailed link, made the change.",
    )
    actor_role = models.CharField(max_length=16)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    BY_WHOM = {
        "applicant": "by the applicant",
        "author": "by the author",
        "author_link": "by the author, through the emailed link",
        "staff": "by our staff",
        "system": "automatically",
    }

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"

    @property
    def by_whom(self) -> str:
        return self.BY_WHOM.get(self.actor_role, "")


class LetterFileAccess(models.Model):
    """One opening of a letter's file: who (empty: the author through their emailed link), in what
    capacity, when, which version, from which page. Kept for good, as the versions are (a trigger)."""

    class Via(models.TextChoices):
        AUTHOR = "author", "The author, signed in"
        AUTHOR_LINK = "author_link", "The author, through the emailed link"
        STAFF = "staff", "Staff holding the letter permission"
        APPLICANT = "applicant", "The applicant (the letter is not waived)"

    version = models.ForeignKey(LetterVersion, on_delete=models.PROTECT, related_name="accesses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the author opened it through their emailed link.",
    )
    via = models.CharField(max_length=16, choices=Via.choices)
    page = models.CharField(max_length=200, blank=True, help_text="The page it was opened from.")
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name_plural = "letter file accesses"

    def __str__(self) -> str:
        return f"{self.version} opened {self.opened_at:%Y-%m-%d %H:%M} ({self.get_via_display()})"


# The six ACGME core competencies an evaluation rates, as (field, name, what it looks at). Each is a
# rating field of Evaluation and a `<field>_comment`; pages, the API and the PDF list them in this order.
COMPETENCIES = (
    ("patient_care", "Patient care", "Gathers a history, examines, and proposes sound, compassionate plans."),
    (
        "medical_knowledge",
        "Medical knowledge",
        "Knows the medicine of the rotation and applies it to patients.",
    ),
    (
        "practice_based_learning",
        "Practice-based learning and improvement",
        "Seeks feedback, reads around cases, and learns from mistakes.",
    ),
    (
        "interpersonal_communication",
        "Interpersonal and communication skills",
        "Talks clearly with patients and families, presents well, writes clear notes.",
    ),
    ("professionalism", "Professionalism", "Punctual, honest, respectful, and accountable for tasks."),
    (
        "systems_based_practice",
        "Systems-based practice",
        "Works within the team and the health system: consults, hand-offs, resources.",
    ),
)
# What each rating means: for the applicant's level of training.
RATINGS = {
    1: "Well below expectations",
    2: "Below expectations",
    3: "Meets expectations",
    4: "Above expectations",
    5: "Well above expectations",
}
# The most hours a week a trainee may work (ACGME's duty-hour limit): an evaluation never counts more
# than this for each week of its block.
MAX_WEEKLY_HOURS = 80
# The longest block lasts 52 weeks (rotations.models.Block).
MAX_EVALUATION_HOURS = 52 * MAX_WEEKLY_HOURS


class Evaluation(models.Model):
    """The preceptor's end-of-rotation evaluation of a completed booking: the six ACGME core
    competencies rated 1 to 5 with a comment each, the hours completed and the attendance, and an
    overall comment. Submitted once and then fixed (the database refuses any change); written only
    by applicants/services/evaluations.py, which issues the certificate of completion with it."""

    class Attendance(models.TextChoices):
        EVERY_DAY = "every_day", "Attended every scheduled day"
        MISSED_SOME = "missed_some", "Missed some days"

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="evaluation")
    preceptor = models.ForeignKey(
        "hosts.Preceptor",
        on_delete=models.PROTECT,
        related_name="evaluations",
        help_text="The rotation's preceptor when it was written: whose evaluation it is.",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who submitted it: the preceptor, a manager of the host, or our staff.",
    )
    patient_care = models.PositiveSmallIntegerField()
    patient_care_comment = models.TextField(blank=True)
    medical_knowledge = models.PositiveSmallIntegerField()
    medical_knowledge_comment = models.TextField(blank=True)
    practice_based_learning = models.PositiveSmallIntegerField()
    practice_based_learning_comment = models.TextField(blank=True)
    interpersonal_communication = models.PositiveSmallIntegerField()
    interpersonal_communication_comment = models.TextField(blank=True)
    professionalism = models.PositiveSmallIntegerField()
    professionalism_comment = models.TextField(blank=True)
    systems_based_practice = models.PositiveSmallIntegerField()
    systems_based_practice_comment = models.TextField(blank=True)
    hours_completed = models.PositiveSmallIntegerField()
    attendance = models.CharField(max_length=16, choices=Attendance.choices)
    days_missed = models.PositiveSmallIntegerField(default=0)
    overall_comment = models.TextField()
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
                    name=f"evaluation_{field}_rating_1_to_5",
                    violation_error_message=f"{name} is rated from 1 to 5.",
                )
                for field, name, _ in COMPETENCIES
            ),
            models.CheckConstraint(
                condition=Q(hours_completed__gte=1, hours_completed__lte=MAX_EVALUATION_HOURS),
                name="evaluation_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(attendance="every_day", days_missed=0)
                | Q(attendance="missed_some", days_missed__gte=1, days_missed__lte=52 * 7),
                name="evaluation_attendance_days_missed",
            ),
            models.CheckConstraint(condition=~Q(overall_comment=""), name="evaluation_overall_comment"),
        ]

    def __str__(self) -> str:
        return f"Evaluation of booking {self.application_id}"

    @property
    def ratings(self) -> list[dict]:
        """Each competency in order: its name, what it looks at, the rating with its words, the comment."""
        return [
            {
                "key": field,
                "name": name,
                "description": description,
                "rating": getattr(self, field),
                "rating_label": RATINGS[getattr(self, field)],
                "comment": getattr(self, f"{field}_comment"),
            }
            for field, name, description in COMPETENCIES
        ]

    @property
    def attendance_line(self) -> str:
        if self.attendance == self.Attendance.EVERY_DAY:
            return self.get_attendance_display()
        return f"Missed {self.days_missed} scheduled day{'' if self.days_missed == 1 else 's'}"


class CompletionCertificate(VerifiedByCode):
    """The certificate of completion of a booking, issued with its evaluation: what it says is fixed
    when it is issued (the applicant's name, the rotation, the host, the preceptor, the dates and
    the hours the evaluation counted), and anyone checks it by its code on the public verify page.
    Written only by applicants/services/evaluations.py; the database refuses any change."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="certificate")
    issued_at = models.DateTimeField()
    applicant_name = models.CharField(max_length=200)
    rotation_title = models.CharField(max_length=200)
    rotation_type = models.CharField(max_length=100)
    organization_name = models.CharField(max_length=200)
    preceptor_name = models.CharField(max_length=200)
    preceptor_credentials = models.CharField(max_length=2)
    starts_on = models.DateField()
    ends_on = models.DateField()
    hours_completed = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=LETTER_CODE_REGEX), name="completion_certificate_code_format"
            ),
            models.CheckConstraint(
                condition=~Q(applicant_name="") & ~Q(preceptor_name=""),
                name="completion_certificate_names_both",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="completion_certificate_dates_in_order"
            ),
            models.CheckConstraint(
                condition=Q(hours_completed__gte=1, hours_completed__lte=MAX_EVALUATION_HOURS),
                name="completion_certificate_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Certificate of completion {self.code_display}"

    @property
    def preceptor_line(self) -> str:
        return f"{self.preceptor_name}, {self.preceptor_credentials}"
