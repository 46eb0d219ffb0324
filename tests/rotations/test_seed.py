"""`manage.py seed_demo`: the demo catalog, idempotent; `seed_bench` bulk data, cleanly removable."""

import ast
import re
from io import StringIO

import pytest
from django.core.management import call_command

from amo.models import Notification, User
from applicants.models import Applicant, Application, ApplicationTransition, Document
from applicants.readiness import is_ready, readiness_checklist
from applicants.selectors import profile_completeness
from hosts.models import Membership, Organization, Preceptor
from rotations.models import Block, Rotation, Specialty
from rotations.selectors import rotation_catalog
from seeding.bench_catalog import scale_catalog_remove, seed_scale_catalog
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
    assert counts[0] >= 30 and counts[1] == 120 and counts[2] == 750
    assert Organization.objects.values("state").distinct().count() >= 35
    assert Rotation.objects.published().count() > 600  # unverified organizations hold drafts only
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
    assert ApplicationTransition.objects.filter(application__in=queue).count() == 4
    everything_else = (Document.objects.count(), Application.objects.count(), Notification.objects.count())

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
    assert (Document.objects.count(), Application.objects.count(), Notification.objects.count()) == (
        everything_else
    )


def test_only_verified_organizations_publish_in_the_demo_catalog():
    call_command("seed_demo", stdout=StringIO())
    unverified = Organization.objects.filter(is_verified=False)
    assert unverified.exists()  # organizations still waiting for staff, with their drafts
    assert Rotation.objects.filter(organization__in=unverified).exists()
    assert not Rotation.objects.published().filter(organization__in=unverified).exists()
    assert Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG).is_verified


def test_the_demo_organizations_seats_are_taken_only_by_its_roster_which_the_seed_leaves_empty():
    call_command("seed_demo", stdout=StringIO())
    demo = Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG)
    blocks = Block.objects.for_org(demo)
    assert blocks.count() >= 5
    # The seed makes no offers there (its demo applications are only submitted), so no seat is taken.
    assert set(Application.objects.for_org(demo).values_list("status", flat=True)) == {"submitted"}
    assert set(blocks.values_list("seats_taken", flat=True)) == {0}


def test_the_readme_typo_example_finds_the_demo_organizations_cardiology_in_chicago():
    call_command("seed_demo", stdout=StringIO())
    found = rotation_catalog(q="cardiolgy chicgo").select_related("organization", "specialty")
    assert {(r.specialty.name, r.organization.city) for r in found} == {("Cardiology", "Chicago")}
    assert DEMO_ORGANIZATION_SLUG in {r.organization.slug for r in found}


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
    assert "300/300" in progress.getvalue()
    scale_catalog_remove()
    assert Rotation.objects.count() == before
    assert not Organization.objects.filter(slug__startswith="bench-").exists()


def test_seed_demo_leaves_every_demo_applicant_with_a_complete_profile_ready_to_apply():
    call_command("seed_demo", stdout=StringIO())
    # Sign-up copies the account's name into the legal name: the seed must still fill the rest.
    applicants = Applicant.objects.filter(user__email__endswith="@demo.amo.test").prefetch_related(
        "documents", "specialties_of_interest"
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
