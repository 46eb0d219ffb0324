"""The reminders benchmark's stage, for `manage.py bench --only reminders`, also used by the tests
that run the sweep in a worker process of its own (tests/amo/test_reminders_worker.py).

Every reminder of the stage is a balance reminder (money: no account can turn it off) to a person
of its own, about that person: the renderer below says who it is for and reads what it is about,
as a real kind's renderer reads its application. The workers load it through
seeding/bench_reminders_worker.py. Reminders are written with bulk_create, ready to send, a few
thousand rows per statement; removing the stage's people removes their reminders and notifications.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType

from amo.models import Reminder, User
from amo.reminders import Message, reminder_kind_register

STAGE_KIND = Reminder.Kind.BALANCE_DUE
STAGE_EMAIL_DOMAIN = "reminders.bench.test"
BATCH = 2_000


def stage_reminder_render(reminder: Reminder) -> Message:
    person = reminder.about
    return Message(
        subject="Your balance will be charged in 7 days",
        body=f"{person.full_name}, the balance of your booking will be charged to your card in 7 days.",
        link="/me/",
    )


def stage_renderer_register() -> None:
    """Send the stage's kind with the stage's renderer (in the process that calls it)."""
    reminder_kind_register(STAGE_KIND, stage_reminder_render)


def stage_email(number: int) -> str:
    return f"person-{number}@{STAGE_EMAIL_DOMAIN}"


def seed_reminders_stage(*, count: int, due_at: datetime | list[datetime]) -> list[int]:
    """`count` people, each with one reminder of the stage's kind due at `due_at` (one time for all,
    or one per reminder); returns the reminders' ids in order."""
    password = make_password(None)
    about_type = ContentType.objects.get_for_model(User)
    due = due_at if isinstance(due_at, list) else [due_at] * count
    ids: list[int] = []
    for start in range(0, count, BATCH):
        numbers = range(start, min(start + BATCH, count))
        people = User.objects.bulk_create(
            [User(email=stage_email(n), full_name=f"Person {n}", password=password) for n in numbers]
        )
        reminders = Reminder.objects.bulk_create(
            [
                Reminder(
                    key=f"stage:{STAGE_KIND}:user:{person.pk}",
                    kind=STAGE_KIND,
                    recipient=person,
                    about_type=about_type,
                    about_id=person.pk,
                    due_at=due[n],
                )
                for n, person in zip(numbers, people, strict=True)
            ]
        )
        ids += [reminder.pk for reminder in reminders]
    return ids


def reminders_stage_remove() -> int:
    """Remove the stage's people, their reminders and notifications; returns how many people."""
    deleted, by_model = User.objects.filter(email__endswith=f"@{STAGE_EMAIL_DOMAIN}").delete()
    return by_model.get(User._meta.label, 0)


@contextlib.contextmanager
def smtp_server_running(handler) -> Iterator[int]:
    """Serve SMTP with aiosmtpd's `handler` (its handle_RCPT, handle_DATA...) on a free loopback
    port, in a thread of this process; yields the port. The benchmark's mail server, and the tests'."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
