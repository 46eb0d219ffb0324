import pytest
from django.core.cache import cache

from amo.tasks import WORKER_HEARTBEAT_KEY, record_worker_heartbeat
from tests.waiting import wait_until


@pytest.mark.celery_worker
def test_a_real_worker_runs_the_heartbeat_task_through_redis(celery_worker):
    assert cache.get(WORKER_HEARTBEAT_KEY) is None
    result = record_worker_heartbeat.apply_async()
    # The worker thread consumed the message from Redis; wait for its effect, not for a sleep.
    stamp = wait_until(lambda: cache.get(WORKER_HEARTBEAT_KEY), what=f"a worker running task {result.id}")
    assert cache.get(WORKER_HEARTBEAT_KEY) == stamp


def test_beat_schedules_the_heartbeat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry["task"] == record_worker_heartbeat.name


def test_beat_schedules_the_daily_catalog_refresh(settings):
    from rotations.tasks import catalog_refresh

    entry = settings.CELERY_BEAT_SCHEDULE["catalog-refresh"]
    assert entry["task"] == catalog_refresh.name
    assert entry["schedule"].hour == {3}
