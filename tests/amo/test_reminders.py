"""Reminders (amo.reminders): planned and planned again by key, each sent once by the sweep, in the
app and by email to a real SMTP server. The kinds' own planners are tested with their apps; here a
renderer registered for two existing kinds (a money kind and an optional one) stands in for theirs.
tests/amo/test_reminders_worker.py runs the sweep in real worker processes, killed and doubled."""

from datetime import datetime, timedelta
from email import message_from_bytes

import pytest
import time_machine
from django.utils import timezone

from amo import reminders
from amo.models import Notification, Reminder, User
from amo.reminders import (
    ABOUT_GONE,
    ACCOUNT_CLOSED,
    NO_LONGER_APPLIES,
    OPTIONAL_KINDS,
    TIME_PASSED,
    TURNED_OFF,
    Message,
    Planned,
    reminder_kind_register,
    reminders_about,
    reminders_replan,
    reminders_send_due,
)
from amo.services import notification_message_id
from tests.factories import UserFactory
from tests.mail import SlowMailServer, smtp_server_running
from tests.waiting import run_at_once

MONEY = Reminder.Kind.BALANCE_DUE
OPTIONAL = Reminder.Kind.ROTATION_STARTING
assert MONEY not in OPTIONAL_KINDS and OPTIONAL in OPTIONAL_KINDS


@pytest.fixture
def renderers(monkeypatch):
    """A renderer for MONEY and OPTIONAL that names the person the reminder is about; the kinds'
    own renderers are back afterwards. Returns two sets of reminder ids the test fills: `stale`
    (the renderer answers that the reminder no longer applies) and `broken` (the renderer fails)."""
    monkeypatch.setattr(reminders, "_RENDERERS", dict(reminders._RENDERERS))
    stale: set[int] = set()
    broken: set[int] = set()

    def render(reminder: Reminder) -> Message | None:
        if reminder.pk in broken:
            raise RuntimeError("a bug in this kind's renderer")
        if reminder.pk in stale:
            return None
        return Message(
            subject=f"Reminder for {reminder.about.full_name}",
            body=f"{reminder.about.full_name}, this is your reminder {reminder.key}.",
            link="/me/",
        )

    for kind in (MONEY, OPTIONAL):
        reminder_kind_register(kind, render)
    return stale, broken


def planned(
    about, *, key: str, due_at: datetime, kind: str = MONEY, recipient: User | None = None
) -> Planned:
    return Planned(key=key, kind=kind, recipient_id=(recipient or about).pk, about=about, due_at=due_at)


def replan(about, *wanted: Planned, reason: str = "It changed.") -> None:
    reminders_replan(replaces=reminders_about(about, MONEY, OPTIONAL), wanted=wanted, reason=reason)


def plan_due(people: list[User], *, kind: str = MONEY) -> list[Reminder]:
    """One reminder of `kind` about each person, planned an hour ago (time-machine) to fall due a
    few seconds later, one after the other in the people's order: all due now."""
    hour_ago = timezone.now() - timedelta(hours=1)
    keys = [f"{kind}:{person.pk}" for person in people]
    with time_machine.travel(hour_ago, tick=False):
        for n, (person, key) in enumerate(zip(people, keys, strict=True)):
            wanted = Planned(
                key=key,
                kind=kind,
                recipient_id=person.pk,
                about=person,
                due_at=hour_ago + timedelta(seconds=n + 1),
            )
            reminders_replan(replaces=reminders_about(person, kind), wanted=[wanted], reason="It changed.")
    return list(Reminder.objects.filter(key__in=keys).order_by("due_at"))


def rows(about) -> list[tuple]:
    return list(
        reminders_about(about, MONEY, OPTIONAL)
        .order_by("key")
        .values_list("key", "due_at", "sent_at", "cancelled_at", "cancel_reason")
    )


# --- Planning -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_planning_the_same_reminders_twice_makes_one_row_each():
    person = UserFactory()
    now = timezone.now()
    wanted = [
        planned(person, key="balance:7d", due_at=now + timedelta(days=7)),
        planned(person, key="balance:1d", due_at=now + timedelta(days=1)),
    ]
    replan(person, *wanted)
    replan(person, *wanted)
    assert rows(person) == [
        ("balance:1d", now + timedelta(days=1), None, None, ""),
        ("balance:7d", now + timedelta(days=7), None, None, ""),
    ]


@pytest.mark.django_db
def test_planning_again_cancels_what_is_no_longer_wanted_with_the_reason_and_nothing_else():
    person, other = UserFactory(), UserFactory()
    now = timezone.now()
    replan(person, planned(person, key="offer:24h", due_at=now + timedelta(days=1)))
    replan(other, planned(other, key="other:24h", due_at=now + timedelta(days=1)))
    another_kind = reminders_about(person, Reminder.Kind.DRAFT_LEFT)
    reminders_replan(
        replaces=another_kind,
        wanted=[
            planned(person, key="draft:3d", kind=Reminder.Kind.DRAFT_LEFT, due_at=now + timedelta(days=3))
        ],
        reason="-",
    )
    with time_machine.travel(now + timedelta(hours=1), tick=False):
        replan(person, reason="The offer was accepted.")
    assert rows(person) == [
        ("offer:24h", now + timedelta(days=1), None, now + timedelta(hours=1), "The offer was accepted.")
    ]
    # Another object's reminders, and this one's of kinds the planner does not replace, stay to come.
    assert rows(other)[0][3] is None
    assert another_kind.get().cancelled_at is None


@pytest.mark.django_db
def test_planning_again_never_changes_a_sent_reminder(smtp_server, renderers):
    reminder = plan_due([UserFactory()])[0]
    person = reminder.recipient
    assert reminders_send_due() == 1
    before = rows(person)
    replan(person, reason="The booking was cancelled.")
    replan(person, planned(person, key=reminder.key, due_at=timezone.now() + timedelta(days=2)))
    assert rows(person) == before
    assert before[0][2] is not None and before[0][3] is None


@pytest.mark.django_db
def test_a_reminder_already_due_when_planned_is_not_planned():
    """A booking made five days before the start gets its 1-day reminder, not the 14- or 7-day one."""
    person = UserFactory()
    start = timezone.now() + timedelta(days=5)
    replan(
        person,
        *[planned(person, key=f"start:{days}d", due_at=start - timedelta(days=days)) for days in (14, 7, 1)],
    )
    assert [row[0] for row in rows(person)] == ["start:1d"]


@pytest.mark.django_db
def test_a_cancelled_reminder_wanted_again_is_planned_again():
    person = UserFactory()
    due_at = timezone.now() + timedelta(days=1)
    replan(person, planned(person, key="hold:24h", due_at=due_at))
    replan(person, reason="The offer was accepted.")
    assert rows(person)[0][3] is not None
    replan(person, planned(person, key="hold:24h", due_at=due_at))
    assert rows(person) == [("hold:24h", due_at, None, None, "")]


@pytest.mark.django_db
def test_a_reminder_to_come_follows_its_due_time_and_one_moved_into_the_past_is_cancelled():
    person = UserFactory()
    now = timezone.now()
    replan(
        person,
        planned(person, key="later", due_at=now + timedelta(days=3)),
        planned(person, key="earlier", due_at=now + timedelta(days=3)),
    )
    with time_machine.travel(now, tick=False):
        replan(
            person,
            planned(person, key="later", due_at=now + timedelta(days=5)),
            planned(person, key="earlier", due_at=now - timedelta(days=1)),
        )
    assert rows(person) == [
        ("earlier", now + timedelta(days=3), None, now, TIME_PASSED),
        ("later", now + timedelta(days=5), None, None, ""),
    ]


@pytest.mark.django_db
def test_planning_again_after_a_reminder_fell_due_leaves_it_for_the_sweep(smtp_server, renderers):
    """The planner runs again (something else changed) between the due time and the sweep's next
    run: the reminder is still wanted and unchanged, so it is sent, not dropped as already due."""
    person = UserFactory()
    due_at = timezone.now() + timedelta(hours=1)
    replan(person, planned(person, key="balance:7d", due_at=due_at))
    with time_machine.travel(due_at + timedelta(seconds=30), tick=False):
        replan(person, planned(person, key="balance:7d", due_at=due_at))
        assert reminders_send_due() == 1
    assert len(smtp_server) == 1


# --- The sweep ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_sends_each_due_reminder_once_in_the_app_and_by_email_and_leaves_the_rest(
    smtp_server, renderers
):
    soon, later = UserFactory(full_name="Amina Diallo"), UserFactory()
    now = timezone.now()
    replan(soon, planned(soon, key="soon", due_at=now + timedelta(hours=1)))
    replan(later, planned(later, key="later", due_at=now + timedelta(days=3)))
    with time_machine.travel(now + timedelta(hours=2), tick=False):
        assert reminders_send_due() == 1
        assert reminders_send_due() == 0
    reminder = Reminder.objects.get(key="soon")
    assert reminder.sent_at == now + timedelta(hours=2)
    notification = reminder.notification
    assert (notification.recipient, notification.key) == (soon, "reminder:soon")
    assert notification.subject == "Reminder for Amina Diallo"
    assert notification.emailed_at == reminder.sent_at
    assert Reminder.objects.get(key="later").sent_at is None
    assert [envelope.rcpt_tos for envelope in smtp_server] == [[soon.email]]
    email = message_from_bytes(smtp_server[0].content)
    assert email["Message-ID"] == notification_message_id("reminder:soon")
    assert email["Subject"] == "[AMO] Reminder for Amina Diallo"


@pytest.mark.django_db
def test_a_reminders_email_says_the_same_in_plain_text_and_in_html(smtp_server, renderers):
    reminder = plan_due([UserFactory(full_name="Amina Diallo")])[0]
    reminders_send_due()
    email = message_from_bytes(smtp_server[0].content)
    assert email.get_content_type() == "multipart/alternative"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in email.walk()
        if part.get_content_maintype() == "text"
    }
    assert list(parts) == ["text/plain", "text/html"]
    sentence = f"Amina Diallo, this is your reminder {reminder.key}."
    assert sentence in parts["text/plain"] and "http://127.0.0.1:8000/me/" in parts["text/plain"]
    assert f"<p>{sentence}</p>" in parts["text/html"]
    assert '<a href="http://127.0.0.1:8000/me/"' in parts["text/html"]
    assert "<h1" in parts["text/html"] and 'lang="en"' in parts["text/html"]


@pytest.mark.django_db
def test_a_reminder_that_no_longer_applies_when_due_is_cancelled_not_sent(smtp_server, renderers):
    stale, _ = renderers
    stale_one, fresh = plan_due([UserFactory(), UserFactory()])
    stale.add(stale_one.pk)
    assert reminders_send_due() == 1
    stale_one.refresh_from_db()
    assert (stale_one.sent_at, stale_one.cancel_reason) == (None, NO_LONGER_APPLIES)
    assert stale_one.cancelled_at is not None
    assert [envelope.rcpt_tos for envelope in smtp_server] == [[fresh.recipient.email]]
    assert not Notification.objects.filter(key=f"reminder:{stale_one.key}").exists()


@pytest.mark.django_db
def test_an_optional_kind_turned_off_is_cancelled_and_a_money_reminder_is_sent_whatever_the_account_says(
    smtp_server, renderers
):
    person = UserFactory()
    # A money kind in the list (written past reminders_settings_save, which refuses it) changes nothing.
    User.objects.filter(pk=person.pk).update(reminders_off=[OPTIONAL, MONEY])
    optional = plan_due([person], kind=OPTIONAL)[0]
    money = plan_due([person])[0]
    assert reminders_send_due() == 1
    optional.refresh_from_db()
    money.refresh_from_db()
    assert (optional.sent_at, optional.cancel_reason) == (None, TURNED_OFF)
    assert money.sent_at is not None
    assert len(smtp_server) == 1


@pytest.mark.django_db
def test_a_reminder_to_a_closed_account_is_cancelled(smtp_server, renderers):
    reminder = plan_due([UserFactory()])[0]
    User.objects.filter(pk=reminder.recipient_id).update(is_active=False)
    assert reminders_send_due() == 0
    reminder.refresh_from_db()
    assert (reminder.sent_at, reminder.cancel_reason) == (None, ACCOUNT_CLOSED)
    assert smtp_server == []


@pytest.mark.django_db
def test_a_reminder_about_something_deleted_since_is_cancelled(smtp_server, renderers):
    person, thing = UserFactory(), UserFactory()
    with time_machine.travel(timezone.now() - timedelta(hours=1), tick=False):
        replan(
            thing, planned(thing, key="gone", recipient=person, due_at=timezone.now() + timedelta(minutes=1))
        )
    thing.delete()
    assert reminders_send_due() == 0
    reminder = Reminder.objects.get(key="gone")
    assert (reminder.sent_at, reminder.cancel_reason) == (None, ABOUT_GONE)
    assert smtp_server == []


@pytest.mark.django_db
def test_a_mail_server_refusing_the_connection_leaves_the_reminder_due_and_the_next_run_sends_it(
    smtp_server, renderers, settings
):
    reminder = plan_due([UserFactory()])[0]
    port, settings.EMAIL_PORT = settings.EMAIL_PORT, 1  # nothing listens on port 1
    with pytest.raises(OSError):
        reminders_send_due()
    reminder.refresh_from_db()
    assert (reminder.sent_at, reminder.cancelled_at) == (None, None)
    assert not Notification.objects.exists()  # the row's transaction took its notification back
    settings.EMAIL_PORT = port
    assert reminders_send_due() == 1
    assert [envelope.rcpt_tos for envelope in smtp_server] == [[reminder.recipient.email]]


@pytest.mark.django_db
def test_a_run_with_nothing_due_never_asks_the_mail_server(settings, renderers):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    replan(person := UserFactory(), planned(person, key="later", due_at=timezone.now() + timedelta(days=1)))
    assert reminders_send_due() == 0


class RefusingServer(SlowMailServer):
    """Refuses every address at refused.test for good, as a mail server does an unknown mailbox."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.test"):
            return "550 5.1.1 No such mailbox"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.mark.django_db
def test_an_address_the_mail_server_refuses_gets_its_reminder_in_the_app_only(settings, renderers):
    server = RefusingServer()
    refused, fine = plan_due([UserFactory(email="gone@refused.test"), UserFactory()])
    with smtp_server_running(server) as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        assert reminders_send_due() == 2
        assert reminders_send_due() == 0  # not asked again
    refused.refresh_from_db()
    assert refused.sent_at is not None
    assert refused.notification.emailed_at is None  # in the app, not emailed
    assert Notification.objects.get(key=f"reminder:{fine.key}").emailed_at is not None
    assert [accepted.recipient for accepted in server.accepted] == [fine.recipient.email]


@pytest.mark.django_db
def test_a_renderer_that_fails_holds_back_no_other_reminder_and_is_tried_again(
    smtp_server, renderers, caplog
):
    _, broken = renderers
    failing, after_it = plan_due([UserFactory(), UserFactory()])
    broken.add(failing.pk)
    assert reminders_send_due() == 1
    assert reminders_send_due() == 0
    assert [envelope.rcpt_tos for envelope in smtp_server] == [[after_it.recipient.email]]
    assert f"Reminder {failing.pk} (balance_due) could not be written" in caplog.text
    failing.refresh_from_db()
    assert (failing.sent_at, failing.cancelled_at) == (None, None)
    broken.clear()  # the renderer is fixed
    assert reminders_send_due() == 1
    assert len(smtp_server) == 2


@pytest.mark.django_db
def test_the_sweep_costs_the_same_few_queries_per_reminder(smtp_server, renderers, django_assert_num_queries):
    plan_due([UserFactory() for _ in range(3)])
    # Per reminder: a transaction (2: a savepoint here) taking the row, reading what it is about,
    # writing the notification and marking the row sent; and the last, empty look.
    with django_assert_num_queries(3 * 6 + 3):
        assert reminders_send_due() == 3


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_share_the_due_reminders_and_send_each_once(settings, renderers):
    """Two beats started by mistake run two sweeps at the same time. The mail server is slow, so
    both are sending while the other is: each takes a share (both send some, over their own
    connections) and no reminder is sent twice."""
    people = [UserFactory() for _ in range(20)]
    plan_due(people)
    server = SlowMailServer(delay=0.05)
    with smtp_server_running(server) as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        outcomes = run_at_once([reminders_send_due, reminders_send_due], timeout=60)
    assert [outcome.error for outcome in outcomes] == [None, None]
    shares = sorted(outcome.result for outcome in outcomes)
    assert shares[0] > 0 and sum(shares) == len(people)
    assert sorted(accepted.recipient for accepted in server.accepted) == sorted(p.email for p in people)
    assert len({accepted.peer for accepted in server.accepted}) == 2
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()
