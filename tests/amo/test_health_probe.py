"""The container probe against a real gunicorn serving production settings."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _probe(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "amo.health_probe"], env=env, capture_output=True, text=True, timeout=30
    )


@pytest.mark.django_db
def test_the_probe_passes_against_gunicorn_behind_https_and_a_real_host_name():
    db = settings.DATABASES["default"]
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "probe-test-k7#Qz9!vR2@mX4$pL8^nW3&bT6*yH1(cJ5)dF0_gS-eA+uK=iO",
        "ALLOWED_HOSTS": "amo.example.com",
        "SECURE_SSL_REDIRECT": "1",
        "AMO_ALLOW_DEV_SECRET": "0",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'].replace('/', '%2F')}"
        f"{':' + str(db['PORT']) if db['PORT'] else ''}/{db['NAME']}",
        "PORT": str(port),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "amo.wsgi:application", "--bind", f"127.0.0.1:{port}", "-w", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while (result := _probe(env)).returncode != 0:
            assert server.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, result.stderr
            time.sleep(0.3)
        # A plain request for localhost, as the old probe made, is turned away by production settings.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status in {301, 400}
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    down = _probe(env)
    assert down.returncode == 1
    assert "unhealthy" in down.stderr
