from datetime import timedelta

import pytest

from applicants.models import Application, Document
from applicants.readiness import is_ready, readiness_checklist
from hosts.models import Membership
from rotations.models import Block, DocumentKind
from seeding.accounts import DEMO_LOGINS, seed_demo_accounts
from seeding.host_queue import seed_host_demo
from tests.factories import BlockFactory, MembershipFactory

pytestmark = pytest.mark.django_db

REQUIRED = [DocumentKind.CV, DocumentKind.PASSPORT, DocumentKind.TB_TEST]


@pytest.fixture
def demo_organization():
    accounts = seed_demo_accounts()
    assert accounts["host coordinator"].email == DEMO_LOGINS["host coordinator"][0]
    membership = MembershipFactory(user=accounts["host coordinator"])
    BlockFactory(
        rotation__organization=membership.organization,
        rotation__required_document_kinds=REQUIRED,
        rotation__requires_english_proficiency=True,
        rotation__min_step2_score=230,
    )
    return accounts


def test_the_demo_owner_owns_the_coordinators_organization_once(demo_organization):
    seed_host_demo()
    seed_host_demo()
    coordinator = Membership.objects.get(user=demo_organization["host coordinator"])
    owner = Membership.objects.get(user=demo_organization["host owner"])
    assert (owner.organization, owner.role) == (coordinator.organization, Membership.Role.OWNER)


def test_the_host_demo_fills_the_coordinators_queue_once(demo_organization):
    assert seed_host_demo() == 4
    counts = (Application.objects.count(), Document.objects.count())
    assert seed_host_demo() == 4
    assert (Application.objects.count(), Document.objects.count()) == counts
    assert Application.objects.filter(status="submitted").count() == 4
    # Submitted through the workflow, once: each timeline shows its submission by the applicant.
    for application in Application.objects.select_related("applicant"):
        [submission] = application.transitions.all()
        assert (submission.from_status, submission.to_status) == ("draft", "submitted")
        assert submission.actor_id == application.applicant.user_id


def test_the_host_demo_finds_its_applications_again_when_an_earlier_block_opens(demo_organization):
    seed_host_demo()
    made = set(Application.objects.values_list("pk", "block_id"))
    first = Block.objects.order_by("start_date").first()
    # The host adds a block that starts sooner, as the demo's own bookings do (seeding.trip).
    BlockFactory(
        rotation=first.rotation,
        start_date=first.start_date - timedelta(days=7),
        apply_by=first.apply_by - timedelta(days=7),
    )
    assert seed_host_demo() == 4
    assert set(Application.objects.values_list("pk", "block_id")) == made


def test_the_host_demo_queue_holds_ready_applicants_with_verified_documents(demo_organization):
    seed_host_demo()
    staff = demo_organization["staff"]
    applications = Application.objects.select_related("applicant", "block__rotation")
    assert len(applications) == 4
    for application in applications:
        documents = list(application.documents.all())
        assert sorted(d.kind for d in documents) == sorted(REQUIRED)
        assert {(d.verification_status, d.verified_by_id) for d in documents} == {("verified", staff.pk)}
        checklist = readiness_checklist(
            applicant=application.applicant, block=application.block, documents=documents
        )
        assert is_ready(checklist), [item for item in checklist if not item.ok]
