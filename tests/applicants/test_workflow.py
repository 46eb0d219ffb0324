import pytest

from amo.errors import DomainError
from applicants.models import Application, ApplicationTransition
from applicants.services.terms import application_terms_fix
from applicants.workflow import EDGES, ActorRole, targets_from, transition
from hosts.models import Membership
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory

S = Application.Status
pytestmark = pytest.mark.django_db


def test_applicant_submits_a_draft_and_the_change_is_recorded():
    application = ApplicationFactory()
    user = application.applicant.user
    application_terms_fix(application=application)  # sending fixes the terms first, as the services do
    transition(application, S.SUBMITTED, actor=user, role=ActorRole.APPLICANT, reason="ready")
    assert application.status == S.SUBMITTED
    record = ApplicationTransition.objects.get(application=application)
    assert (record.from_status, record.to_status, record.actor, record.actor_role, record.reason) == (
        S.DRAFT,
        S.SUBMITTED,
        user,
        "applicant",
        "ready",
    )


@pytest.mark.parametrize(
    "status", [s for s in S if (s, S.CONFIRMED) not in {(e.source, e.target) for e in EDGES}]
)
def test_every_status_without_an_edge_to_confirmed_refuses_it(status):
    application = ApplicationFactory(status=status)
    with pytest.raises(DomainError) as error:
        transition(application, S.CONFIRMED, actor=None, role=ActorRole.SYSTEM)
    assert error.value.status == 409
    application.refresh_from_db()
    assert application.status == status
    assert not ApplicationTransition.objects.exists()


def test_every_illegal_edge_is_refused_and_changes_nothing():
    legal = {(edge.source, edge.target) for edge in EDGES}
    staff = UserFactory(is_staff=True)
    for source in S:
        for target in S:
            if (source, target) in legal:
                continue
            application = ApplicationFactory(status=source)
            with pytest.raises(DomainError):
                transition(application, target, actor=staff, role=ActorRole.STAFF)
            application.refresh_from_db()
            assert application.status == source
    assert not ApplicationTransition.objects.exists()


def test_a_host_of_another_organization_may_not_act():
    application = ApplicationFactory(status=S.SUBMITTED)
    outsider = MembershipFactory(role=Membership.Role.OWNER).user
    with pytest.raises(DomainError) as error:
        transition(application, S.UNDER_REVIEW, actor=outsider, role=ActorRole.HOST)
    assert error.value.status == 403
    application.refresh_from_db()
    assert application.status == S.SUBMITTED


def test_a_coordinator_of_the_rotations_organization_may_start_review():
    application = ApplicationFactory(status=S.SUBMITTED)
    coordinator = MembershipFactory(organization=application.block.rotation.organization).user
    transition(application, S.UNDER_REVIEW, actor=coordinator, role=ActorRole.HOST)
    assert application.status == S.UNDER_REVIEW


def test_an_applicant_may_not_offer_themselves_a_seat():
    application = ApplicationFactory(status=S.SUBMITTED)
    with pytest.raises(DomainError):
        transition(
            application,
            S.OFFERED,
            actor=application.applicant.user,
            role=ActorRole.APPLICANT,
        )


def test_another_applicant_may_not_withdraw_my_application():
    application = ApplicationFactory(status=S.SUBMITTED)
    other = ApplicationFactory().applicant.user
    with pytest.raises(DomainError):
        transition(application, S.WITHDRAWN, actor=other, role=ActorRole.APPLICANT)


def test_targets_from_lists_the_buttons_a_role_may_press():
    assert set(targets_from(S.SUBMITTED, ActorRole.HOST)) == {
        S.UNDER_REVIEW,
        S.OFFERED,
        S.WAITLISTED,
        S.REJECTED,
    }
    assert targets_from(S.SUBMITTED, ActorRole.APPLICANT) == [S.WITHDRAWN]
