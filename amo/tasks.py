"""Platform tasks: the worker heartbeat for /healthz, emailing notifications (and relaying them), and
the reminders sweep."""

from smtplib import SMTPException

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from amo import reminders, services
from amo.transactions import enqueue_on_commit

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


# A backlog above this many due reminders is shared: the sweep asks this many more workers to
# send alongside it (they skip each other's locked rows).
REMINDERS_SHARED_ABOVE = 500
REMINDERS_HELPERS = 3


# A run stops taking rows after amo.reminders.SWEEP_SECONDS; the soft limit ends one whose last
# email hangs (the row in hand rolls back and stays due), the hard limit one that ignores it.
REMINDERS_TASK_OPTIONS = {"acks_late": True, "ignore_result": True, "time_limit": 60, "soft_time_limit": 58}


@shared_task(**REMINDERS_TASK_OPTIONS)
def reminders_sweep() -> int:
    """Every minute (beat): send the reminders that are due, each once (amo.reminders). Safe when
    two beats run by mistake, or a killed run is redelivered: rows are taken under SKIP LOCKED and
    marked sent in the transaction that sends them."""
    if reminders.reminders_due_count() > REMINDERS_SHARED_ABOVE:
        for _ in range(REMINDERS_HELPERS):
            enqueue_on_commit(reminders_send)
    return reminders.reminders_send_due()


@shared_task(**REMINDERS_TASK_OPTIONS)
def reminders_send() -> int:
    """A helper of the sweep while a backlog lasts: the same work, in another worker process."""
    return reminders.reminders_send_due()


@shared_task(**EMAIL_TASK_OPTIONS)
def reminder_send_now(key: str) -> bool:
    """Send one reminder at once, ahead of its due time (amo.reminders.reminder_send_now); the sweep
    sends it when its time comes if this never ran. Idempotent: a reminder is sent once."""
    return reminders.reminder_send_now(key=key)
