"""Platform tasks. The heartbeat lets /healthz say when a worker last ran a task."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

WORKER_HEARTBEAT_KEY = "health:worker-heartbeat"


@shared_task(acks_late=True, ignore_result=True)
def record_worker_heartbeat() -> str:
    """Store when a worker last ran; idempotent (each run only moves the time forward)."""
    now = timezone.now().isoformat()
    cache.set(WORKER_HEARTBEAT_KEY, now, timeout=None)
    return now
