"""Host reminders (hosts/reminders.py): one digest per deciding member and day of the applications
waiting more than 5 days for a decision, and of the date changes waiting 3 days for an answer."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from amo.models import Reminder, User
from amo.reminders import reminders_send_due
from applicants.models import Application, BlockChange
from applicants.services import (
    application_apply,
    application_cancel,
    application_offer,
    application_reject,
    application_start_review,
    application_withdraw,
    block_change_decide,
    block_change_request,
)
from applicants.workflow import ActorRole
from hosts.models import Membership, Organization
from hosts.reminders import digest_time
from hosts.services import invitation_accept, membership_remove
from rotations.models import Block
from tests.factories import (
    ApplicantFactory,
    BlockFactory,
    EmailAddressFactory,
    InvitationFactory,
    MembershipFactory,
    OwnerFactory,
    UserFactory,
    take_seat,
)

pytestmark = pytest.mark.django_db
K = Reminder.Kind
S = Application.Status
# A Monday morning, before the day's digest time (14:00 UTC).
MONDAY = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2027."""
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


@dataclass
class Host:
    organization: Organization
    owner: Membership
    coordinator: Membership
    preceptor_member: Membership
    block: Block
    other_block: Block  # another rotation of the same organization

    @property
    def deciders(self) -> set[int]:
        return {self.owner.user_id, self.coordinator.user_id}


@pytest.fixture
def host(time_machine) -> Host:
    time_machine.move_to(MONDAY, tick=False)
    owner = OwnerFactory()
    organization = owner.organization
    block = BlockFactory(rotation__organization=organization)
    return Host(
        organization=organization,
        owner=owner,
        coordinator=MembershipFactory(organization=organization),
        preceptor_member=MembershipFactory(
            organization=organization,
            role=Membership.Role.PRECEPTOR,
            preceptor=block.rotation.preceptor,
        ),
        block=block,
        other_block=BlockFactory(rotation__organization=organization),
    )


def sent(block: Block) -> Application:
    """An application a ready applicant sends for `block`, through the service."""
    applicant = ApplicantFactory()
    EmailAddressFactory(user=applicant.user)
    return application_apply(
        applicant=applicant, block=block, personal_statement="I want to learn.", documents=[]
    )


def digests(kind: str = K.APPLICATIONS_WAITING, **filters):
    return Reminder.objects.filter(kind=kind, **filters)


def to_come(kind: str = K.APPLICATIONS_WAITING) -> list[tuple[int, datetime]]:
    """(recipient, due) of the digests still to come, in order."""
    rows = digests(kind, sent_at__isnull=True, cancelled_at__isnull=True).order_by("due_at", "recipient_id")
    return list(rows.values_list("recipient_id", "due_at"))


def emails_to(user_id: int) -> list:
    email = User.objects.values_list("email", flat=True).get(pk=user_id)
    return [message for message in mail.outbox if message.to == [email]]


def test_waiting_more_than_5_days_is_strictly_more_than_5_times_24_hours(time_machine):
    # The first digest to name an application is the first one after it has waited 5 days.
    assert digest_time(at(1, 10) + timedelta(days=5)) == at(6, 14)
    # Sent at the digest's own time: at 14:00 five days later it has waited exactly 5 days, not more.
    assert digest_time(at(1, 14) + timedelta(days=5)) == at(7, 14)
    assert digest_time(at(1, 14, 1) + timedelta(days=5)) == at(7, 14)
    assert digest_time(at(1, 13, 59) + timedelta(days=5)) == at(6, 14)


def test_each_deciding_member_gets_one_digest_a_day_from_the_sixth_day_until_it_expires(host, time_machine):
    application = sent(host.block)

    # Owners and coordinators decide; a preceptor member is told of news but gets no digest.
    days = [at(day, 14) for day in (6, 7, 8, 9, 10)]  # it expires undecided on Mar 11 at 10:00
    assert to_come() == [(user, due) for due in days for user in sorted(host.deciders)]
    assert not digests(recipient=host.preceptor_member.user).exists()

    time_machine.move_to(at(6, 13, 59), tick=False)
    assert reminders_send_due() == 0
    time_machine.move_to(at(6, 14), tick=False)
    assert reminders_send_due() == 2
    assert reminders_send_due() == 0  # sent once
    for user_id in host.deciders:
        [email] = emails_to(user_id)
        assert email.subject.endswith(f"1 application waiting for a decision at {host.organization}")
        assert str(application.applicant) in email.body
        assert "waiting 5 days, expires on Mar 11, 2027" in email.body
        assert "/host/applications/" in email.body
        assert email.alternatives  # and an HTML version

    time_machine.move_to(at(7, 14, 5), tick=False)
    assert reminders_send_due() == 2
    assert "waiting 6 days" in emails_to(host.owner.user_id)[-1].body


def test_applications_crossing_5_days_the_same_day_make_one_digest_naming_them_all(host, time_machine):
    first = sent(host.block)
    time_machine.move_to(at(1, 12), tick=False)
    second = sent(host.other_block)  # crosses 5 days two hours later, the same day
    time_machine.move_to(at(3, 9), tick=False)
    third = sent(host.block)
    time_machine.move_to(at(3, 15), tick=False)
    not_yet = sent(host.other_block)  # waits 4 days 23 hours at the digest of Mar 8
    elsewhere = sent(BlockFactory())  # another organization's

    # One digest per member and day: Mar 6 to 10 for the first two, to Mar 12 for the third, to
    # Mar 13 for the last.
    assert to_come() == [(user, at(day, 14)) for day in range(6, 14) for user in sorted(host.deciders)]

    time_machine.move_to(at(6, 14), tick=False)
    assert reminders_send_due() == 2
    [email] = emails_to(host.owner.user_id)
    assert email.subject.endswith("2 applications waiting for a decision at " + str(host.organization))
    assert str(first.applicant) in email.body and str(second.applicant) in email.body
    assert str(third.applicant) not in email.body

    time_machine.move_to(at(8, 14), tick=False)
    assert reminders_send_due() == 4  # the digests of Mar 7 and Mar 8, sent late, each once
    last = emails_to(host.owner.user_id)[-1].body
    assert all(str(each.applicant) in last for each in (first, second, third))
    assert "waiting 7 days, expires on Mar 11, 2027" in last
    assert "waiting 5 days, expires on Mar 13, 2027" in last
    assert str(not_yet.applicant) not in last and str(elsewhere.applicant) not in last


def test_a_long_digest_names_the_first_and_counts_the_rest(host, time_machine, monkeypatch):
    monkeypatch.setattr("hosts.reminders.DIGEST_LISTS_AT_MOST", 2)
    applications = [sent(host.block), sent(host.block), sent(host.other_block)]
    time_machine.move_to(at(6, 14), tick=False)
    assert reminders_send_due() == 2
    [email] = emails_to(host.owner.user_id)
    assert email.subject.endswith(f"3 applications waiting for a decision at {host.organization}")
    assert email.body.count("waiting 5 days") == 2
    assert "…and 1 more: see them all on your applications page." in email.body
    assert str(applications[2].applicant) not in email.body


def test_once_every_waiting_application_is_decided_no_digest_is_left(host, time_machine):
    rejected, offered, withdrawn = sent(host.block), sent(host.block), sent(host.other_block)
    owner = host.owner.user
    time_machine.move_to(at(2, 9), tick=False)
    application_reject(application=rejected, actor=owner, reason="The block is for students.")
    application_start_review(application=offered, actor=owner)
    assert len(to_come()) == 10  # the others still wait
    application_offer(application=offered, actor=owner)
    application_withdraw(application=withdrawn, actor=withdrawn.applicant.user)

    assert to_come() == []
    assert set(digests().values_list("cancel_reason", flat=True)) == {
        "No application is waiting for a decision then."
    }
    time_machine.move_to(at(12, 14), tick=False)
    reminders_send_due()  # the applicants' own reminders (the offer's deadline) may go; no digest does
    assert not digests().filter(sent_at__isnull=False).exists()
    assert emails_to(owner.pk) == []


def test_an_application_decided_after_its_digest_fell_due_is_not_sent(host, time_machine):
    application = sent(host.block)
    time_machine.move_to(at(6, 14, 1), tick=False)  # due a minute ago, the sweep not run yet
    application_reject(application=application, actor=host.owner.user, reason="No seats for graduates.")
    assert reminders_send_due() == 0
    assert not digests(sent_at__isnull=False).exists()


def test_a_member_who_left_or_no_longer_decides_gets_no_digest(host, time_machine):
    sent(host.block)
    time_machine.move_to(at(2, 9), tick=False)
    membership_remove(membership=host.coordinator)
    assert {user for user, _ in to_come()} == {host.owner.user_id}
    assert set(digests(recipient=host.coordinator.user).values_list("cancel_reason", flat=True)) == {
        "The member left the organization."
    }
    # A role changed outside the services: the digest, read when sent, finds no decider.
    second_owner = OwnerFactory(organization=host.organization)
    sent(host.other_block)
    Membership.objects.filter(pk=second_owner.pk).update(role=Membership.Role.PRECEPTOR)

    time_machine.move_to(at(6, 14), tick=False)
    assert reminders_send_due() == 1
    assert len(emails_to(host.owner.user_id)) == 1
    assert emails_to(host.coordinator.user_id) == emails_to(second_owner.user_id) == []
    assert (
        digests(recipient=second_owner.user, due_at=at(6, 14)).get().cancel_reason == "It no longer applies."
    )


def test_a_member_who_joins_gets_the_digests_to_come(host, time_machine):
    sent(host.block)
    user = UserFactory(email="new.coordinator@example.test")
    invitation = InvitationFactory(organization=host.organization, email=user.email)
    time_machine.move_to(at(7, 9), tick=False)
    invitation_accept(invitation=invitation, user=user)
    assert [due for recipient, due in to_come() if recipient == user.pk] == [
        at(day, 14) for day in (7, 8, 9, 10)
    ]


def test_the_expiry_sweep_leaves_no_digest_behind(host, time_machine):
    from applicants.services import holds_sweep

    sent(host.block)
    time_machine.move_to(at(10, 14), tick=False)
    assert reminders_send_due() == 10  # every digest from Mar 6 on, sent late, each once
    time_machine.move_to(at(11, 10, 1), tick=False)
    assert holds_sweep().undecided == 1
    assert to_come() == []
    assert digests().count() == 10 and digests(sent_at__isnull=False).count() == 10


# --- Date changes waiting for an answer ----------------------------------------------------------


def asked(host: Host) -> BlockChange:
    booked = take_seat(host.block)
    return block_change_request(application=booked, actor=booked.applicant.user, to_block=host.other_block)


def test_a_date_change_waiting_3_days_is_in_the_next_digest_of_each_deciding_member(host, time_machine):
    change = asked(host)
    # Owners and coordinators decide date changes; a preceptor member gets no digest.
    assert to_come(K.BLOCK_CHANGE_WAITING) == [(user, at(4, 14)) for user in sorted(host.deciders)]
    time_machine.move_to(at(2, 11), tick=False)
    later_change = asked(host)  # waits 2 days 3 hours on Mar 4: its own digest is Mar 5's
    assert len(to_come(K.BLOCK_CHANGE_WAITING)) == 4

    time_machine.move_to(at(4, 14), tick=False)
    assert reminders_send_due() == 2
    [email] = emails_to(host.coordinator.user_id)
    assert email.subject.endswith(f"1 date change waiting for your answer at {host.organization}")
    assert f"from {change.from_block} to {change.to_block}, asked 3 days ago" in email.body
    assert str(later_change.application.applicant) not in email.body
    assert "/host/block-changes/?status=requested" in email.body

    time_machine.move_to(at(5, 14), tick=False)
    assert reminders_send_due() == 2
    assert str(later_change.application.applicant) in emails_to(host.coordinator.user_id)[-1].body


def test_a_date_change_decided_or_withdrawn_cancels_its_digest(host, time_machine):
    declined, withdrawn = asked(host), asked(host)
    assert len(to_come(K.BLOCK_CHANGE_WAITING)) == 2  # one digest each for the same day
    time_machine.move_to(at(2, 9), tick=False)
    block_change_decide(block_change=declined, actor=host.owner.user, approve=False, answer="Full then.")
    assert len(to_come(K.BLOCK_CHANGE_WAITING)) == 2  # the other still waits
    application_cancel(
        application=withdrawn.application,
        actor=withdrawn.application.applicant.user,
        role=ActorRole.APPLICANT,
    )
    assert BlockChange.objects.get(pk=withdrawn.pk).status == BlockChange.Status.WITHDRAWN

    assert to_come(K.BLOCK_CHANGE_WAITING) == []
    assert set(digests(K.BLOCK_CHANGE_WAITING).values_list("cancel_reason", flat=True)) == {
        "No date change is waiting for an answer then."
    }
    time_machine.move_to(at(4, 14), tick=False)
    assert reminders_send_due() == 0


def test_an_approved_date_change_gets_no_digest(host, time_machine):
    change = asked(host)
    block_change_decide(block_change=change, actor=host.coordinator.user, approve=True)
    time_machine.move_to(at(4, 14), tick=False)
    assert reminders_send_due() == 0
    assert to_come(K.BLOCK_CHANGE_WAITING) == []
