"""Health of what the app depends on: the database, Redis and the Celery broker."""

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection

from amo.tasks import WORKER_HEARTBEAT_KEY

TIMEOUT_SECONDS = 2


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _redis() -> None:
    """The caches' Redis (the broker's is the next check): rate limits and the heartbeat live there."""
    client = redis.Redis.from_url(
        settings.CACHES["default"]["LOCATION"],
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def _broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)


CHECKS = {"database": _database, "redis": _redis, "broker": _broker}


def check_health() -> dict[str, str]:
    """Return each dependency's state: "ok", or "down: <reason>"."""
    states = {}
    for name, check in CHECKS.items():
        try:
            check()
            states[name] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure means the dependency is down
            states[name] = f"down: {type(error).__name__}: {error}"[:300]
    return states


def worker_last_seen() -> str | None:
    """When a Celery worker last ran the heartbeat task (ISO time), if Redis can tell."""
    try:
        return cache.get(WORKER_HEARTBEAT_KEY)
    except Exception:  # noqa: BLE001 - Redis being down is already reported by check_health
        return None
