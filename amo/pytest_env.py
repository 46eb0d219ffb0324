"""A pytest plugin (pyproject: -p amo.pytest_env), loaded before pytest-django reads the settings:
test-only environment defaults."""

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("AMO_ALLOW_DEV_SECRET", "1")
os.environ.setdefault("EMAIL_URL", "locmem://")
# Test databases are thrown away: commits need not wait for the disk (settings.py).
os.environ.setdefault("DATABASE_SYNCHRONOUS_COMMIT", "off")
# Sweeps and schema runs send thousands of API requests from one address and one account; the
# throttle's own test sets its low rates. Per second, so the counters stay short.
os.environ.setdefault("API_THROTTLE_ANON", "1000/second")
os.environ.setdefault("API_THROTTLE_USER", "1000/second")


def _redis_url_on_test_db(url: str, db: str = "13") -> str:
    """Tests use their own Redis databases (13, and 14 and 15 after it: settings.py) so a `make run`
    worker never takes their tasks."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = db
        # urlunsplit drops the empty host of unix:///path, which redis-py refuses.
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


if os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = _redis_url_on_test_db(os.environ["REDIS_URL"])
