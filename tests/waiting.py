"""Waiting for what a real worker does in another thread: poll for the effect, never sleep a guess.
And racing: `run_at_once` starts many callers together, each on its own connection, bounded in time."""

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

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


# --- Many callers at once, each on its own connection ------------------------------------------------


@dataclass
class Outcome:
    """What one caller of `run_at_once` ended with: its result or the exception it raised."""

    name: str
    result: Any = None
    error: BaseException | None = None
    pid: int | None = None  # its database backend, whose query is cancelled if it outlives the timeout


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def run_at_once(
    callables: Mapping[str, Callable[[], Any]] | Sequence[Callable[[], Any]], *, timeout: float = 20.0
) -> list[Outcome]:
    """Run each callable in its own thread on its own database connection, released together.

    Every thread opens its connection first and waits at a barrier, so connecting is not part of
    the race; then all start at once. Returns one Outcome per callable, in order (a mapping's keys
    name them). Connections are closed as each thread ends. Needs committed data (transactional_db).

    Bounded: a thread still running after `timeout` seconds has its query cancelled
    (pg_cancel_backend) and the test fails naming it, instead of the suite hanging.
    """
    named = (
        list(callables.items())
        if isinstance(callables, Mapping)
        else [(f"{i}:{getattr(c, '__name__', 'callable')}", c) for i, c in enumerate(callables)]
    )
    outcomes = [Outcome(name) for name, _ in named]
    barrier = threading.Barrier(len(named))

    def run(outcome: Outcome, call: Callable[[], Any]) -> None:
        try:
            outcome.pid = _backend_pid()
            barrier.wait(timeout=timeout)
            outcome.result = call()
        except BaseException as error:  # the outcome under test: the caller judges it
            outcome.error = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(outcome, call), name=f"at-once {outcome.name}", daemon=True)
        for outcome, (_, call) in zip(outcomes, named, strict=True)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = [outcome for outcome, thread in zip(outcomes, threads, strict=True) if thread.is_alive()]
    if stuck:
        pids = [outcome.pid for outcome in stuck if outcome.pid is not None]
        if pids:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_cancel_backend(pid) FROM unnest(%s::int[]) AS pid", [pids])
        for thread in threads:
            thread.join(timeout=5)
        raise AssertionError(
            f"{len(stuck)} of {len(named)} callers were still running after {timeout:.0f}s "
            f"(their queries were cancelled): {', '.join(outcome.name for outcome in stuck)}"
        )
    return outcomes
