import pytest
from django.core.cache import cache

from amo.tasks import WORKER_HEARTBEAT_KEY, record_worker_heartbeat


@pytest.mark.celery_worker
def test_a_real_worker_runs_the_heartbeat_task_through_redis(celery_worker):
    assert cache.get(WORKER_HEARTBEAT_KEY) is None
    result = record_worker_heartbeat.apply_async()
    # The worker thread consumed the message from Redis; wait for its effect, not for a sleep.
    stamp = _wait_for_heartbeat(result.id)
    assert stamp is not None
    assert cache.get(WORKER_HEARTBEAT_KEY) == stamp


def _wait_for_heartbeat(task_id: str, timeout: float = 20.0) -> str | None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cache.get(WORKER_HEARTBEAT_KEY)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"no worker ran task {task_id} within {timeout}s")


def test_beat_schedules_the_heartbeat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry["task"] == record_worker_heartbeat.name
