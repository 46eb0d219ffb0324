"""`make run` end to end: migrate, seed, serve web + worker + beat, and stop them all on a signal."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import psycopg2
import pytest
import redis
from django.conf import settings
from django.db import connection

from amo.settings import redis_database_url
from seeding.accounts import DEMO_LOGINS
from seeding.catalog import DEMO_ORGANIZATION_SLUG

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


@contextmanager
def make_run(database_url: str, tmp_path: Path):
    """`tools/devstack.py run` (what `make run` runs) on `database_url`, serving on a free port;
    yields (process, base URL, log path) once the home page answers, and stops it with SIGINT."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if os.environ.get("REDIS_URL"):
        # The three Redis databases before the suite's, emptied: its worker never takes a task the
        # suite left queued for rows of the test database (it would not find them in the scratch one).
        env["REDIS_URL"] = redis_database_url(os.environ["REDIS_URL"], -3)
        for offset in range(3):
            redis.Redis.from_url(redis_database_url(env["REDIS_URL"], offset)).flushdb()
    log_path = tmp_path / "run.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "tools/devstack.py", "run"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while _status(f"{base}/") != 200:
            assert process.poll() is None, "make run exited before serving"
            assert time.monotonic() < deadline, "make run did not serve the home page in time"
            time.sleep(0.5)
        yield process, base, log_path
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        log.close()


def test_run_serves_home_and_admin_then_stops_every_process_on_sigint(scratch_database_url, tmp_path):
    with make_run(scratch_database_url, tmp_path) as (process, base, log_path):
        assert _status(f"{base}/admin/login/") == 200
        children = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(" ".join(child.cmdline()) for child in children)
        assert "runserver" in names and "worker" in names and "beat" in names
        # Exactly one beat, and no worker that runs one inside it (-B).
        assert sum("beat" in child.cmdline() for child in children) == 1
        assert not any({"-B", "--beat"} & set(child.cmdline()) for child in children)
        # The speed-up tests take never reaches what `make run` serves.
        assert all("DATABASE_SYNCHRONOUS_COMMIT" not in child.environ() for child in children)
        # Pay pages load the stripe.js localstripe serves, which confirms payments with it.
        stripe_js = f"{settings.STRIPE_API_BASE}/js.stripe.com/v3/"
        assert all(child.environ().get("STRIPE_JS_URL") == stripe_js for child in children)
        deadline = time.monotonic() + 120
        while "AMO is ready at" not in log_path.read_text():
            assert time.monotonic() < deadline, "make run never printed its ready block"
            time.sleep(0.5)
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == []
    output = log_path.read_text()
    block = output[output.index("AMO is ready at") :]
    assert output.count("AMO is ready at") == 1
    assert f"AMO is ready at {base}/" in block
    for email, password in DEMO_LOGINS.values():
        assert f"{email}  /  {password}" in block
    # localstripe's address, and where it sends its signed events (registered before serving).
    assert f"localstripe:  {settings.STRIPE_API_BASE}" in block
    assert f"its webhooks: http://127.0.0.1:{base.rsplit(':', 1)[1]}/payments/stripe/webhook/" in block
    assert "test card:    4242 4242 4242 4242" in block
    # Printed once everything answered: no start-up chatter of ours after it.
    assert "[devstack] starting" not in block
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert "[devstack] SIGINT: stopped everything this run started" in output


def _coordinator_token(database_url: str) -> str:
    """An API token of the demo coordinator, issued by the service the tokens page calls."""
    code = (
        "from amo.models import User; from amo.services import api_token_create; "
        f"user = User.objects.get(email={DEMO_LOGINS['host coordinator'][0]!r}); "
        "print(api_token_create(user=user, name='make run check', lifetime_days=30)[1])"
    )
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _api(base: str, token: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1/host/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={
            "Authorization": f"Token {token}",
            "X-Organization": DEMO_ORGANIZATION_SLUG,
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_make_run_expires_an_offer_made_through_the_api_within_two_minutes(scratch_database_url, tmp_path):
    """The running stack's beat sends the sweep every minute and its worker runs it: an offer whose
    deadline is a minute ahead is expired within two, and its seat is free again."""
    with make_run(scratch_database_url, tmp_path) as (_process, base, _log_path):
        token = _coordinator_token(scratch_database_url)
        status, queue = _api(base, token, "applications/?status=submitted")
        assert status == 200 and queue["results"], queue
        application = queue["results"][0]
        status, block = _api(base, token, f"blocks/{application['block']}/")
        assert status == 200
        free_before = block["seats_left"]

        deadline = datetime.now(UTC) + timedelta(minutes=1)
        status, offered = _api(
            base, token, f"applications/{application['id']}/offer/", {"expires_at": deadline.isoformat()}
        )
        assert status == 200, offered
        assert offered["status"] == "offered"
        assert _api(base, token, f"blocks/{application['block']}/")[1]["seats_left"] == free_before - 1

        waited_until = time.monotonic() + 150
        while (now := _api(base, token, f"applications/{application['id']}/")[1])["status"] == "offered":
            assert time.monotonic() < waited_until, "make run did not expire the offer within 150 s"
            time.sleep(2)
        assert (now["status"], now["hold_expires_at"]) == ("expired", None)
        assert datetime.now(UTC) >= deadline
        block = _api(base, token, f"blocks/{application['block']}/")[1]
        assert block["seats_left"] == free_before


def test_make_run_databases_commit_durably_and_only_tests_skip_the_wait(db):
    """The embedded server itself keeps synchronous_commit on; only the test session turns it off."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"
    db_settings = settings.DATABASES["default"]
    params = {"host": db_settings["HOST"], "port": db_settings["PORT"] or None, "user": db_settings["USER"]}
    if db_settings.get("PASSWORD"):
        params["password"] = db_settings["PASSWORD"]
    plain = psycopg2.connect(dbname="postgres", **params)
    try:
        with plain.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    finally:
        plain.close()


def test_make_test_without_chromium_stops_at_once_naming_the_command(tmp_path):
    """Where it cannot install Chromium (here: no apt-get on PATH), `make test` stops before the
    suite and before starting any service, in seconds, naming the command to run."""
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {"PATH": str(empty_bin), "HOME": str(tmp_path)}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "tools/devstack.py", "test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "sudo apt-get install -y chromium" in result.stderr
    assert time.monotonic() - started < 20
    assert "starting" not in result.stdout


def test_make_test_needs_no_chromium_for_a_selection_without_browser_tests():
    from tools.devstack import _browser_tests_selected

    assert _browser_tests_selected([])
    assert _browser_tests_selected(["-k", "health", "-x"])
    assert _browser_tests_selected(["tests"])
    assert _browser_tests_selected(["tests/browser/test_home.py::test_x"])
    assert not _browser_tests_selected(["tests/rotations", "-x"])
    assert not _browser_tests_selected(["tests/amo/test_health.py"])


@contextmanager
def _port_taken():
    """A port some other server listens on, as a first checkout's `make run` would."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def _suggested_port(output: str) -> int:
    match = re.search(r"PORT=(\d+) make run", output)
    assert match, output
    return int(match[1])


def test_make_run_in_a_fresh_checkout_with_the_port_taken_stops_before_installing(tmp_path):
    """A second checkout: nothing installed yet. The port is checked before the install (about a
    minute), and the message names a free port to serve on."""
    checkout = tmp_path / "checkout"
    (checkout / "tools").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "constraints.txt", "tools/devstack.py"):
        shutil.copy(ROOT / name, checkout / name)
    with _port_taken() as port:
        started = time.monotonic()
        result = subprocess.run(
            ["make", "run"],
            cwd=checkout,
            env={**os.environ, "PORT": str(port), "PYTHON": sys.executable},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert time.monotonic() - started < 10
        output = result.stdout + result.stderr
        assert f"Port {port} on 127.0.0.1 is already in use" in output
        suggested = _suggested_port(output)
        assert suggested != port
    with socket.socket() as other:
        other.bind(("127.0.0.1", suggested))  # the port it names is free
    assert not (checkout / ".venv").exists()
    assert "pip" not in output


def test_run_with_the_port_taken_stops_before_starting_or_reusing_any_service():
    with _port_taken() as port:
        env = {**os.environ, "PORT": str(port)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        result = subprocess.run(
            [sys.executable, "tools/devstack.py", "run"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"PORT={_suggested_port(result.stderr)} make run" in result.stderr
    assert "localstripe" not in result.stdout and "migrations" not in result.stdout


def test_sigterm_while_starting_stops_every_process_without_a_traceback(scratch_database_url, tmp_path):
    """`kill` during the migrations (an empty database: they take seconds) ends the run through its
    cleanup, quietly: no KeyboardInterrupt traceback, and no child left running."""
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database_url,
        "PORT": str(_free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "tools/devstack.py", "run"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 60
        while "Applying" not in log_path.read_text():
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the migrations did not start"
            time.sleep(0.1)
        children = psutil.Process(process.pid).children(recursive=True)
        assert any("migrate" in " ".join(child.cmdline()) for child in children)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    output = log_path.read_text()
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert "[devstack] SIGTERM: stopped everything this run started" in output
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
