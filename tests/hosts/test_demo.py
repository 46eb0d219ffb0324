import pytest

from amo.demo import DEMO_LOGINS, seed_demo_accounts
from applicants.models import Application
from hosts.demo import seed_host_demo
from tests.factories import BlockFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_the_host_demo_fills_the_coordinators_queue_once():
    coordinator = seed_demo_accounts()["host coordinator"]
    assert coordinator.email == DEMO_LOGINS["host coordinator"][0]
    membership = MembershipFactory(user=coordinator)
    BlockFactory(rotation__organization=membership.organization)
    assert seed_host_demo() == 4
    assert seed_host_demo() == 4
    assert Application.objects.filter(status="submitted").count() == 4
    # Submitted through the workflow, once: each timeline shows its submission by the applicant.
    for application in Application.objects.select_related("applicant"):
        [submission] = application.transitions.all()
        assert (submission.from_status, submission.to_status) == ("draft", "submitted")
        assert submission.actor_id == application.applicant.user_id
