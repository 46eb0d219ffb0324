"""Platform tasks: the worker heartbeat for /healthz, and emailing notifications (and relaying them)."""

from smtplib import SMTPException

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from amo import services

WORKER_HEARTBEAT_KEY = "health:worker-heartbeat"


@shared_task(acks_late=True, ignore_result=True)
def record_worker_heartbeat() -> str:
    """Store when a worker last ran; idempotent (each run only moves the time forward)."""
    now = timezone.now().isoformat()
    cache.set(WORKER_HEARTBEAT_KEY, now, timeout=None)
    return now


# Every task that sends mail: retried with backoff while the mail server is unreachable.
EMAIL_TASK_OPTIONS = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
}


@shared_task(**EMAIL_TASK_OPTIONS)
def email_notification(notification_id: int) -> bool:
    return services.notification_email(notification_id=notification_id)


@shared_task(acks_late=True, ignore_result=True, time_limit=55, soft_time_limit=50)
def notifications_relay() -> int:
    """Every minute (beat): email the notifications whose own task never did (amo.services.emails_relay).
    Idempotent: a notification is emailed once, whoever sends it. The time limit keeps one run
    inside its minute."""
    return services.notifications_relay()
