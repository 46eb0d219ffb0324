"""`make run` end to end: migrate, seed, serve web + worker + beat, and stop them all on a signal."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import psycopg2
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@pytest.fixture
def scratch_database_url():
    """An empty database on the test server, so `run` migrates and seeds from nothing."""
    db = settings.DATABASES["default"]
    name = f"amo_runcheck_{os.getpid()}"
    params = {"host": db["HOST"], "port": db["PORT"] or None, "user": db["USER"], "dbname": "postgres"}
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    admin = psycopg2.connect(**params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    host = db["HOST"].replace("/", "%2F")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    yield f"postgres://{db['USER']}{password}@{host}{port}/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_run_serves_home_and_admin_then_stops_every_process_on_sigint(scratch_database_url):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database_url,
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(os.devnull, "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "amo.devstack", "run"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while _status(f"{base}/") != 200:
            assert process.poll() is None, "make run exited before serving"
            assert time.monotonic() < deadline, "make run did not serve the home page in time"
            time.sleep(0.5)
        assert _status(f"{base}/admin/login/") == 200
        children = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(" ".join(child.cmdline()) for child in children)
        assert "runserver" in names and "worker" in names and "beat" in names
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        log.close()
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == []
