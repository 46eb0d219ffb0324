"""Waiting for what a real worker does in another thread: poll for the effect, never sleep a guess."""

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def wait_until(probe: Callable[[], T], *, what: str, timeout: float = 20.0) -> T:
    """Return the first truthy result of `probe`; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout:.0f}s")


def a_query_waits_for_a_lock() -> bool:
    """Whether some connection to the test database is queued behind a row lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0
