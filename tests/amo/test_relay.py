"""Emails that must not be lost: an email whose own task never ran (Redis down when it was enqueued,
a mail server that kept refusing it) is sent by the relay, once. These tests run on committed data
and call the relay tasks as a worker does; one stops the real Redis in the middle of a request."""

import contextlib
import os
import signal
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from amo.celery import app as celery_app
from amo.models import Notification
from amo.services import RELAY_AFTER, RELAY_MAX_ATTEMPTS, notification_email, notification_send
from amo.tasks import notifications_relay
from applicants.models import Application
from hosts.models import Invitation
from hosts.services import invitation_create
from hosts.tasks import invitations_relay
from tests.factories import InvitationFactory, OwnerFactory, UserFactory
from tests.hosts.conftest import login, make_tenant
from tests.waiting import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def unsent_notification(key: str = "relay:1", **fields) -> Notification:
    """A notification whose email task never reached a worker (written without enqueueing one)."""
    return Notification.objects.create(
        key=key, recipient=fields.pop("recipient", None) or UserFactory(), subject="S", body="B", **fields
    )


def after(delay: timedelta):
    return time_machine.travel(timezone.now() + delay, tick=False)


def test_the_relay_emails_a_notification_its_task_never_sent_once_however_often_it_runs():
    notification = unsent_notification()
    assert notifications_relay() == 0  # its own task may still be on its way
    with after(RELAY_AFTER + timedelta(seconds=1)):
        assert notifications_relay() == 1
        assert notifications_relay() == 0
    with after(RELAY_AFTER * 100):
        assert notifications_relay() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [notification.recipient.email]
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert notification_email(notification_id=notification.pk) is False  # the late task sends nothing


def test_the_relay_and_a_late_task_racing_send_one_email_between_them():
    notifications = [unsent_notification(key=f"race:{n}") for n in range(5)]
    with after(RELAY_AFTER + timedelta(seconds=1)):
        outcomes = run_at_once(
            [notifications_relay, notifications_relay]
            + [lambda pk=n.pk: notification_email(notification_id=pk) for n in notifications]
        )
    assert [outcome.error for outcome in outcomes] == [None] * len(outcomes)
    assert sum(outcome.result for outcome in outcomes) == len(notifications)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        n.recipient.email for n in notifications
    )


def test_the_relay_backs_off_and_gives_up_after_its_attempts(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens on port 1
    notification = unsent_notification()
    start = timezone.now()
    tried_at = []
    for minute in range(1, 60 * 24):  # a day of every-minute runs, the way beat runs it
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            before = Notification.objects.get(pk=notification.pk).email_attempts
            assert notifications_relay() == 0
            if Notification.objects.get(pk=notification.pk).email_attempts > before:
                tried_at.append(minute)
    assert tried_at == [5 * 2**attempt for attempt in range(RELAY_MAX_ATTEMPTS)]
    notification.refresh_from_db()
    assert notification.emailed_at is None


def test_the_relay_emails_live_invitations_their_task_never_sent_and_no_revoked_or_expired_one():
    live = InvitationFactory(email="live@example.test")
    InvitationFactory(email="revoked@example.test", revoked_at=timezone.now())
    InvitationFactory(email="expired@example.test", expires_at=timezone.now() + RELAY_AFTER / 2)
    with after(RELAY_AFTER + timedelta(seconds=1)):
        assert invitations_relay() == 1
        assert invitations_relay() == 0
    assert [message.to for message in mail.outbox] == [["live@example.test"]]
    assert Invitation.objects.get(pk=live.pk).emailed_at is not None


# --- Redis down during a request ------------------------------------------------------------------


class DevstackRedis:
    """The redis-server `make test` started (tools/devstack.py), stopped and started again for real."""

    def __init__(self):
        from tools.devstack import Redis

        self.redis = Redis()
        socket_path = urlsplit(os.environ.get("REDIS_URL", "")).path
        if Path(socket_path) != self.redis.socket_path or not self.redis.running():
            pytest.skip("needs the Redis that `make test` starts (REDIS_URL points elsewhere)")

    @contextlib.contextmanager
    def stopped(self):
        pid = int(self.redis.pid_file.read_text().split()[0])
        # Never signal a process that only inherited a stale pid file's number.
        assert b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes(), f"pid {pid} is not Redis"
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while self._alive(pid):
            assert time.monotonic() < deadline, "Redis did not stop"
            time.sleep(0.05)
        try:
            yield
        finally:
            self.redis.start()

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def queued_messages() -> int:
    with celery_app.connection_for_write() as connection:
        return connection.default_channel.client.llen(celery_app.conf.task_default_queue)


def test_an_offer_made_while_redis_is_down_answers_normally_and_its_email_is_sent_once_when_it_is_back(
    client,
):
    redis = DevstackRedis()
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(celery_app.conf.task_default_queue)
    tenant = make_tenant("Alpha")
    login(client, tenant.coordinator)
    application = tenant.application
    with redis.stopped():
        response = client.post(reverse("hosts:application_offer", args=[application.pk]))
        assert response.status_code == 302, response.content.decode()[:2000]
    assert Application.objects.get(pk=application.pk).status == Application.Status.OFFERED
    news = Notification.objects.get(key__startswith=f"application:{application.pk}:offered:")
    assert news.emailed_at is None
    assert queued_messages() == 0  # its email task was never enqueued: lost, but for the relay
    assert mail.outbox == []

    with after(RELAY_AFTER + timedelta(seconds=1)):
        sent = notifications_relay()
        assert notifications_relay() == 0
    assert sent == Notification.objects.count()
    offers = [message for message in mail.outbox if message.to == [application.applicant.user.email]]
    assert len(offers) == 1
    assert application.block.rotation.title in offers[0].subject
    assert notification_email(notification_id=news.pk) is False  # a late task sends it no second time


def test_an_invitation_made_while_redis_is_down_is_emailed_once_by_the_relay():
    redis = DevstackRedis()
    owner = OwnerFactory()
    with redis.stopped():
        invitation = invitation_create(
            organization=owner.organization,
            invited_by=owner.user,
            email="new@example.test",
            role="coordinator",
        )
    with after(RELAY_AFTER + timedelta(seconds=1)):
        assert invitations_relay() == 1
        assert invitations_relay() == 0
    assert [message.to for message in mail.outbox] == [["new@example.test"]]
    assert Invitation.objects.get(pk=invitation.pk).emailed_at is not None


def test_a_notification_sent_while_redis_is_down_is_committed_and_the_caller_is_not_told():
    redis = DevstackRedis()
    with redis.stopped():
        notification = notification_send(recipient=UserFactory(), key="down:1", subject="S", body="B")
    assert Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).exists()
