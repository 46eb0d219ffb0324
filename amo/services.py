"""Platform writes shared by every app: notifications."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from amo.models import Notification, User


def notification_send(*, recipient: User, key: str, subject: str, body: str, link: str = "") -> Notification:
    """Record a notification once per `key` and email it after the caller's transaction commits.

    Calling it again with the same key returns the first notification and sends nothing, so
    services and tasks may call it on every retry.
    """
    notification, created = Notification.objects.get_or_create(
        key=key, defaults={"recipient": recipient, "subject": subject, "body": body, "link": link}
    )
    if created:
        from amo.tasks import email_notification

        transaction.on_commit(lambda: email_notification.delay(notification.pk))
    return notification


def notification_email(*, notification_id: int) -> bool:
    """Email one notification unless it was already emailed; True when this call sent it.

    The row lock makes two workers that got the same task send one email between them; a mail
    server error rolls back and the task retries.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("recipient").get(pk=notification_id)
        )
        if notification.emailed_at is not None:
            return False
        body = notification.body
        if notification.link:
            body = f"{body}\n\n{settings.SITE_URL}{notification.link}"
        send_mail(
            notification.subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return True


def notifications_mark_read(*, recipient: User, notification_ids: list[int] | None = None) -> int:
    """Mark the recipient's notifications read (all unread ones when no ids are given)."""
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
