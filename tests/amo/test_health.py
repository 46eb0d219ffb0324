import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

from amo.tasks import WORKER_HEARTBEAT_KEY

DEAD_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens, the connection is refused at once


@pytest.mark.django_db
def test_healthz_is_200_when_database_redis_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "redis": "ok", "broker": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_healthz_is_503_and_names_redis_and_broker_when_they_are_down(client):
    dead_caches = {alias: {**cache, "LOCATION": DEAD_REDIS} for alias, cache in settings.CACHES.items()}
    with override_settings(CACHES=dead_caches, CELERY_BROKER_URL=DEAD_REDIS):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("down: ")
    assert body["checks"]["broker"].startswith("down: ")
    assert body["worker_last_seen"] is None


def test_health_reports_the_database_down_when_postgres_is_unreachable(tmp_path):
    """A fresh process whose DATABASE_URL points at a socket where no server listens."""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@{str(tmp_path).replace('/', '%2F')}/amo",
        "DJANGO_SETTINGS_MODULE": "amo.settings",
    }
    code = (
        "import json, django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(json.dumps({'http_status': r.status_code, **r.json()}))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout.strip().splitlines()[-1])
    assert body["http_status"] == 503
    assert body["checks"]["database"].startswith("down: OperationalError")
    assert body["checks"]["redis"] == "ok"


@pytest.mark.django_db
def test_healthz_reports_when_a_worker_last_ran(client):
    from django.core.cache import cache

    cache.set(WORKER_HEARTBEAT_KEY, "2026-11-24T10:00:00+00:00")
    assert client.get("/healthz").json()["worker_last_seen"] == "2026-11-24T10:00:00+00:00"


def test_healthz_answers_get_only_and_other_methods_in_json(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["message"] == "This address takes GET or HEAD only."


@pytest.mark.django_db
def test_healthz_answers_plain_http_where_every_other_page_redirects_to_https(client, settings):
    """Load balancers ask over HTTP; a redirect would read as "down"."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/rotations/").status_code == 301


def test_health_payload_is_json(client, db):
    assert json.loads(client.get("/healthz").content)["status"] in {"ok", "down"}


@pytest.mark.django_db
def test_an_unknown_api_address_answers_404_in_the_api_format(client):
    for path in ["/api/v1/", "/api/v1/rotations/not-a-number/", "/api/v1/nothing-here/"]:
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"message": "Not found.", "extra": {"path": path}}


@pytest.mark.django_db
def test_an_unknown_page_answers_the_sites_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_only_the_api_docs_page_allows_inline_styles(client):
    assert "style-src 'self';" in client.get("/").headers["Content-Security-Policy"] + ";"
    assert "'unsafe-inline'" not in client.get("/rotations/").headers["Content-Security-Policy"]
    docs = client.get("/api/docs/").headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in docs
    assert "script-src 'self';" in docs + ";"
