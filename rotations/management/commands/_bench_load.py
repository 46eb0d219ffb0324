"""`manage.py bench --load` (`make bench ARGS=--load`): the catalog under load, served by gunicorn
over loopback with production settings and driven by Locust, beside a trivial view in the same run.

A part of the bench command (bench.py), apart for its length. Per mode (cache warm, then cache off):
gunicorn is started on a free loopback port with the production settings of `load_environment`,
collectstatic has run first (WhiteNoise's manifest storage), every URL is fetched once (any answer
but 200 stops the run), then Locust (tools/locustfile.py, FastHttpUser, no think time, like wrk)
drives it with USERS concurrent users: the trivial view for `seconds`, the mix of anonymous browsing
for `seconds`, and, with the cache off, each catalog scenario alone for `solo_seconds` (the
per-scenario target is about a scenario served alone, not its share of a mix).

The load generator plays the TLS-terminating proxy production has in front of gunicorn: it sends
`X-Forwarded-Proto: https`, which gunicorn trusts from loopback, so the production settings run
unchanged (SSL redirect, secure cookies, HSTS) over plain HTTP on 127.0.0.1.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.utils import get_random_secret_key

from rotations.models import Rotation

USERS = 16
# As the production image runs it (Dockerfile): 3 sync workers, not 2 x cores + 1 (5 here), so the
# figures compare with the catalog's earlier measurements and leave the load generator a core.
GUNICORN_WORKERS = 3
DETAIL_PAGES = 50  # detail requests spread over this many rotations, not one cached page
LOCUSTFILE = settings.BASE_DIR / "tools" / "locustfile.py"
TRIVIAL = "trivial Django view"
MIX = "mix of anonymous browsing"
# The catalog's load targets: warm, the mix at >= half the trivial view's throughput; cold, every catalog
# scenario alone at >= 100 requests/s, p95 under 250 ms and no errors.
WARM_MIX_RATIO = 0.5
COLD_MIN_RPS = 100.0
COLD_MAX_P95_MS = 250.0


@dataclass(frozen=True)
class Scenario:
    name: str
    urls: tuple[str, ...]
    weight: int  # its share of the mix


@dataclass(frozen=True)
class Figures:
    """One row of Locust's stats: requests/s, percentiles (ms) and failures."""

    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 1.0


def load_scenarios() -> list[Scenario]:
    """Anonymous browsing of the catalog: what a visitor does, weighted by how often."""
    details = list(Rotation.objects.published().order_by("pk").values_list("slug", flat=True)[:DETAIL_PAGES])
    if not details:
        raise CommandError("The bench database has no published rotations to load.")
    return [
        Scenario("HTML plain", ("/rotations/",), 3),
        Scenario("HTML search 'externship' (broad)", ("/rotations/?q=externship",), 2),
        Scenario("HTML search 'cardiology' (narrow)", ("/rotations/?q=cardiology",), 2),
        Scenario("HTML filters: specialty+state", ("/rotations/?specialty=internal-medicine&state=TX",), 2),
        Scenario("HTML filter: J-1 visa", ("/rotations/?visa=j1",), 1),
        Scenario("HTML detail", tuple(f"/rotations/{slug}/" for slug in details), 3),
        Scenario("API  list", ("/api/v1/rotations/",), 2),
    ]


def trivial_scenario() -> Scenario:
    return Scenario(TRIVIAL, ("/bench/trivial/",), 1)


def load_environment(base: dict[str, str], *, cache: bool) -> dict[str, str]:
    """The environment gunicorn runs under: production settings, with a key of its own for the run.

    DEBUG off (so WhiteNoise's manifest storage and the secure-cookie/HSTS/SSL-redirect block of
    settings.py apply), no AMO_ALLOW_DEV_SECRET, the SSL redirect on as in production (the load
    generator sends X-Forwarded-Proto: https, see the module's docstring). CATALOG_CACHE_SECONDS=0
    turns the catalog's page cache off for the cold mode; the warm mode keeps the project's default.
    """
    env = {key: value for key, value in base.items() if key != "AMO_ALLOW_DEV_SECRET"}
    return env | {
        "DEBUG": "0",
        "SECRET_KEY": get_random_secret_key(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "1",
        **({} if cache else {"CATALOG_CACHE_SECONDS": "0"}),
        "LOG_LEVEL": "WARNING",
    }


def read_locust_stats(path: Path) -> dict[str, Figures]:
    """Locust's `<prefix>_stats.csv`: one row per request name, plus "Aggregated" for all of them."""
    with path.open(newline="") as stats:
        return {
            row["Name"]: Figures(
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=float(row["Requests/s"]),
                p50=float(row["50%"]),
                p95=float(row["95%"]),
                p99=float(row["99%"]),
            )
            for row in csv.DictReader(stats)
        }


@dataclass(frozen=True)
class ModeResult:
    cache: bool
    trivial: Figures
    mix: Figures
    in_mix: dict[str, Figures]
    alone: dict[str, Figures]


def verdicts(result: ModeResult) -> list[str]:
    """The catalog's load targets for this mode, each figure beside them, ending in "met" or "NOT MET"."""
    if result.cache:
        ratio = result.mix.rps / result.trivial.rps if result.trivial.rps else 0.0
        met = ratio >= WARM_MIX_RATIO
        return [
            f"cache warm: mix {result.mix.rps:.0f} req/s = {ratio:.3g}x the trivial view's "
            f"{result.trivial.rps:.0f} (target >= {WARM_MIX_RATIO}x): {'met' if met else 'NOT MET'}"
        ]
    lines = [
        f"cache off, each scenario alone (target >= {COLD_MIN_RPS:.0f} req/s, "
        f"p95 < {COLD_MAX_P95_MS:.0f} ms, no errors):"
    ]
    for name, figures in result.alone.items():
        met = figures.rps >= COLD_MIN_RPS and figures.p95 < COLD_MAX_P95_MS and figures.failures == 0
        lines.append(
            f"  {name}: {figures.rps:.0f} req/s, p95 {figures.p95:.0f} ms, {figures.failures} errors: "
            + ("met" if met else "NOT MET")
        )
    return lines


def write_load_table(out, results: list[ModeResult]) -> None:
    header = (
        f"{'mode':<6} {'scenario':<46} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7}"
    )
    out.write(header + "\n" + "-" * len(header))

    def row(mode: str, name: str, figures: Figures) -> None:
        out.write(
            f"{mode:<6} {name:<46} {figures.rps:7.1f} {figures.p50:7.0f} {figures.p95:7.0f} "
            f"{figures.p99:7.0f} {figures.error_rate:6.1%}"
        )

    for result in results:
        mode = "warm" if result.cache else "cold"
        row(mode, f"{TRIVIAL} (floor)", result.trivial)
        row(mode, f"{MIX} (all below)", result.mix)
        for name, figures in result.in_mix.items():
            row(mode, f"  {name}", figures)
        for name, figures in result.alone.items():
            row(mode, f"{name} (alone)", figures)
    out.write("")
    for result in results:
        for line in verdicts(result):
            out.write(line)


class _RedirectRefused(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the redirect is answered as an HTTPError


NO_REDIRECTS = urllib.request.build_opener(_RedirectRefused)


class LoadBench:
    """The bench command's `--load`: a part of the command class (bench.py)."""

    def measure_load(self, *, seconds: int, solo_seconds: int) -> None:
        scenarios = load_scenarios()
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        self.stdout.write(
            f"\nLoad test: gunicorn ({GUNICORN_WORKERS} sync workers) on loopback, production settings "
            f"(DEBUG off, manifest static files, HTTPS as told by X-Forwarded-Proto), driven by Locust with "
            f"{USERS} users and no think time: the trivial view and the mix for {seconds} s each, "
            f"with the cache off each catalog scenario alone for {solo_seconds} s.\n"
            f"{os.cpu_count()} CPUs shared by server, database and load generator; load average {load} "
            "at the start.\n"
        )
        subprocess.run(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
            env=load_environment(dict(os.environ), cache=True),
            check=True,
        )
        results = [
            self._load_mode(scenarios, cache=True, seconds=seconds, solo_seconds=0),
            self._load_mode(scenarios, cache=False, seconds=seconds, solo_seconds=solo_seconds),
        ]
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        self.stdout.write(f"\nLoad average at the end: {load}.\n")
        write_load_table(self.stdout, results)

    def _load_mode(
        self, scenarios: list[Scenario], *, cache: bool, seconds: int, solo_seconds: int
    ) -> ModeResult:
        self.stderr.write(f"Load test, cache {'warm' if cache else 'off'}: starting gunicorn")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        base_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "rotations.management.commands._load_wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(GUNICORN_WORKERS),
                "--log-level",
                "warning",
            ],
            cwd=settings.BASE_DIR,
            env=load_environment(dict(os.environ), cache=cache),
            start_new_session=True,
        )
        try:
            self._wait_for_server(server, base_url)
            for scenario in [trivial_scenario(), *scenarios]:
                for url in scenario.urls:  # every URL answers, and the cache (if on) holds each page
                    self._fetch(base_url + url)
            with tempfile.TemporaryDirectory(prefix="amo-load-") as folder:
                trivial = self._locust(base_url, [trivial_scenario()], seconds, Path(folder) / "trivial")
                mixed = self._locust(base_url, scenarios, seconds, Path(folder) / "mix")
                alone = {}
                if solo_seconds:
                    for index, scenario in enumerate(scenarios):
                        stats = self._locust(
                            base_url, [scenario], solo_seconds, Path(folder) / f"solo{index}"
                        )
                        alone[scenario.name] = stats[scenario.name]
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        return ModeResult(
            cache=cache,
            trivial=trivial[TRIVIAL],
            mix=mixed["Aggregated"],
            in_mix={scenario.name: mixed[scenario.name] for scenario in scenarios},
            alone=alone,
        )

    def _locust(self, base_url: str, scenarios: list[Scenario], seconds: int, prefix: Path) -> dict:
        names = ", ".join(scenario.name for scenario in scenarios)
        self.stderr.write(f"  {seconds} s: {names}")
        plan = [{"name": s.name, "urls": list(s.urls), "weight": s.weight} for s in scenarios]
        locust = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(USERS),
            "--run-time",
            f"{seconds}s",
            "--host",
            base_url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        # Locust exits non-zero when any request failed: the failures are in the table, not an abort.
        # Its own summary (on stderr) is kept for when it wrote no statistics.
        run = subprocess.run(
            locust,
            env={**os.environ, "AMO_LOAD_PLAN": json.dumps(plan)},
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
        stats = Path(f"{prefix}_stats.csv")
        if not stats.exists():
            raise CommandError(f"Locust wrote no statistics for {names}:\n{run.stderr[-3000:]}")
        return read_locust_stats(stats)

    @staticmethod
    def _fetch(url: str) -> None:
        """GET `url` as the load generator does; anything but a 200 (a redirect too) stops the run."""
        request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
        try:
            with NO_REDIRECTS.open(request, timeout=60) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise CommandError(f"{url} answered {error.code} under production settings.") from error

    @staticmethod
    def _wait_for_server(server: subprocess.Popen, base_url: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited with {server.returncode}.")
            try:
                LoadBench._fetch(f"{base_url}/bench/trivial/")
                return
            except OSError:
                time.sleep(0.5)
        raise CommandError(f"gunicorn did not answer within {timeout:.0f}s.")
