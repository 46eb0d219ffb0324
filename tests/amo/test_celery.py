import ast

import pytest
from django.conf import settings
from django.core.cache import cache

from amo.celery import app as celery_app
from amo.tasks import WORKER_HEARTBEAT_KEY, record_worker_heartbeat
from tests.amo.test_transactions import ROOT, app_modules
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


# --- Nothing waits in a worker longer than Redis keeps a task it gave out -------------------------

DELAY_KEYWORDS = {"countdown", "eta", "retry_backoff_max", "default_retry_delay", "time_limit"}


def visibility_timeout() -> int:
    return celery_app.conf.broker_transport_options["visibility_timeout"]


def delays_written(tree: ast.AST) -> list[tuple[int, str, object]]:
    """Each delay the code names, as a call's keyword (apply_async(countdown=...), shared_task(
    retry_backoff_max=...)) or a key of a dict of task options: its line, name and value (the
    number, or the source text when it is not a constant)."""
    found = []
    for node in ast.walk(tree):
        pairs = []
        if isinstance(node, ast.Call):
            pairs = [(keyword.arg, keyword.value) for keyword in node.keywords]
        elif isinstance(node, ast.Dict):
            pairs = [
                (getattr(key, "value", None), value)
                for key, value in zip(node.keys, node.values, strict=True)
            ]
        for name, value in pairs:
            if name in DELAY_KEYWORDS:
                number = value.value if isinstance(value, ast.Constant) else ast.unparse(value)
                found.append((node.lineno, name, number))
    return found


def too_long(delays: list[tuple[int, str, object]], limit: int) -> list[tuple[int, str, object]]:
    """The delays not known to stay below `limit` seconds: longer, or not a constant (an eta is a
    moment, never a constant: it is refused, say a countdown instead)."""
    return [delay for delay in delays if not isinstance(delay[2], int | float) or delay[2] >= limit]


def test_the_broker_visibility_timeout_is_set_explicitly():
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == visibility_timeout() == 3600


def test_no_countdown_eta_retry_delay_or_time_limit_reaches_the_brokers_visibility_timeout():
    """Redis gives a task taken but not acknowledged to another worker after the visibility
    timeout; a worker holding it longer (waiting for its countdown, or running it) runs it twice."""
    found = {
        f"{path.relative_to(ROOT)}:{line} {name}={value}"
        for path, tree in app_modules()
        for line, name, value in too_long(delays_written(tree), visibility_timeout())
    }
    assert found == set()
    # What the tasks end up with, defaults included (Celery's own retry_backoff_max is 600).
    celery_app.loader.import_default_modules()
    for task in celery_app.tasks.values():
        if task.name.startswith("celery."):
            continue
        backoff = getattr(task, "retry_backoff", False)  # set by autoretry_for only
        for delay in (task.retry_backoff_max if backoff else 0, task.default_retry_delay):
            assert delay < visibility_timeout(), task.name
        assert (task.time_limit or settings.CELERY_TASK_TIME_LIMIT) < visibility_timeout(), task.name


def test_the_delay_scan_refuses_a_long_countdown_and_any_eta():
    code = ast.parse(
        "task.apply_async(countdown=7200)\n"
        "task.apply_async(countdown=60)\n"
        "task.apply_async(eta=now() + timedelta(hours=2))\n"
        "OPTIONS = {'retry_backoff_max': 3600}\n"
        "task.retry(countdown=delay)\n"
    )
    assert too_long(delays_written(code), 3600) == [
        (1, "countdown", 7200),
        (3, "eta", "now() + timedelta(hours=2)"),
        (4, "retry_backoff_max", 3600),
        (5, "countdown", "delay"),
    ]
