"""Reads of the applicants app: what a page or API answer shows, fetched in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from amo.models import Reminder, User
from amo.money import format_cents
from amo.selectors import user_has_totp
from amo.text import day_label, moment_label
from applicants.models import (
    LETTER_CODE_LENGTH,
    AdvisorMessage,
    Applicant,
    Application,
    ApplicationTransition,
    BlockChange,
    CompletionCertificate,
    Document,
    EnrollmentLetter,
    Evaluation,
    LetterRequest,
    LetterVersion,
    LetterWaiver,
    Review,
    VerifiedByCode,
    VisaDenial,
)
from applicants.readiness import block_closed_reason
from applicants.terms import application_terms
from hosts.models import Membership, Organization, Preceptor
from payments.models import Payment, Refund
from payments.refunds import refund_plan
from payments.selectors import with_price_difference
from rotations.models import Block, FirstDayInformation, Rotation
from rotations.policies import RefundWindow
from rotations.selectors import first_day_of

S = Application.Status

# --- Profile ----------------------------------------------------------------------------------

# What a complete profile answers; choice fields with a default count as answered.
COMPLETENESS_FIELDS = (
    "legal_name",
    "date_of_birth",
    "citizenship",
    "country_of_residence",
    "medical_school_name",
    "medical_school_country",
    "training_status",
    "graduation_year",
    "visa_status",
    "phone",
)


@dataclass(frozen=True)
class Completeness:
    percent: int
    missing: list[str]


def applicant_for_user(user: User) -> Applicant | None:
    if not user.is_authenticated or not user.is_applicant:
        return None
    return Applicant.objects.filter(user=user).select_related("user").first()


def profile_completeness(*, applicant: Applicant) -> Completeness:
    """How much of the profile is filled, and the names of what is missing (for the meter)."""
    missing = [
        Applicant.PROFILE_FIELDS[field]
        for field in COMPLETENESS_FIELDS
        if getattr(applicant, field) in (None, "")
    ]
    if applicant.english_proficiency == Applicant.EnglishProficiency.NONE:
        missing.append("English proficiency")
    if not applicant.specialties_of_interest.all():
        missing.append("Specialties of interest")
    total = len(COMPLETENESS_FIELDS) + 2
    return Completeness(percent=round(100 * (total - len(missing)) / total), missing=missing)


def applicant_profile(*, user: User) -> Applicant | None:
    """The user's applicant row with its specialties, ready for the profile page and API."""
    return (
        Applicant.objects.filter(user=user, user__is_applicant=True)
        .select_related("user")
        .prefetch_related("specialties_of_interest")
        .first()
    )


# --- Documents --------------------------------------------------------------------------------

EXPIRING_SOON_DAYS = 30


def document_was_sent() -> Q:
    """Whether a document went with an application beyond draft, or is a visa denial's letter: its
    host or our staff keep seeing what was sent, so the document stays in the vault
    (applicants.services.document_delete)."""
    return Exists(Application.objects.filter(documents=OuterRef("pk")).exclude(status=S.DRAFT)) | Exists(
        VisaDenial.objects.filter(letter=OuterRef("pk"))
    )


def applicant_documents(*, applicant: Applicant) -> QuerySet[Document]:
    """The vault, each document with `can_delete`: only what the service would delete offers it."""
    return (
        Document.objects.filter(applicant=applicant)
        .annotate(can_delete=~document_was_sent())
        .order_by("kind", "-uploaded_at")
    )


@dataclass(frozen=True)
class VaultUsage:
    """How full an applicant's vault is, against the limits in settings."""

    files: int
    bytes: int
    max_files: int
    max_bytes: int


def vault_usage(*, applicant: Applicant) -> VaultUsage:
    """The files and bytes in the applicant's vault, in one query."""
    used = Document.objects.filter(applicant=applicant).aggregate(
        files=Count("pk"), bytes=Coalesce(Sum("size_bytes"), 0)
    )
    return VaultUsage(
        files=used["files"],
        bytes=used["bytes"],
        max_files=settings.DOCUMENT_VAULT_MAX_FILES,
        max_bytes=settings.DOCUMENT_VAULT_MAX_BYTES,
    )


def documents_visible_to(user: User) -> QuerySet[Document]:
    """The documents `user` may open: their own, all for staff, and for a host member those an
    applicant sent with a (non-draft) application that the member sees on the host side: any of
    their organization's for owners and coordinators, only their own rotations' for a preceptor.
    Staff see every document only with the document permission (view_document_file, the
    placement coordinators') and once they use two-factor authentication (as in the admin)."""
    if not user.is_authenticated or not user.is_active:
        return Document.objects.none()
    if user.is_staff and user_has_totp(user=user) and user.has_perm("applicants.view_document_file"):
        return Document.objects.all()
    # The host side's own scope (OrganizationQuerySet.for_member), so both doors open the same files.
    sent_to_me = Application.objects.none()
    for membership in Membership.objects.filter(user=user):
        sent_to_me |= Application.objects.for_member(membership)
    return Document.objects.filter(
        Q(applicant__user=user)
        | Q(
            pk__in=Application.documents.through.objects.filter(
                application__in=sent_to_me.exclude(status=S.DRAFT),
                # Assignment is only ever to the owner's applications; say so here too.
                document__applicant=F("application__applicant"),
            ).values("document")
        )
    )


def document_expiring_soon(document: Document, today: date | None = None) -> bool:
    today = today or timezone.now().date()
    return document.expires_on is not None and document.expires_on <= today + timedelta(
        days=EXPIRING_SOON_DAYS
    )


def document_expired(document: Document, today: date | None = None) -> bool:
    today = today or timezone.now().date()
    return document.expires_on is not None and document.expires_on < today


def suggested_documents(*, block: Block, documents: list[Document]) -> list[Document]:
    """For each kind the rotation requires, the document most likely to pass: verified first,
    then not rejected, then valid through the block's last day, then the newest."""
    chosen = []
    for kind in block.rotation.required_document_kinds:
        candidates = [d for d in documents if d.kind == kind]
        if candidates:
            chosen.append(
                max(
                    candidates,
                    key=lambda d: (
                        d.verification_status == Document.VerificationStatus.VERIFIED,
                        d.verification_status != Document.VerificationStatus.REJECTED,
                        d.expires_on is None or d.expires_on >= block.end_date,
                        d.uploaded_at,
                    ),
                )
            )
    return chosen


# --- Applications -----------------------------------------------------------------------------


def applicant_applications(*, applicant: Applicant) -> QuerySet[Application]:
    """The applicant's applications with their block, rotation, host, timeline and documents."""
    return (
        Application.objects.filter(applicant=applicant)
        .with_waitlist_position()
        .with_hold()
        .select_related("block__rotation__organization", "block__rotation__specialty")
        .prefetch_related(
            Prefetch("transitions", queryset=ApplicationTransition.objects.order_by("created_at", "id")),
            Prefetch("documents", queryset=Document.objects.order_by("kind")),
            Prefetch(
                "block_changes",
                queryset=with_price_difference(
                    BlockChange.objects.select_related(
                        "from_block__rotation__organization", "to_block__rotation__organization"
                    )
                ),
            ),
        )
    )


def applicant_application(*, applicant: Applicant, pk: int) -> Application | None:
    """One application with what its page and API answer show beyond the list's: the host's thread,
    and for a booking its advisor, the preceptor and the first-day information (joined, no query)."""
    return (
        applicant_applications(applicant=applicant)
        .select_related("advisor", "block__rotation__preceptor", "block__rotation__first_day")
        .prefetch_related("messages__author")
        .filter(pk=pk)
        .first()
    )


def live_application_for_block(*, applicant: Applicant, block: Block) -> Application | None:
    return (
        Application.objects.filter(applicant=applicant, block=block)
        .live()
        .prefetch_related("documents")
        .first()
    )


# --- Bookings: the first day and the advisor ---------------------------------------------------


@dataclass(frozen=True)
class BookingFirstDay:
    """What a booked applicant reads about day one: the rotation's first-day information as its host
    keeps it now (empty texts before they write any), its preceptor and the site."""

    arrival_time: time | None
    where_to_go: str
    ask_for: str
    dress_code: str
    what_to_bring: str
    updated_at: datetime | None
    is_written: bool  # whether the host wrote any of it
    preceptor: Preceptor | None
    site: Organization


def booking_first_day(application: Application) -> BookingFirstDay | None:
    """The first day of a booking, from its confirmation on; None before (an applicant who has not
    booked reads none of it). Live, not agreed: the host's latest version."""
    if application.status not in Application.BOOKED:
        return None
    rotation = application.block.rotation
    first_day = first_day_of(rotation) or FirstDayInformation(rotation=rotation)
    return BookingFirstDay(
        **{name: getattr(first_day, name) for name in FirstDayInformation.FIELDS},
        updated_at=first_day.updated_at,
        is_written=not first_day.is_empty,
        preceptor=rotation.preceptor,
        site=rotation.organization,
    )


@dataclass(frozen=True)
class BookingAdvisor:
    name: str
    email: str


def advisor_thread(application: Application) -> list[AdvisorMessage]:
    """The messages between the applicant and their advisor, oldest first (read by the booking's
    page only, so the other readers of an application pay no query for it)."""
    return list(application.advisor_messages.select_related("author"))


def booking_advisor(application: Application) -> BookingAdvisor | None:
    """The booking's advisor as the applicant reads them; None before one is assigned or once the
    application is no longer a booking."""
    if application.status not in Application.BOOKED or application.advisor_id is None:
        return None
    return BookingAdvisor(name=application.advisor.get_full_name(), email=application.advisor.email)


# An application that ended without a rotation has nothing left to discuss on its thread.
THREAD_CLOSED = frozenset({S.REJECTED, S.WITHDRAWN, S.DECLINED, S.EXPIRED, S.CANCELLED})


def thread_is_open(application: Application) -> bool:
    """Whether the application's thread takes messages: submitted (hosts never see drafts), not ended."""
    return application.status != S.DRAFT and application.status not in THREAD_CLOSED


NEXT_STEPS = {
    S.DRAFT: "Finish your application and submit it.",
    S.SUBMITTED: "The host can already review your application.",
    S.UNDER_REVIEW: "The host is reviewing your application.",
    S.WAITLISTED: "You are on the waitlist; you will hear from us if a seat frees up.",
    S.OFFERED: "You have an offer: accept or decline it before the deadline.",
    S.AWAITING_PAYMENT: "Pay the deposit before the deadline to confirm your seat.",
    S.CONFIRMED: "Your seat is booked. Prepare for your start date.",
    S.IN_PROGRESS: "Your rotation is under way.",
    S.COMPLETED: "Rotation completed.",
    S.REJECTED: "The host did not accept this application.",
    S.WITHDRAWN: "You withdrew this application.",
    S.DECLINED: "You declined this offer.",
    S.EXPIRED: "This application expired: a deadline passed before the next step.",
    S.CANCELLED: "This booking was cancelled.",
    S.NO_SHOW: "The host recorded that you did not attend.",
    S.ENDED_EARLY: "This rotation ended early.",
}


def application_fee_note(application: Application) -> str:
    """How a due application fee gets paid: by card, from the application's page."""
    amount = format_cents(application.application_fee_cents, application.currency)
    return f"Pay the application fee ({amount}) on the application page."


def waitlist_fee_note(*, fee_cents: int, currency: str) -> str:
    """What joining a full block's waitlist costs: nothing until a seat is offered."""
    if not fee_cents:
        return "No fee until a seat is offered."
    amount = format_cents(fee_cents, currency)
    return f"No fee until a seat is offered: the application fee ({amount}) falls due then."


def draft_closed_reason(application: Application) -> str:
    """Why a draft can no longer be submitted (its block takes no applications), or ""."""
    if application.status != S.DRAFT:
        return ""
    return block_closed_reason(application.block, timezone.now().date())


def draft_can_continue(application: Application) -> bool:
    return application.status == S.DRAFT and not draft_closed_reason(application)


def application_next_step(application: Application) -> str:
    step = NEXT_STEPS[S(application.status)]
    closed = draft_closed_reason(application)
    if closed:
        return f"This draft can no longer be submitted: {closed}"
    fee_due = application.application_fee_status == Application.FeeStatus.DUE
    if application.status == S.SUBMITTED:
        if not fee_due:
            return NEXT_STEPS[S.UNDER_REVIEW]
        return f"{step} {application_fee_note(application)}"
    if application.status == S.WAITLISTED:
        position = getattr(application, "waitlist_position", None)
        if position:
            step = (
                f"You are #{position} on the waitlist, first come, first served; "
                "you will hear from us if a seat frees up."
            )
        if application.application_fee_status == Application.FeeStatus.NOT_DUE:
            note = waitlist_fee_note(
                fee_cents=application.application_fee_cents, currency=application.currency
            )
            step = f"{step} {note}"
        return step
    deadline = getattr(application, "hold_expires_at", None)
    if application.status in (S.OFFERED, S.AWAITING_PAYMENT) and deadline:
        verb = "Respond" if application.status == S.OFFERED else "Pay"
        step = f"{step} {verb} by {moment_label(timezone.localtime(deadline))} UTC."
        return f"{step} {application_fee_note(application)}" if fee_due else step
    if application.status == S.CONFIRMED and application.documents_due_at:
        step = (
            f"{step} Send your remaining documents by "
            f"{moment_label(timezone.localtime(application.documents_due_at))} UTC, or the host may cancel."
        )
    return step


@dataclass(frozen=True)
class RefundQuoteLine:
    """One payment's part of a refund."""

    payment_id: int
    purpose: str
    amount_cents: int

    @property
    def purpose_label(self) -> str:
        return str(Payment.Purpose(self.purpose).label)


@dataclass(frozen=True)
class RefundQuote:
    """What withdrawing or cancelling today gives back, shown before the applicant confirms."""

    application_fee_cents: int
    application_fee_paid_cents: int
    application_fee_refund_cents: int
    program_fee_cents: int
    program_fee_paid_cents: int
    refund_percent: int
    program_fee_refund_cents: int
    refund_total_cents: int
    currency: str
    refunds: list[RefundQuoteLine]
    schedule: list[RefundWindow]
    policy_label: str  # the cancellation policy agreed to


def refund_quote(*, application: Application, today: date | None = None) -> RefundQuote:
    """The refund of the applicant withdrawing an application or cancelling a booking on `today`,
    by the cancellation policy the applicant agreed to (applicants.terms), as the withdrawal and
    cancellation pages and the API's preview show it, from the payments that succeeded: the plan
    the cancellation then writes (payments.refunds.refund_plan), split across the payments newest
    first.

    The policy refunds the program fee paid (less what was refunded already); the application fee
    paid for the host's review and is not refunded.
    """
    terms = application_terms(application)
    plan = refund_plan(application=application, reason=Refund.Reason.CANCELLATION, today=today)
    return RefundQuote(
        application_fee_cents=terms.application_fee_cents,
        application_fee_paid_cents=plan.application_fee_held_cents,
        application_fee_refund_cents=plan.application_fee_refund_cents,
        program_fee_cents=terms.program_fee_cents,
        program_fee_paid_cents=plan.program_fee_held_cents,
        refund_percent=plan.refund_percent,
        program_fee_refund_cents=plan.program_fee_refund_cents,
        refund_total_cents=plan.total_cents,
        currency=application.currency,
        refunds=[
            RefundQuoteLine(
                payment_id=line.payment.pk, purpose=line.payment.purpose, amount_cents=line.amount_cents
            )
            for line in plan.lines
        ],
        schedule=terms.refund_schedule(application.block, today=today),
        policy_label=terms.cancellation_policy_label,
    )


def block_change_targets(*, application: Application) -> QuerySet[Block]:
    """The blocks a confirmed booking may ask to move to: the organization's other published blocks
    priced in the booking's currency that have not started and have a seat left
    (block_change_request decides, under its rules)."""
    return (
        Block.objects.filter(
            rotation__organization_id=application.block.rotation.organization_id,
            rotation__currency=application.currency,
            rotation__status=Rotation.Status.PUBLISHED,
            start_date__gt=timezone.now().date(),
            seats_taken__lt=F("capacity"),
        )
        .exclude(pk=application.block_id)
        .select_related("rotation")
        .order_by("start_date", "rotation__title", "pk")
    )


def block_for_apply(*, block_id: int) -> Block | None:
    """A block of a published rotation; draft and archived listings are not for applicants to see."""
    return (
        Block.objects.select_related("rotation__organization", "rotation__specialty", "rotation__preceptor")
        .filter(pk=block_id, rotation__status=Rotation.Status.PUBLISHED)
        .first()
    )


# --- Enrollment letters -----------------------------------------------------------------------

# The statuses in which a booking's enrollment letter stands: confirmed, under way, and completed (it
# took place as the letter said).
LETTER_STANDS = frozenset({S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED})
# What a letter prints of the profile and cannot be issued without (the citizenship is the passport
# country it names).
LETTER_PROFILE_FIELDS = ("legal_name", "citizenship")


def letter_profile_missing(applicant: Applicant) -> list[str]:
    """The labels of the profile answers an enrollment letter still needs; empty when it has them."""
    return [
        Applicant.PROFILE_FIELDS[field] for field in LETTER_PROFILE_FIELDS if not getattr(applicant, field)
    ]


def enrollment_letter_standing(application: Application) -> EnrollmentLetter | None:
    """The booking's letter that stands (confirmed, under way or completed), if one was issued."""
    return application.enrollment_letters.filter(standing=EnrollmentLetter.Standing.VALID).first()


def enrollment_letter_of(*, applicant: Applicant, pk: int) -> EnrollmentLetter | None:
    """The standing letter of one of the applicant's own bookings; None for anyone else's, for an
    application that is no booking, or a booking whose letter no longer stands."""
    return EnrollmentLetter.objects.filter(
        application__applicant=applicant, application_id=pk, standing=EnrollmentLetter.Standing.VALID
    ).first()


def issued_by_code(typed: str) -> VerifiedByCode | None:
    """The enrollment letter or certificate of completion a verification code names, typed in any
    case, with or without its dashes (applicants.services.letters.verification_code_new gives each
    code to one document of either kind)."""
    code = VerifiedByCode.code_normalized(typed)
    if len(code) != LETTER_CODE_LENGTH:
        return None
    return (
        EnrollmentLetter.objects.filter(code=code).first()
        or CompletionCertificate.objects.filter(code=code).first()
    )


# --- Evaluations and certificates of completion ---------------------------------------------------


def may_evaluate(*, user: User, application: Application) -> bool:
    """Whether `user` writes the evaluation of `application`'s rotation: our staff, an owner or
    coordinator of its host organization, or the member who is the rotation's preceptor."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    rotation = application.block.rotation
    writes = Q(role__in=[Membership.Role.OWNER, Membership.Role.COORDINATOR])
    if rotation.preceptor_id is not None:
        writes |= Q(role=Membership.Role.PRECEPTOR, preceptor_id=rotation.preceptor_id)
    return Membership.objects.for_org(rotation.organization_id).filter(writes, user=user).exists()


def evaluation_of(application: Application) -> Evaluation | None:
    """The booking's evaluation with its preceptor, once submitted."""
    return Evaluation.objects.select_related("preceptor").filter(application=application).first()


def certificate_standing(application: Application) -> CompletionCertificate | None:
    return CompletionCertificate.objects.filter(application=application).first()


def certificate_of(*, applicant: Applicant, pk: int) -> CompletionCertificate | None:
    """The certificate of one of the applicant's own bookings; None for anyone else's, or before
    its evaluation was submitted."""
    return CompletionCertificate.objects.filter(application__applicant=applicant, application_id=pk).first()


# --- Reminders --------------------------------------------------------------------------------


def reminders_with_application(reminders: QuerySet[Reminder]) -> QuerySet[Reminder]:
    """Annotate `application_id`: the application a reminder is about, itself or through its date
    change; None for one about anything else (a document, an organization). No extra query."""
    return reminders.annotate(
        application_id=Case(
            When(about_type=ContentType.objects.get_for_model(Application), then=F("about_id")),
            When(
                about_type=ContentType.objects.get_for_model(BlockChange),
                then=Subquery(
                    BlockChange.objects.filter(pk=OuterRef("about_id")).values("application_id")[:1]
                ),
            ),
            default=None,
            output_field=BigIntegerField(),
        )
    )


# --- Letters of recommendation ------------------------------------------------------------------------

# An applicant asks for a letter from the third week of a rotation under way (its 15th day), once the
# preceptor has seen them work, or after it is completed.
LETTER_FROM_DAY = 15


def letter_request_allowed(application: Application) -> str | None:
    """None when the applicant may request a letter for this booking now; otherwise why not, in words."""
    if application.status == S.COMPLETED:
        return None
    first_day = application.block.start_date + timedelta(days=LETTER_FROM_DAY - 1)
    if application.status in (S.CONFIRMED, S.IN_PROGRESS):
        if application.status == S.IN_PROGRESS and timezone.now().date() >= first_day:
            return None
        return (
            "You can ask for a letter of recommendation from the third week of your rotation, "
            f"from {day_label(first_day)}, or once it is completed."
        )
    return "Letters of recommendation can be requested only for a rotation you are doing or have completed."


def letter_default_waiver(applicant: Applicant) -> bool:
    """Whether the applicant's next letter request waives their right to see the letter: their
    latest recorded choice, and waived when they never made one (as most programs expect)."""
    latest = LetterWaiver.objects.filter(applicant=applicant).order_by("-recorded_at", "-id").first()
    return True if latest is None else latest.waived


def _letters_loaded(letters: QuerySet[LetterRequest]) -> QuerySet[LetterRequest]:
    return letters.select_related(
        "application__applicant__user",
        "application__block__rotation__organization",
        "preceptor",
        "specialty",
    )


def letters_of_applicant(applicant: Applicant) -> QuerySet[LetterRequest]:
    """The applicant's letter requests, newest first, with what their list shows."""
    return _letters_loaded(LetterRequest.objects.filter(application__applicant=applicant))


def letters_for_member(membership: Membership) -> QuerySet[LetterRequest]:
    """The letter requests a host member sees: their organization's, a preceptor's own only."""
    return _letters_loaded(LetterRequest.objects.for_member(membership))


def letters_with_receipt(letters: QuerySet[LetterRequest]) -> QuerySet[LetterRequest]:
    """`letters` as their lists show them, with `received_at`: when AMO first received the author's
    letter (a date, nothing of the file, so a waived letter's page may show it); None before."""
    first = LetterVersion.objects.filter(letter_request=OuterRef("pk")).order_by("number")
    return _letters_loaded(letters).annotate(received_at=Subquery(first.values("uploaded_at")[:1]))


def letter_version_for_applicant(letter: LetterRequest) -> LetterVersion | None:
    """The version of `letter` its applicant may download: the newest, only when they kept the
    right to see it. None for a waived letter, whatever it holds."""
    if letter.waived:
        return None
    return letter.versions.order_by("-number").first()


def letter_author_email_default(preceptor: Preceptor | None) -> str:
    """Where to email an author the applicant gave no address for: their AMO account's, or ""."""
    user = preceptor.user if preceptor is not None else None
    return user.email if user is not None else ""


def letter_author_preceptor_ids(user: User) -> frozenset[int]:
    """The preceptors `user` answers letters as (applicants.lor_workflow.actor_holds_role): the
    preceptor records of their account and of their preceptor memberships, in one query."""
    return frozenset(
        Preceptor.objects.filter(
            Q(user=user) | Q(memberships__user=user, memberships__role=Membership.Role.PRECEPTOR)
        ).values_list("pk", flat=True)
    )


# A rotation's page shows this many of its newest reviews; its track record counts them all.
REVIEWS_ON_A_PAGE = 20


def reviews_public(*, rotation_id: int, limit: int = REVIEWS_ON_A_PAGE) -> list[Review]:
    """A rotation's reviews as the public reads them: none our staff hid, newest first, each with its
    booking's block (its "Completed <month year>"). One query however many."""
    return list(
        Review.objects.visible()
        .filter(application__block__rotation_id=rotation_id)
        .select_related("application__block")
        .order_by("-created_at", "-pk")[:limit]
    )


def review_of(application: Application) -> Review | None:
    """The applicant's review of a booking, if they wrote one."""
    return Review.objects.filter(application=application).first()


# --- Staff: the placement list's CSV export ------------------------------------------------------

PLACEMENT_CSV_HEADER = [
    "Application",
    "Applicant",
    "Applicant email",
    "Rotation",
    "Organization",
    "Specialty",
    "Block start",
    "Block end",
    "State",
    "Fee paid",
    "Submitted (UTC)",
    "Advisor",
]
# Rows read from the database at a time: a long export never sits whole in memory.
PLACEMENT_CSV_CHUNK = 500


def placements_for_export(applications: QuerySet[Application]) -> QuerySet[Application]:
    """`applications` (the admin's filtered and searched list) with what each CSV row shows joined
    in, and the money paid (what succeeded payments took, less their refunds) computed in the same
    query: one query for any number of rows."""
    paid = (
        Payment.objects.filter(application=OuterRef("pk"), status=Payment.Status.SUCCEEDED)
        .order_by()
        .values("application")
        .annotate(net=Sum(F("amount_cents") - F("refunded_cents")))
        .values("net")
    )
    return applications.select_related(
        "applicant__user", "block__rotation__organization", "block__rotation__specialty", "advisor"
    ).annotate(paid_cents=Coalesce(Subquery(paid, output_field=BigIntegerField()), 0))


def placement_csv_rows(applications: QuerySet[Application]) -> Iterator[list[object]]:
    """One row per application under PLACEMENT_CSV_HEADER, read in chunks as the file is sent."""
    for application in placements_for_export(applications).iterator(chunk_size=PLACEMENT_CSV_CHUNK):
        block, rotation, advisor = application.block, application.block.rotation, application.advisor
        submitted = application.submitted_at
        yield [
            application.pk,
            str(application.applicant),
            application.applicant.user.email,
            rotation.title,
            rotation.organization.name,
            rotation.specialty.name,
            block.start_date.isoformat(),
            block.end_date.isoformat(),
            application.get_status_display(),
            format_cents(int(application.paid_cents), application.currency),
            f"{submitted.astimezone(UTC):%Y-%m-%d %H:%M}" if submitted else "",
            (advisor.get_full_name() or advisor.email) if advisor else "",
        ]


def placement_start_months() -> list[date]:
    """The first day of each month in which some application's block starts, earliest first."""
    return list(
        Application.objects.annotate(month=TruncMonth("block__start_date"))
        .order_by("month")
        .values_list("month", flat=True)
        .distinct()
    )


def placement_advisors() -> QuerySet[User]:
    """The staff members who advise at least one booking, by name."""
    return User.objects.filter(
        pk__in=Application.objects.filter(advisor__isnull=False).values("advisor_id")
    ).order_by("full_name", "email")
