"""`make bench`: server time and SQL queries per request of the catalog at 100,000 rotations.

The scale data lives in its own database, `<name>_bench` on the same server, so the demo database
stays small: the command creates it, migrates it and re-runs itself there. Each scenario is
served in-process by Django's WSGI handler with the full middleware stack, DEBUG off,
p50/p95 over --requests requests after a warm-up; queries are counted on a separate request.
A trivial view served the same way in the same run is the framework's floor.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path
from django.utils import timezone

from amo.databases import create_database_if_missing
from rotations.models import Rotation
from seeding.bench_catalog import (
    catalog_vacuum_analyze,
    scale_catalog_count,
    scale_catalog_remove,
    seed_scale_catalog,
)

BENCH_SUFFIX = "_bench"
TARGET_P95_MS = 50.0
MAX_QUERIES = 6


def trivial(request):
    return HttpResponse("ok")


# The project's URLs plus the trivial view, used only while measuring.
urlpatterns = [path("bench/trivial/", trivial), path("", include("amo.urls"))]


def scenarios() -> list[tuple[str, str]]:
    next_month = (timezone.localdate().replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    detail = Rotation.objects.published().order_by("pk").values_list("pk", "slug").first()
    cases = [
        ("plain", ""),
        ("plain, 100 per page", "page_size=100"),
        ("plain, page 50", "page=50"),
        ("search 'cardiology'", "q=cardiology"),
        ("search 'externship' (many hits)", "q=externship"),
        ("typo search 'cardiolgy chicgo'", "q=cardiolgy+chicgo"),
        (
            "filters: specialty+state+open seats, by price",
            "specialty=internal-medicine&state=TX&open_seats=true&sort=price",
        ),
        (
            "filters: type+month+max price+LoR",
            f"type=hands_on&start_month={next_month}&max_price=3000&lor=true",
        ),
        ("search + filters: 'research' J-1, soonest", "q=research&visa=j1&sort=soonest"),
        ("filters, 100 per page", "type=observership&open_seats=true&page_size=100"),
    ]
    rows = [("trivial Django view (floor)", "/bench/trivial/")]
    rows += [(f"HTML {name}", f"/rotations/?{query}") for name, query in cases]
    rows += [(f"API  {name}", f"/api/v1/rotations/?{query}") for name, query in cases]
    if detail:
        rows += [
            ("HTML detail", f"/rotations/{detail[1]}/"),
            ("API  detail", f"/api/v1/rotations/{detail[0]}/"),
        ]
    return rows


class Command(BaseCommand):
    help = (
        "Seed 100,000 rotations into a dedicated database (once) and print p50/p95 and queries per request."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rotations", type=int, default=100_000, help="published rotations (4 blocks each)"
        )
        parser.add_argument("--requests", type=int, default=200, help="measured requests per scenario")
        parser.add_argument("--reseed", action="store_true", help="drop the scale data and insert it again")
        parser.add_argument("--in-place", action="store_true", help="measure the current database (internal)")

    def handle(self, *args, rotations, requests, reseed, in_place, **options):
        name = settings.DATABASES["default"]["NAME"]
        if in_place or name.endswith(BENCH_SUFFIX):
            return self.measure(rotations=rotations, requests=requests, reseed=reseed)
        bench_name = name + BENCH_SUFFIX
        self._create_database(bench_name)
        env = {
            **os.environ,
            "DATABASE_URL": urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{bench_name}").geturl(),
            "DEBUG": "0",
            "AMO_ALLOW_DEV_SECRET": "1",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
        }
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        self.stderr.write(f"Benchmark database: {bench_name}")
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        argv = ["bench", "--in-place", f"--rotations={rotations}", f"--requests={requests}"]
        subprocess.run([*manage, *argv, *(["--reseed"] if reseed else [])], env=env, check=True)

    def _create_database(self, name: str) -> None:
        db = settings.DATABASES["default"]
        create_database_if_missing(
            name, user=db["USER"], host=db["HOST"], port=db["PORT"] or None, password=db["PASSWORD"]
        )

    def measure(self, *, rotations: int, requests: int, reseed: bool) -> None:
        present = scale_catalog_count()
        if reseed or present != rotations:
            if present:
                self.stderr.write(f"Removing {present:,} benchmark rotations")
                scale_catalog_remove()
            self.stderr.write(f"Inserting {rotations:,} rotations and {rotations * 4:,} blocks")
            started = time.monotonic()
            seed_scale_catalog(rotations, stream=self.stderr._out)
            catalog_vacuum_analyze()
            self.stderr.write(f"Seeded in {time.monotonic() - started:.0f}s")
        static = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(ROOT_URLCONF=__name__, DEBUG=False, STORAGES=static):
            self._measure_all(rotations=rotations, requests=requests)

    def _measure_all(self, *, rotations: int, requests: int) -> None:
        handler = WSGIHandler()
        blocks = rotations * 4
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        self.stdout.write(
            f"\n{rotations:,} published rotations, {blocks:,} blocks; {os.cpu_count()} CPUs, load average "
            f"{load} at the start (other work on the machine shows in p95).\n"
            f"{requests} requests per scenario, "
            f"in-process by the WSGI handler (full middleware stack), DEBUG off.\n"
        )
        header = f"{'scenario':<58} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'p50/floor':>9}"
        self.stdout.write(header + "\n" + "-" * len(header))
        floor = None
        failures = []
        for name, url in scenarios():
            for _ in range(5):
                self._get(handler, url)
            timings = []
            for _ in range(requests):
                started = time.perf_counter()
                self._get(handler, url)
                timings.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                self._get(handler, url)
            p50 = statistics.median(timings)
            p95 = statistics.quantiles(timings, n=20)[-1]
            floor = floor or p50
            self.stdout.write(f"{name:<58} {p50:7.1f} {p95:7.1f} {len(queries):7d} {p50 / floor:8.1f}x")
            if url != "/bench/trivial/" and (p95 > TARGET_P95_MS or len(queries) > MAX_QUERIES):
                failures.append(name)
        self.stdout.write(
            f"\nTarget: p95 under {TARGET_P95_MS:.0f} ms and at most {MAX_QUERIES} queries per request. "
            + (f"Over target: {', '.join(failures)}" if failures else "All scenarios within target.")
        )

    def _get(self, handler: WSGIHandler, url: str) -> None:
        path_info, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
        }
        statuses = []
        body = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(body)
        body.close()
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"{url} answered {statuses[0]}")
