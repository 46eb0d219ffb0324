"""factory-boy factories for every app's models. Tests build their data here, never from JSON."""

import hashlib
from datetime import date, timedelta

import factory
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.text import slugify

from amo.models import User
from applicants.models import Applicant, Application, BlockChange, Document, LetterRequest, Review
from applicants.services import bookings_advance
from applicants.services.reviews import review_submit
from applicants.terms import terms_offered
from hosts.models import Invitation, Membership, Organization, Preceptor
from hosts.npi import npi_with_check_digit
from rotations.models import Block, DocumentKind, Rotation, SeatHold, Specialty
from rotations.services import seat_release, seat_take

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Specialty {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Lakeside Medical Center {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = Organization.Kind.HOSPITAL
    address_line = "100 Main Street"
    city = "Chicago"
    state = "IL"
    zip_code = "60601"
    is_verified = True


class PreceptorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Preceptor

    organization = factory.SubFactory(OrganizationFactory)
    full_name = factory.Faker("name")
    credentials = Preceptor.Credentials.MD
    board_certification = "American Board of Internal Medicine"
    specialty = factory.SubFactory(SpecialtyFactory)
    npi_number = factory.Sequence(lambda n: npi_with_check_digit(f"{100000000 + n}"))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory, is_host_member=True)
    role = Membership.Role.COORDINATOR


class RotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rotation

    organization = factory.SubFactory(OrganizationFactory)
    preceptor = factory.SubFactory(PreceptorFactory, organization=factory.SelfAttribute("..organization"))
    specialty = factory.SubFactory(SpecialtyFactory)
    title = factory.Sequence(lambda n: f"Internal Medicine Externship {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    rotation_type = Rotation.Type.HANDS_ON
    setting = Rotation.Setting.INPATIENT
    description = "Four weeks on the inpatient medicine service with daily rounds."
    application_fee_cents = 10_000
    program_fee_cents = 250_000
    deposit_cents = 50_000
    status = Rotation.Status.PUBLISHED


class BlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Block

    rotation = factory.SubFactory(RotationFactory)
    start_date = factory.LazyFunction(lambda: date.today() + timedelta(days=90))
    weeks = 4
    capacity = 3
    apply_by = factory.LazyAttribute(lambda o: o.start_date - timedelta(days=30))


class ApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Applicant

    user = factory.SubFactory(UserFactory, is_applicant=True)
    legal_name = factory.Faker("name")
    citizenship = "NG"
    country_of_residence = "NG"
    medical_school_name = "University of Lagos College of Medicine"
    medical_school_country = "NG"
    training_status = Applicant.TrainingStatus.GRADUATE
    graduation_year = 2024
    step1_result = Applicant.Step1Result.PASS
    visa_status = "b1_b2"


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application
        skip_postgeneration_save = True

    applicant = factory.SubFactory(ApplicantFactory)
    block = factory.SubFactory(BlockFactory)
    status = Application.Status.DRAFT
    personal_statement = "I want U.S. clinical experience in internal medicine."
    # Made in a status past the draft, it was sent: it agreed to its rotation's terms then.
    terms_agreed_at = factory.LazyAttribute(
        lambda o: None if o.status == Application.Status.DRAFT else timezone.now()
    )
    currency = factory.LazyAttribute(lambda o: o.agreed["currency"])
    application_fee_cents = factory.LazyAttribute(lambda o: o.agreed["application_fee_cents"])
    program_fee_cents = factory.LazyAttribute(lambda o: o.agreed["program_fee_cents"])
    deposit_cents = factory.LazyAttribute(lambda o: o.agreed["deposit_cents"])
    balance_due_days_before_start = factory.LazyAttribute(lambda o: o.agreed["balance_due_days_before_start"])
    cancellation_policy = factory.LazyAttribute(lambda o: o.agreed["cancellation_policy"])
    refund_tiers = factory.LazyAttribute(lambda o: o.agreed["refund_tiers"])

    class Params:
        agreed = factory.LazyAttribute(lambda o: terms_offered(o.block.rotation).fields())

    waitlisted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Application.Status.WAITLISTED else None
    )

    @factory.post_generation
    def seat(application, create, deadline, **kwargs):
        """An application made in a status that holds a seat gets the real hold, through the seat
        service: a booking for a confirmed or running one, otherwise an offer's (or, awaiting
        payment, a checkout's) hold until `seat=<deadline>` (default 7 days ahead). `seat=False`
        makes none, for a test that needs the hold gone."""
        if not create or deadline is False or application.status not in Application.SEATED:
            return
        S = Application.Status
        if application.status in (S.CONFIRMED, S.IN_PROGRESS):
            kind, deadline = SeatHold.Kind.BOOKING, None
        else:
            kind = SeatHold.Kind.OFFER if application.status == S.OFFERED else SeatHold.Kind.CHECKOUT
            deadline = deadline or timezone.now() + timedelta(days=7)
        seat_take(
            block_id=application.block_id, application_id=application.pk, kind=kind, expires_at=deadline
        )


def take_seat(block: Block, *, status: str = Application.Status.CONFIRMED, **fields) -> Application:
    """Another applicant's application holding one seat of `block` (a booking by default)."""
    return ApplicationFactory(block=block, status=status, submitted_at=timezone.now(), **fields)


def free_seat(block: Block) -> Application:
    """Give back the seat of one booking made by take_seat, as its cancellation would."""
    application = Application.objects.filter(block=block, status=Application.Status.CONFIRMED).latest("pk")
    seat_release(application_id=application.pk, reason=SeatHold.ReleaseReason.CANCELLED)
    Application.objects.filter(pk=application.pk).update(status=Application.Status.CANCELLED)
    return application


def completed_booking(
    rotation: Rotation | None = None, *, start_date: date | None = None, weeks: int = 4, **fields
) -> Application:
    """A booking on a block that ended (last week by default, or one starting on `start_date`),
    started and completed by the hourly advance (applicants.services.bookings_advance), as the real
    booking would be. `rotation` (or block__rotation__... fields) is the block's rotation; other
    `fields` go to the booking's factory (applicant__...); a `block` given is used as it is."""
    if "block" not in fields:
        start = start_date or date.today() - timedelta(weeks=weeks, days=7)
        fields.update(block__start_date=start, block__apply_by=start - timedelta(days=7), block__weeks=weeks)
        if rotation is not None:
            fields["block__rotation"] = rotation
    booking = ApplicationFactory(status=Application.Status.CONFIRMED, submitted_at=timezone.now(), **fields)
    bookings_advance()
    booking.refresh_from_db()
    assert booking.status == Application.Status.COMPLETED, booking.status
    return booking


# --- Applicants: documents and verified email addresses ----------------------------------------

# The smallest file the vault accepts as a PDF: the %PDF- header and the %%EOF trailer.
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


class BlockChangeFactory(factory.django.DjangoModelFactory):
    """A date change asked for with the services' quote: its target rotation's terms as they stand."""

    class Meta:
        model = BlockChange

    from_block = factory.LazyAttribute(lambda o: o.application.block)
    quoted_terms = factory.LazyAttribute(lambda o: terms_offered(o.to_block.rotation).fields())


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    applicant = factory.SubFactory(ApplicantFactory)
    kind = DocumentKind.CV
    file = factory.django.FileField(filename="cv.pdf", data=PDF_BYTES)
    original_filename = "cv.pdf"
    content_type = "application/pdf"
    size_bytes = len(PDF_BYTES)
    sha256 = hashlib.sha256(PDF_BYTES).hexdigest()
    verification_status = Document.VerificationStatus.VERIFIED


class EmailAddressFactory(factory.django.DjangoModelFactory):
    """allauth's record that the user's email address was verified."""

    class Meta:
        model = EmailAddress

    user = factory.SubFactory(UserFactory)
    email = factory.SelfAttribute("user.email")
    verified = True
    primary = True


# --- Hosts: invitations, members with two-factor authentication -------------------------------------


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Membership.Role.COORDINATOR
    invited_by = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


def totp_activate(user: User) -> str:
    """Give `user` a TOTP authenticator (as allauth's setup page would); returns its secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


class StaffFactory(UserFactory):
    """A staff member (superuser) who has set up two-factor authentication, as staff must."""

    class Meta:
        skip_postgeneration_save = True

    is_staff = True
    is_superuser = True

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        if create and extracted is not False:
            totp_activate(self)


class OwnerFactory(MembershipFactory):
    """An owner who has set up two-factor authentication, as owners must."""

    class Meta:
        skip_postgeneration_save = True

    role = Membership.Role.OWNER

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        if create and extracted is not False:
            totp_activate(self.user)


# --- Catalog (rotations, search) ---------------------------------------------------------------


def catalog_rotation(*, blocks: list[dict] | None = None, **fields) -> Rotation:
    """A published rotation with blocks; each dict overrides BlockFactory's fields, `days_ahead`
    sets the start date that many days from today (the last day to apply stays 30 days before), and
    `seats_taken` books that many seats through the seat service (other applicants' bookings)."""
    rotation = RotationFactory(**fields)
    for spec in [{}] if blocks is None else blocks:
        spec = dict(spec)
        if "days_ahead" in spec:
            spec["start_date"] = date.today() + timedelta(days=spec.pop("days_ahead"))
        booked = spec.pop("seats_taken", 0)
        block = BlockFactory(rotation=rotation, **spec)
        for _ in range(booked):
            take_seat(block)
    return rotation


# --- Letters of recommendation ---------------------------------------------------------------------


def request_form_upload(data: bytes = PDF_BYTES, name: str = "letter-request-form.pdf") -> SimpleUploadedFile:
    """A Letter Request Form as the applicant's browser sends it."""
    return SimpleUploadedFile(name, data, content_type="application/pdf")


_letter_ids = iter(range(10_000, 100_000))


def letter_request(application: Application | None = None, **fields) -> LetterRequest:
    """A letter request made through the service by the applicant of a completed booking (or of
    `application`), to the rotation's preceptor, due in 25 days; `fields` override the service's
    arguments."""
    from applicants.services import letter_request_make

    application = application or completed_booking()
    arguments = {
        "application": application,
        "actor": application.applicant.user,
        "preceptor": None,
        "author_name": "Dr. Jane Smith",
        "author_title": "Associate Professor of Medicine",
        "author_email": "jane.smith@hospital.test",
        "eras_letter_id": f"LOR-{next(_letter_ids)}",
        "specialty": None,
        "due_on": date.today() + timedelta(days=25),
        "request_form": request_form_upload(),
        "waived": None,
        **fields,
    }
    return letter_request_make(**arguments)


# --- Reviews ---------------------------------------------------------------------------------------

# The block of a completed booking: four weeks from Monday January 6, 2025, so ended in February.
COMPLETED_BLOCK_START = date(2025, 1, 6)


def review_written(application: Application, *ratings: int, text: str = "Great teaching.") -> Review:
    """The applicant's review of their completed booking, through the service: four ratings (all
    four the same when one is given) and the words."""
    teaching, hands_on, organization, value = ratings * 4 if len(ratings) == 1 else ratings
    return review_submit(
        application=application,
        actor=application.applicant.user,
        teaching_rating=teaching,
        hands_on_rating=hands_on,
        organization_rating=organization,
        value_rating=value,
        text=text,
    )
