"""`manage.py seed_demo`: the demo catalog, idempotent; `seed_bench` bulk data, cleanly removable."""

import ast
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from amo.models import Notification, User
from applicants.models import Applicant, Application, ApplicationTransition, Document
from applicants.readiness import is_ready, readiness_checklist
from applicants.selectors import profile_completeness
from hosts.models import Membership, Organization, Preceptor
from rotations.models import Block, Rotation, SeatHold, Specialty
from rotations.selectors import blocks_out_of_step, rotation_catalog
from seeding.bench_catalog import scale_catalog_remove, seed_scale_catalog
from seeding.bookings import BOOKED_APPLICANTS
from seeding.catalog import DEMO_ORGANIZATION_SLUG, npi_number

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_realistic_catalog_and_a_second_run_changes_nothing():
    call_command("seed_demo", stdout=StringIO())
    counts = (
        Specialty.objects.count(),
        Organization.objects.count(),
        Rotation.objects.count(),
        Block.objects.count(),
    )
    assert counts[0] >= 40 and counts[1] == 120 and counts[2] == 900
    assert Organization.objects.values("state").distinct().count() >= 35
    # What the product promises a newcomer; unverified organizations hold drafts only.
    assert Rotation.objects.published().count() >= 700
    assert Rotation.objects.published().values("specialty").distinct().count() >= 40
    assert Rotation.objects.exclude(status=Rotation.Status.PUBLISHED).exists()
    assert Rotation.objects.values("rotation_type").distinct().count() == 4
    assert Rotation.objects.values("program_fee_cents").distinct().count() > 30
    assert all(re.fullmatch(r"\d{10}", npi) for npi in Preceptor.objects.values_list("npi_number", flat=True))
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
    assert ApplicationTransition.objects.filter(application__in=queue).count() == 4 + 2
    everything_else = (
        Document.objects.count(),
        Application.objects.count(),
        Notification.objects.count(),
        SeatHold.objects.count(),
        User.objects.count(),
    )

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
    assert (
        Document.objects.count(),
        Application.objects.count(),
        Notification.objects.count(),
        SeatHold.objects.count(),
        User.objects.count(),
    ) == everything_else
    assert blocks_out_of_step() == []


def test_every_seat_the_demo_counts_as_taken_is_a_booking_of_its_own_applicant():
    call_command("seed_demo", stdout=StringIO())
    assert blocks_out_of_step() == []
    taken = sum(Block.objects.values_list("seats_taken", flat=True))
    bookings = SeatHold.objects.unreleased().filter(kind=SeatHold.Kind.BOOKING)
    assert taken > 1000 and bookings.count() == taken - 1  # and the demo applicant's offer
    confirmed = Application.objects.filter(pk__in=bookings.values("application"))
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
    offer = (
        Application.objects.for_org(demo).with_hold().get(applicant__user__email="applicant@demo.amo.test")
    )
    assert (offer.status, offer.hold_kind) == (Application.Status.OFFERED, SeatHold.Kind.OFFER)
    assert offer.hold_expires_at > timezone.now() + timedelta(days=6)
    assert Notification.objects.filter(recipient=offer.applicant.user, key__contains=":offered:").exists()
    assert Block.objects.get(pk=offer.block_id).seats_taken == 1


def test_only_verified_organizations_publish_in_the_demo_catalog():
    call_command("seed_demo", stdout=StringIO())
    unverified = Organization.objects.filter(is_verified=False)
    assert unverified.exists()  # organizations still waiting for staff, with their drafts
    assert Rotation.objects.filter(organization__in=unverified).exists()
    assert not Rotation.objects.published().filter(organization__in=unverified).exists()
    assert Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG).is_verified


def test_the_demo_organizations_seats_are_taken_only_by_its_roster_which_holds_one_offer():
    call_command("seed_demo", stdout=StringIO())
    demo = Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG)
    blocks = Block.objects.for_org(demo)
    assert blocks.count() >= 5
    # Its demo applications are submitted, but for the demo applicant's offer: one seat taken.
    statuses = sorted(Application.objects.for_org(demo).values_list("status", flat=True))
    assert statuses == ["offered"] + ["submitted"] * 4
    assert sum(blocks.values_list("seats_taken", flat=True)) == 1
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

    def luhn_ok(npi: str) -> bool:
        digits = [int(d) for d in "80840" + npi]
        total = sum(
            d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits))
        )
        return total % 10 == 0

    assert luhn_ok("1234567893")  # the example of a valid NPI in the CMS documentation
    assert not luhn_ok("1234567890")
    assert all(luhn_ok(npi_number(rng)) for _ in range(50))


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
    assert applicants.count() == 5
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
