"""Every refusal of the application workflow is plain English: it says where the application stands
and what cannot happen, with no status names, no "moved to", no underscores, quotes or brackets."""

import re

import pytest

from amo.errors import DomainError
from applicants.models import Application
from applicants.services import application_cancel
from applicants.workflow import _ALLOWED, ActorRole, refusal, transition
from tests.factories import ApplicationFactory, BlockFactory, take_seat

pytestmark = pytest.mark.django_db
S = Application.Status

# What a person must never read: the machine's words (awaiting_payment, "moved to") and Python's
# punctuation. Words such as "confirmed" or "draft" are English and stay allowed.
JARGON = re.compile(r"moved? to|transition|status|[_\[\]{}()“”\"<>]")


def assert_plain(message: str, where: str) -> None:
    assert not JARGON.search(message), f"{where}: {message}"
    assert message[0].isupper() and message.endswith("."), f"{where}: {message}"


@pytest.mark.parametrize("source", list(S), ids=str)
def test_every_refused_step_says_in_words_why(source):
    application = ApplicationFactory(status=source)
    refused = [target for target in S if (source, target) not in _ALLOWED]
    assert refused, "some step is refused from every status"
    for target in refused:
        with pytest.raises(DomainError) as refusal_raised:
            transition(application, target, actor=None, role=ActorRole.SYSTEM)
        assert refusal_raised.value.status == 409
        assert_plain(refusal_raised.value.message, f"{source} -> {target}")
    assert Application.objects.get(pk=application.pk).status == source


def test_every_step_a_role_may_not_take_says_in_words_what_was_refused():
    """The applicant tries every step the edge table gives only to others."""
    walked = 0
    for (source, target), roles in _ALLOWED.items():
        if ActorRole.APPLICANT in roles:
            continue
        application = ApplicationFactory(status=source)
        with pytest.raises(DomainError) as refused:
            transition(application, target, actor=application.applicant.user, role=ActorRole.APPLICANT)
        assert refused.value.status == 403
        assert_plain(refused.value.message, f"applicant {source} -> {target}")
        walked += 1
    assert walked > 5


def test_the_same_step_twice_says_it_is_already_done():
    assert [refusal(status, status) for status in (S.CANCELLED, S.WITHDRAWN, S.CONFIRMED)] == [
        "This application is already cancelled.",
        "This application is already withdrawn.",
        "This booking is already confirmed.",
    ]


def test_a_second_cancel_says_the_booking_is_already_cancelled():
    booking = take_seat(BlockFactory(capacity=2))
    application_cancel(application=booking, actor=booking.applicant.user, role=ActorRole.APPLICANT)
    with pytest.raises(DomainError) as again:
        application_cancel(application=booking, actor=booking.applicant.user, role=ActorRole.APPLICANT)
    assert again.value.message == "This application is already cancelled."
