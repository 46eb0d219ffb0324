"""Platform writes shared by every app: the site's identity, notifications."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.apps import apps as global_apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import DEFAULT_DB_ALIAS, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from amo.models import Notification, User


def site_sync(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS, **signal_kwargs) -> None:
    """Make the Site row (SITE_ID) say what SITE_NAME and SITE_URL say.

    allauth's emails speak as this row ("Hello from <name>", subjects "[<name>] ..."); left alone it
    is django.contrib.sites' "example.com", which reads as phishing. Run by the amo migration for a
    new database and after every `migrate` (post_migrate), so a changed setting is followed.
    """
    from django.contrib.sites.models import SITE_CACHE

    Site = apps.get_model("sites", "Site")
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": urlsplit(settings.SITE_URL).netloc, "name": settings.SITE_NAME},
    )
    SITE_CACHE.clear()


def email_subject(subject: str) -> str:
    """A subject as every email of ours starts, allauth's included: "[<SITE_NAME>] ..."."""
    return f"[{settings.SITE_NAME}] {subject}"


def email_signature() -> str:
    """How every email of ours ends, allauth's included: the product's name and address."""
    return render_to_string(
        "email/signature.txt", {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
    ).strip()


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
        body = f"{body}\n\n{email_signature()}"
        send_mail(
            email_subject(notification.subject),
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
