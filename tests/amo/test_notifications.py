import pytest
from django.db import transaction

from amo.models import Notification
from amo.services import notification_email, notification_send, notifications_mark_read
from tests.factories import UserFactory
from tests.waiting import wait_until


@pytest.mark.celery_worker
def test_a_notification_is_emailed_once_by_a_real_worker_over_real_smtp(celery_worker, smtp_server):
    user = UserFactory(email="amina@example.test")
    with transaction.atomic():
        notification_send(
            recipient=user, key="test:1", subject="Your offer", body="You have an offer.", link="/me/"
        )
        # Nothing leaves before the transaction commits.
        assert smtp_server == []
    wait_until(
        lambda: Notification.objects.filter(key="test:1", emailed_at__isnull=False).exists(),
        what="the worker emailing the notification",
    )
    assert len(smtp_server) == 1
    envelope = smtp_server[0]
    assert envelope.rcpt_tos == ["amina@example.test"]
    text = envelope.content.decode()
    assert "Subject: [AMO] Your offer" in text
    assert "You have an offer." in text
    assert "http://127.0.0.1:8000/me/" in text

    # The same event again, and the same task again: still one email.
    with transaction.atomic():
        again = notification_send(recipient=user, key="test:1", subject="Your offer", body="Other text")
    assert again.body == "You have an offer."
    assert notification_email(notification_id=again.pk) is False
    assert Notification.objects.count() == 1
    assert len(smtp_server) == 1


@pytest.mark.django_db
def test_an_smtp_failure_leaves_the_notification_unsent_for_the_retry(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens on port 1
    notification = notification_send(recipient=UserFactory(), key="test:2", subject="S", body="B")
    with pytest.raises(OSError):
        notification_email(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None


@pytest.mark.django_db
def test_mark_read_touches_only_the_recipients_unread_notifications():
    reader, other = UserFactory(), UserFactory()
    mine = notification_send(recipient=reader, key="r:1", subject="S", body="B")
    notification_send(recipient=reader, key="r:2", subject="S", body="B")
    theirs = notification_send(recipient=other, key="o:1", subject="S", body="B")
    assert notifications_mark_read(recipient=reader, notification_ids=[mine.pk, theirs.pk]) == 1
    assert notifications_mark_read(recipient=reader) == 1
    assert notifications_mark_read(recipient=reader) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
