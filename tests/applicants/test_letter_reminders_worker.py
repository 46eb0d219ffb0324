"""A letter request's emails as production sends them: a real Celery worker (in a thread of this
process, so time-machine moves its clock too), the real Redis broker, a real SMTP server (aiosmtpd).
The clock is moved from one due time to the next; each email is asserted once, by its Message-ID."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone

from amo.models import Notification, Reminder
from amo.services import notification_message_id
from amo.tasks import reminders_sweep
from applicants.models import Application, LetterRequest
from applicants.tasks import letters_expire_unanswered
from tests.factories import UserFactory, completed_booking, letter_request
from tests.mail import envelope_text
from tests.waiting import wait_until

pytestmark = pytest.mark.celery_worker

S = LetterRequest.Status
K = Reminder.Kind
AUTHOR = "jane.smith@hospital.test"
LINK = re.compile(r"https?://[^/\s]+(/letters/author/[^/\s]+/)")


def received(smtp_server) -> list[tuple[str, str, str]]:
    """(recipient, Message-ID, text) of each email the server accepted, in order."""
    out = []
    for envelope in smtp_server:
        text = envelope_text(envelope)
        message_id = re.search(r"^Message-ID: (\S+)$", text, re.MULTILINE | re.IGNORECASE).group(1)
        out.append((envelope.rcpt_tos[0], message_id, text))
    return out


def reminder_id(letter: LetterRequest, kind: str, anchor: str) -> str:
    return notification_message_id(f"reminder:{kind}:letter:{letter.pk}:{anchor}")


def sweep_until(smtp_server, count: int, *, what: str) -> None:
    reminders_sweep.apply_async()  # as beat sends it
    wait_until(lambda: len(smtp_server) >= count, what=what, timeout=30)


def test_a_request_left_unanswered_is_nudged_escalated_and_expires_with_each_email_once(
    celery_worker, smtp_server, client
):
    advisor = UserFactory(is_staff=True, email="advisor@amo.test")
    application = completed_booking()
    Application.objects.filter(pk=application.pk).update(advisor=advisor, advisor_assigned_at=timezone.now())
    application.refresh_from_db()
    applicant = application.applicant.user
    start = timezone.now()
    letter = letter_request(application, due_on=(start + timedelta(days=25)).date())

    # The request leaves at once (its own task), with a link that works.
    wait_until(lambda: len(smtp_server) >= 1, what="the request email to the author")
    ((to, message_id, text),) = received(smtp_server)
    assert (to, message_id) == (AUTHOR, reminder_id(letter, K.LETTER_AUTHOR_LINK, "g1"))
    assert "asks you for a letter of recommendation" in text and letter.eras_letter_id in text
    path = LINK.search(text).group(1)
    page = client.get(path)
    assert page.status_code == 200 and letter.eras_letter_id in page.content.decode()

    with time_machine.travel(start + timedelta(days=7, hours=1)):
        sweep_until(smtp_server, 2, what="the 7-day nudge")
    with time_machine.travel(start + timedelta(days=14, hours=1)):
        sweep_until(smtp_server, 3, what="the 14-day nudge")
    with time_machine.travel(start + timedelta(days=19)):
        sweep_until(smtp_server, 4, what="the due-soon email")
    with time_machine.travel(start + timedelta(days=21, hours=1)):
        # The advisor's escalation, and the applicant's news of it.
        sweep_until(smtp_server, 6, what="the escalation and the applicant's news")
        assert LetterRequest.objects.get(pk=letter.pk).escalated_at is not None
    with time_machine.travel(start + timedelta(days=30, hours=1)):
        letters_expire_unanswered.apply_async()  # as beat sends it
        wait_until(lambda: len(smtp_server) >= 7, what="the applicant told of the expiry", timeout=30)
        assert LetterRequest.objects.get(pk=letter.pk).status == S.EXPIRED
        # Run again, and the sweep too: nothing more is sent.
        assert letters_expire_unanswered.apply_async(ignore_result=False).get(timeout=30) == 0
        assert reminders_sweep.apply_async(ignore_result=False).get(timeout=60) == 0

    emails = [(to, message_id) for to, message_id, _ in received(smtp_server)]
    assert emails[:4] == [
        (AUTHOR, reminder_id(letter, K.LETTER_AUTHOR_LINK, "g1")),
        (AUTHOR, reminder_id(letter, K.LETTER_NUDGE, "requested:7d")),
        (AUTHOR, reminder_id(letter, K.LETTER_NUDGE, "requested:14d")),
        (AUTHOR, reminder_id(letter, K.LETTER_DUE_SOON, f"due:{letter.due_on.isoformat()}")),
    ]
    # The escalation and the applicant's news of it leave from two tasks, in either order.
    assert set(emails[4:6]) == {
        (advisor.email, reminder_id(letter, K.LETTER_ESCALATED, f"user:{advisor.pk}")),
        (applicant.email, notification_message_id(f"letter:{letter.pk}:escalated")),
    }
    assert emails[6:] == [(applicant.email, notification_message_id(f"letter:{letter.pk}:expired"))]
    # Every author email carried a link of this request, which is closed now: each says so.
    for _, _, text in received(smtp_server)[:4]:
        assert client.get(urlsplit(LINK.search(text).group(0)).path).status_code == 410  # used up now
    assert set(Notification.objects.filter(recipient=applicant).values_list("key", flat=True)) == {
        f"letter:{letter.pk}:escalated",
        f"letter:{letter.pk}:expired",
    }
    assert not Reminder.objects.filter(sent_at__isnull=True, cancelled_at__isnull=True).exists()
