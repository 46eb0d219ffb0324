"""`manage.py seed_demo`: the demo catalog, idempotent; `seed_bench` bulk data, cleanly removable."""

import ast
import re
from datetime import timedelta
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from amo.models import Notification, Reminder, User
from applicants.models import (
    Applicant,
    Application,
    ApplicationTransition,
    CompletionCertificate,
    Document,
    EnrollmentLetter,
    Evaluation,
    Review,
)
from applicants.readiness import is_ready, readiness_checklist
from applicants.selectors import profile_completeness
from hosts.models import Membership, Organization, OrganizationVerification, Preceptor, PreceptorCheck
from hosts.npi import npi_is_valid
from hosts.track_records import organization_track_record, rotation_track_record
from rotations.models import Block, FirstDayInformation, Rotation, SeatHold, Specialty
from rotations.selectors import blocks_out_of_step, rotation_catalog
from seeding.accounts import DEMO_LOGINS
from seeding.bench_catalog import scale_catalog_remove, seed_scale_catalog
from seeding.bookings import BOOKED_APPLICANTS
from seeding.catalog import DEMO_ORGANIZATION_SLUG, npi_number
from seeding.completion import demo_completed_booking
from seeding.reviews import ANSWERED, REVIEWERS, REVIEWS

pytestmark = pytest.mark.django_db

DEMO_APPLICANT = "applicant@demo.amo.test"


def test_seed_demo_builds_a_realistic_catalog_and_a_second_run_changes_nothing():
    call_command("seed_demo", stdout=StringIO())
    counts = (
        Specialty.objects.count(),
        Organization.objects.count(),
        Rotation.objects.count(),
        Block.objects.count(),
    )
    # The catalog's 900, the two of the demo applicant's bookings (seeding.trip) and her completed
    # rotation's (seeding.completion).
    assert counts[0] >= 40 and counts[1] == 120 and counts[2] == 903
    assert Organization.objects.values("state").distinct().count() >= 35
    # What the product promises a newcomer; unverified organizations hold drafts only.
    assert Rotation.objects.published().count() >= 700
    assert Rotation.objects.published().values("specialty").distinct().count() >= 40
    assert Rotation.objects.exclude(status=Rotation.Status.PUBLISHED).exists()
    assert Rotation.objects.values("rotation_type").distinct().count() == 4
    assert Rotation.objects.values("program_fee_cents").distinct().count() > 30
    assert all(npi_is_valid(npi) for npi in Preceptor.objects.values_list("npi_number", flat=True))
    # Every verified demo organization says how staff verified it, each of its preceptors checked.
    verified = Organization.objects.filter(is_verified=True)
    assert set(OrganizationVerification.objects.values_list("organization", flat=True)) == set(
        verified.values_list("pk", flat=True)
    )
    assert PreceptorCheck.objects.count() == Preceptor.objects.filter(organization__in=verified).count()
    full = [block for block in Block.objects.all() if block.seats_left == 0]
    assert full
    coordinator = User.objects.get(email="coordinator@demo.amo.test")
    membership = Membership.objects.get(user=coordinator)
    assert membership.role == Membership.Role.COORDINATOR
    assert membership.organization.slug == DEMO_ORGANIZATION_SLUG
    assert membership.organization.rotations.count() >= 5
    amina = Applicant.objects.get(user__email="applicant@demo.amo.test")
    assert amina.legal_name == "Amina Okafor"
    assert set(amina.documents.values_list("verification_status", flat=True)) == {"verified"}
    assert amina.documents.count() == 8
    queue = Application.objects.for_org(membership.organization)
    assert queue.filter(status=Application.Status.SUBMITTED).count() == 4
    assert queue.filter(status=Application.Status.OFFERED).count() == 1  # the demo applicant's offer
    # Submissions, the offer, and the demo applicant's booking (applied, offered, accepted), her
    # rotation under way (booked at once, started) and her completed one (booked, started, completed);
    # and each reviewer's completed booking (applied, offered, accepted, paid, started, completed).
    reviewed = sum(map(len, REVIEWS))
    assert (
        ApplicationTransition.objects.filter(application__in=queue).count()
        == 4 + 2 + 3 + 2 + 3 + 6 * reviewed
    )

    def everything_else():
        return (
            Document.objects.count(),
            Application.objects.count(),
            ApplicationTransition.objects.count(),
            Notification.objects.count(),
            SeatHold.objects.count(),
            User.objects.count(),
            Reminder.objects.count(),
            EnrollmentLetter.objects.count(),
            FirstDayInformation.objects.count(),
            Preceptor.objects.count(),
            list(Preceptor.objects.order_by("pk").values_list("pk", "user_id")),
            Membership.objects.count(),
            Evaluation.objects.count(),
            CompletionCertificate.objects.count(),
            OrganizationVerification.objects.count(),
        )

    before = everything_else()

    out = StringIO()
    call_command("seed_demo", stdout=out)
    created = ast.literal_eval(re.search(r"created now: (\{.*?\})", out.getvalue()).group(1))
    assert created.keys() >= {"specialties", "organizations", "rotations", "blocks"}
    assert set(created.values()) == {0}
    assert (
        Specialty.objects.count(),
        Organization.objects.count(),
        Rotation.objects.count(),
        Block.objects.count(),
    ) == counts
    assert everything_else() == before
    assert blocks_out_of_step() == []


def test_every_seat_the_demo_counts_as_taken_is_a_booking_of_its_own_applicant():
    call_command("seed_demo", stdout=StringIO())
    assert blocks_out_of_step() == []
    taken = sum(Block.objects.values_list("seats_taken", flat=True))
    bookings = SeatHold.objects.unreleased().filter(kind=SeatHold.Kind.BOOKING)
    assert taken > 1000 and bookings.count() == taken - 1  # and the demo applicant's offer
    # The demo applicant's own bookings are the next tests'; these are the placeholders'.
    # The reviewers' completed bookings keep their holds too (seeding.reviews).
    confirmed = Application.objects.filter(pk__in=bookings.values("application")).exclude(
        applicant__user__email__in=["applicant@demo.amo.test", *(email for email, *_ in REVIEWERS)]
    )
    assert set(confirmed.values_list("status", flat=True)) == {Application.Status.CONFIRMED}
    placeholders = User.objects.filter(email__startswith="booked-", email__endswith="@demo.amo.test")
    assert placeholders.count() == BOOKED_APPLICANTS
    assert not any(user.has_usable_password() for user in placeholders)  # nobody signs in as them
    assert confirmed.values("applicant").distinct().count() == BOOKED_APPLICANTS
    # Nobody holds two seats of one block.
    assert confirmed.values("block", "applicant").distinct().count() == confirmed.count()


def test_the_demo_applicant_has_an_open_offer_to_accept_with_a_real_hold():
    call_command("seed_demo", stdout=StringIO())
    demo = Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG)
    # Her one application there that is not a booking (seeding.trip makes those).
    offer = (
        Application.objects.for_org(demo)
        .with_hold()
        .exclude(status__in=Application.BOOKED)
        .get(applicant__user__email=DEMO_APPLICANT)
    )
    assert (offer.status, offer.hold_kind) == (Application.Status.OFFERED, SeatHold.Kind.OFFER)
    assert offer.hold_expires_at > timezone.now() + timedelta(days=6)
    assert Notification.objects.filter(recipient=offer.applicant.user, key__contains=":offered:").exists()
    assert Block.objects.get(pk=offer.block_id).seats_taken == 1


def demo_bookings() -> dict[str, Application]:
    """The demo applicant's bookings with the demo organization, by status."""
    bookings = Application.objects.filter(
        applicant__user__email=DEMO_APPLICANT, status__in=Application.BOOKED
    ).select_related("block__rotation__first_day", "advisor", "applicant__user")
    return {booking.status: booking for booking in bookings}


def path_taken(application: Application) -> list[tuple[str, str, str, str]]:
    """Each transition of `application`: from, to, the actor's role and their email ("" for the system)."""
    return [
        (t.from_status, t.to_status, t.actor_role, t.actor.email if t.actor else "")
        for t in application.transitions.select_related("actor").order_by("created_at", "id")
    ]


def test_the_demo_applicant_has_a_booking_confirmed_through_an_offer_starting_within_two_weeks(client):
    call_command("seed_demo", stdout=StringIO())
    booking = demo_bookings()[Application.Status.CONFIRMED]
    today = timezone.localdate()
    assert today + timedelta(days=8) <= booking.block.start_date <= today + timedelta(days=14)
    # Applied by her, offered by the demo coordinator, accepted by her: the services' own path.
    assert path_taken(booking) == [
        ("draft", "submitted", "applicant", DEMO_APPLICANT),
        ("submitted", "offered", "host", "coordinator@demo.amo.test"),
        ("offered", "confirmed", "applicant", DEMO_APPLICANT),
    ]
    assert booking.advisor.email == "staff@demo.amo.test"
    assert not booking.block.rotation.first_day.is_empty
    # The reminders to come: the rotation's 7 and 1 days ahead, and the balance's week ahead.
    planned = Reminder.objects.filter(
        recipient=booking.applicant.user, sent_at__isnull=True, cancelled_at__isnull=True
    )
    keys = {key.split(f":application:{booking.pk}:")[-1] for key in planned.values_list("key", flat=True)}
    block = f"block:{booking.block_id}"
    assert {f"{block}:7d", f"{block}:1d", f"charge:{booking.block.start_date.isoformat()}"} <= keys
    assert planned.filter(due_at__lte=timezone.now()).count() == 0

    letter = EnrollmentLetter.objects.get(application=booking, standing=EnrollmentLetter.Standing.VALID)
    client.force_login(booking.applicant.user)
    download = client.get(reverse("applicants:application_enrollment_letter", args=[booking.pk]))
    assert download["Content-Type"] == "application/pdf"
    words = PdfReader(BytesIO(download.content)).pages[0].extract_text()
    assert "Amina Okafor" in words and letter.code_display in words
    assert "genuine and valid" in client.get(letter.get_absolute_url()).content.decode()


def test_the_demo_applicant_has_a_rotation_under_way_booked_at_once_and_started_by_the_advance():
    call_command("seed_demo", stdout=StringIO())
    bookings = demo_bookings()
    under_way = bookings[Application.Status.IN_PROGRESS]
    assert under_way.block.start_date <= timezone.localdate() < under_way.block.end_date
    assert path_taken(under_way) == [
        ("draft", "confirmed", "applicant", DEMO_APPLICANT),
        ("confirmed", "in_progress", "system", ""),
    ]
    assert under_way.advisor.email == "staff@demo.amo.test"
    assert EnrollmentLetter.objects.filter(application=under_way, standing="valid").exists()
    assert sorted(bookings) == ["completed", "confirmed", "in_progress"]
    # Every rotation of the demo organization tells its bookings about the first day.
    demo = Rotation.objects.filter(organization__slug=DEMO_ORGANIZATION_SLUG)
    assert demo.count() >= 8
    assert not demo.filter(first_day__isnull=True).exists()


def test_the_demo_applicant_has_a_completed_rotation_evaluated_by_the_demo_preceptor_who_logs_in(client):
    call_command("seed_demo", stdout=StringIO())
    booking = demo_completed_booking()
    assert booking == demo_bookings()[Application.Status.COMPLETED]
    assert booking.block.end_date < timezone.localdate()
    assert path_taken(booking) == [
        ("draft", "confirmed", "applicant", DEMO_APPLICANT),
        ("confirmed", "in_progress", "system", ""),
        ("in_progress", "completed", "system", ""),
    ]
    # The rotation's preceptor has a login of their own, a preceptor member of the organization.
    preceptor = booking.block.rotation.preceptor
    email, password = DEMO_LOGINS["host preceptor"]
    assert preceptor.user.email == email
    membership = Membership.objects.get(user=preceptor.user)
    assert (membership.role, membership.preceptor, membership.organization.slug) == (
        Membership.Role.PRECEPTOR,
        preceptor,
        DEMO_ORGANIZATION_SLUG,
    )
    assert client.login(email=email, password=password)
    page = client.get(reverse("hosts:application_evaluation", args=[booking.pk]))
    assert page.status_code == 200 and 'id="evaluation-fixed"' in page.content.decode()
    # Submitted by them, with the certificate it issued.
    evaluation = Evaluation.objects.get(application=booking)
    assert (evaluation.submitted_by, evaluation.preceptor) == (preceptor.user, preceptor)
    certificate = CompletionCertificate.objects.get(application=booking)
    assert (certificate.applicant_name, certificate.hours_completed) == (
        "Amina Okafor",
        evaluation.hours_completed,
    )
    client.force_login(booking.applicant.user)
    pdf = client.get(reverse("applicants:application_certificate", args=[booking.pk]))
    assert certificate.code_display in " ".join(
        p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages
    )
    # A second run makes nothing new (the first test of this module checks every table).
    call_command("seed_demo", stdout=StringIO())
    assert demo_completed_booking() == booking
    assert Evaluation.objects.filter(application=booking).count() == 1


def test_only_verified_organizations_publish_in_the_demo_catalog():
    call_command("seed_demo", stdout=StringIO())
    unverified = Organization.objects.filter(is_verified=False)
    assert unverified.exists()  # organizations still waiting for staff, with their drafts
    assert Rotation.objects.filter(organization__in=unverified).exists()
    assert not Rotation.objects.published().filter(organization__in=unverified).exists()
    assert Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG).is_verified


def test_the_demo_organizations_seats_are_taken_only_by_its_roster_of_one_offer_and_three_bookings():
    call_command("seed_demo", stdout=StringIO())
    demo = Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG)
    blocks = Block.objects.for_org(demo)
    assert blocks.count() >= 5
    # Its demo applications are submitted, but for the demo applicant's offer and her three bookings
    # (the completed one keeps its seat, as every booking that took place does): four seats taken;
    # and the reviewers' completed bookings on past blocks, which keep theirs.
    reviewed = sum(map(len, REVIEWS))
    statuses = sorted(Application.objects.for_org(demo).values_list("status", flat=True))
    assert (
        statuses
        == ["completed"] * (reviewed + 1) + ["confirmed", "in_progress", "offered"] + ["submitted"] * 4
    )
    assert sum(blocks.values_list("seats_taken", flat=True)) == 4 + reviewed
    assert blocks_out_of_step() == []


def test_the_readme_typo_example_finds_the_demo_organizations_cardiology_in_chicago():
    call_command("seed_demo", stdout=StringIO())
    found = rotation_catalog(q="cardiolgy chicgo").select_related("organization", "specialty")
    assert {(r.specialty.name, r.organization.city) for r in found} == {("Cardiology", "Chicago")}
    assert DEMO_ORGANIZATION_SLUG in {r.organization.slug for r in found}


def test_the_first_catalog_page_of_the_demo_says_700_plus_rotations(client):
    call_command("seed_demo", stdout=StringIO())
    page = client.get("/rotations/").content.decode()
    # The exact count below the cap a count stops at ("1,000+ rotations" beyond it).
    shown = re.search(r">\s*(\d[\d,]*)(\+?) rotations\s*<", page)
    assert shown, "the first page says how many rotations there are"
    count = int(shown.group(1).replace(",", ""))
    assert count >= 700
    assert shown.group(2) or count == rotation_catalog().count()


def test_npi_numbers_carry_a_valid_check_digit():
    import random

    rng = random.Random(1)
    assert all(npi_is_valid(npi_number(rng)) for _ in range(50))


def test_scale_seed_inserts_published_rotations_with_four_blocks_each_and_removes_only_them():
    call_command("seed_demo", stdout=StringIO())
    before = Rotation.objects.count()
    progress = StringIO()
    seed_scale_catalog(300, batch=120, stream=progress)  # 6 organizations, enough for an unverified draw
    assert Rotation.objects.count() == before + 300
    bench = Rotation.objects.filter(slug__startswith="bench-")
    assert bench.count() == 300 and set(bench.values_list("status", flat=True)) == {"published"}
    assert not bench.filter(organization__is_verified=False).exists()  # only verified organizations publish
    assert Block.objects.filter(rotation__in=bench).count() == 1200
    # No booking behind them, so no seat taken: the cache stays equal to the holds.
    assert set(Block.objects.filter(rotation__in=bench).values_list("seats_taken", flat=True)) == {0}
    assert blocks_out_of_step() == []
    assert "300/300" in progress.getvalue()
    scale_catalog_remove()
    assert Rotation.objects.count() == before
    assert not Organization.objects.filter(slug__startswith="bench-").exists()


def test_seed_demo_leaves_every_demo_applicant_with_a_complete_profile_ready_to_apply():
    call_command("seed_demo", stdout=StringIO())
    # Sign-up copies the account's name into the legal name: the seed must still fill the rest.
    applicants = (
        Applicant.objects.filter(user__email__endswith="@demo.amo.test")
        .exclude(user__email__startswith="booked-")  # placeholders behind the catalog's taken seats
        .prefetch_related("documents", "specialties_of_interest")
    )
    assert applicants.count() == 5 + len(REVIEWERS)
    assert {profile_completeness(applicant=applicant).percent for applicant in applicants} == {100}

    amina = applicants.get(user__email="applicant@demo.amo.test")
    documents = list(amina.documents.all())
    blocks = Block.objects.filter(rotation__status=Rotation.Status.PUBLISHED).select_related("rotation")
    ready = [
        block
        for block in blocks
        if is_ready(readiness_checklist(applicant=amina, block=block, documents=documents))
    ]
    assert len(ready) > 10, "the demo applicant can apply to the demo catalog"


def test_seed_demo_gives_two_demo_rotations_reviews_and_track_records_to_show():
    call_command("seed_demo", stdout=StringIO())
    demo = Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG)
    reviews = Review.objects.for_org(demo).visible()
    assert reviews.count() == sum(map(len, REVIEWS))
    assert set(reviews.values_list("application__status", flat=True)) == {Application.Status.COMPLETED}
    assert reviews.exclude(answer="").count() == len(ANSWERED)
    shown = [
        rotation
        for rotation in Rotation.objects.filter(pk__in=reviews.values("application__block__rotation"))
        if rotation_track_record(rotation).ratings.shown
    ]
    assert len(shown) == 2
    record = organization_track_record(demo)
    assert record.ratings.shown and record.response_rate.shown and record.decision_days.shown
    # Every booking happened in the past, as a booking does: its block ended before its review.
    assert all(review.application.block.end_date < review.created_at.date() for review in reviews)
    assert all(review.created_at < timezone.now() - timedelta(weeks=4) for review in reviews)
