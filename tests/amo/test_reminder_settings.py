"""The reminders page of the account: the optional kinds a person's roles are sent, to turn off; the
money and deadline kinds, always sent; and the reminders coming up."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from amo.models import Reminder, User
from amo.reminders import TURNED_OFF, Planned, reminders_about, reminders_replan, reminders_send_due
from amo.text import moment_label
from applicants.services import application_apply, block_change_request
from tests.factories import (
    ApplicantFactory,
    BlockFactory,
    EmailAddressFactory,
    MembershipFactory,
    OwnerFactory,
    take_seat,
)

pytestmark = pytest.mark.django_db
K = Reminder.Kind
PAGE = "/accounts/reminders/"


def checkboxes(response) -> list[str]:
    return [value for value, _ in response.context["form"].fields["turned_off"].choices]


def test_an_applicant_may_turn_off_their_optional_kinds_and_reads_which_are_always_sent(client):
    user = ApplicantFactory().user
    client.force_login(user)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert checkboxes(page) == [K.DRAFT_LEFT, K.ROTATION_STARTING]
    text = page.content.decode()
    assert '<legend class="form-label fs-6">Do not send me these reminders</legend>' in text
    assert f'<label class="form-check-label" for="id_turned_off_0">{K.DRAFT_LEFT.label}</label>' in text
    assert "Always sent, because they are about money or a deadline" in text
    for kind in (K.HOLD_EXPIRING, K.DOCUMENTS_DUE, K.BALANCE_DUE, K.DOCUMENT_EXPIRING):
        assert f"<li>{kind.label}</li>" in text
    assert K.APPLICATIONS_WAITING.label not in text  # a host's


def test_a_host_member_is_offered_the_host_kinds(client):
    owner = OwnerFactory()
    client.force_login(owner.user)
    page = client.get(PAGE)
    assert checkboxes(page) == [K.BLOCK_CHANGE_WAITING]
    assert f"<li>{K.APPLICATIONS_WAITING.label}</li>" in page.content.decode()
    coordinator = MembershipFactory()
    client.force_login(coordinator.user)
    assert reverse("reminder_settings") in client.get(reverse("hosts:dashboard")).content.decode()


def test_saving_turns_kinds_off_and_on_again_and_a_get_writes_nothing(client):
    user = ApplicantFactory().user
    client.force_login(user)
    client.get(PAGE)
    assert User.objects.get(pk=user.pk).reminders_off == []

    response = client.post(PAGE, {"turned_off": [K.ROTATION_STARTING]})
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).reminders_off == [K.ROTATION_STARTING]
    assert client.get(PAGE).context["form"]["turned_off"].value() == [K.ROTATION_STARTING]

    client.post(PAGE, {})
    assert User.objects.get(pk=user.pk).reminders_off == []


def test_the_form_refuses_a_kind_that_cannot_be_turned_off(client):
    user = ApplicantFactory().user
    client.force_login(user)
    response = client.post(PAGE, {"turned_off": [K.DRAFT_LEFT, K.BALANCE_DUE]})
    assert response.status_code == 400
    assert response.context["form"].errors["turned_off"] == [
        "That reminder cannot be turned off: reminders about money and deadlines are always sent."
    ]
    assert User.objects.get(pk=user.pk).reminders_off == []


def test_a_kind_of_a_role_no_longer_held_stays_as_it_was(client):
    user = ApplicantFactory(user__reminders_off=[K.BLOCK_CHANGE_WAITING]).user
    client.force_login(user)
    client.post(PAGE, {"turned_off": [K.DRAFT_LEFT]})
    assert User.objects.get(pk=user.pk).reminders_off == [K.BLOCK_CHANGE_WAITING, K.DRAFT_LEFT]


def test_a_turned_off_kind_is_cancelled_when_due_and_a_deadline_one_is_still_sent(client, time_machine):
    time_machine.move_to(datetime(2027, 3, 1, 10, tzinfo=UTC), tick=False)
    owner = OwnerFactory()
    block = BlockFactory(rotation__organization=owner.organization)
    applicant = ApplicantFactory()
    EmailAddressFactory(user=applicant.user)
    application_apply(applicant=applicant, block=block, personal_statement="I want to learn.", documents=[])
    booked = take_seat(block)
    block_change_request(
        application=booked, actor=booked.applicant.user, to_block=BlockFactory(rotation=block.rotation)
    )
    client.force_login(owner.user)
    assert client.post(PAGE, {"turned_off": [K.BLOCK_CHANGE_WAITING]}).status_code == 302
    assert client.post(PAGE, {"turned_off": [K.APPLICATIONS_WAITING]}).status_code == 400

    time_machine.move_to(datetime(2027, 3, 6, 14, tzinfo=UTC), tick=False)
    assert reminders_send_due() == 1
    turned_off = Reminder.objects.get(kind=K.BLOCK_CHANGE_WAITING)
    assert (turned_off.sent_at, turned_off.cancel_reason) == (None, TURNED_OFF)
    assert Reminder.objects.get(kind=K.APPLICATIONS_WAITING, due_at=datetime.now(UTC)).sent_at is not None
    [email] = mail.outbox
    assert "waiting for a decision" in email.subject


def planned(user: User, count: int) -> None:
    """`count` reminders to come for `user`, about bookings of theirs."""
    for number in range(count):
        application = take_seat(BlockFactory(), applicant=user.applicant)
        reminders_replan(
            replaces=reminders_about(application, K.ROTATION_STARTING),
            wanted=[
                Planned(
                    key=f"test:{application.pk}",
                    kind=K.ROTATION_STARTING,
                    recipient_id=user.pk,
                    about=application,
                    due_at=datetime.now(UTC) + timedelta(days=number + 1),
                )
            ],
            reason="",
        )


def test_the_page_shows_what_is_coming_up_in_the_same_queries_for_many(client, django_assert_max_num_queries):
    user = ApplicantFactory().user
    client.force_login(user)
    assert "No reminder is planned for you." in client.get(PAGE).content.decode()
    planned(user, 1)
    with django_assert_max_num_queries(15) as few:
        page = client.get(PAGE)
    soonest = Reminder.objects.get(recipient=user).due_at
    assert K.ROTATION_STARTING.label in page.content.decode()
    assert moment_label(soonest) + "</time> UTC" in page.content.decode()
    planned(user, 14)
    with django_assert_max_num_queries(len(few)):
        page = client.get(PAGE)
    assert len(page.context["upcoming"]) == 10
    assert page.context["upcoming"][0].due_at == soonest
