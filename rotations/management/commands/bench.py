"""`make bench`: server time and SQL queries per request of the catalog at 100,000 rotations, seat
holds under a crowd: 200 applicants booking a 5-seat block at once, payments under a crowd: 200
applicants paying for the last seats of a 5-seat block at once, and 10,000 reminders falling due at
once (`--only catalog|holds|payments|reminders`).

The scale data lives in its own database, `<name>_bench` on the same server, so the demo database
stays small: the command creates it, migrates it and re-runs itself there. Each scenario is
served in-process by Django's WSGI handler with the full middleware stack, DEBUG off,
p50/p95 over --requests requests after a warm-up; queries are counted on a separate request.
A trivial view served the same way in the same run is the framework's floor.

The holds scenario calls the book-now service itself (applicants.services.application_book_now) from
a pool of worker threads, each on its own database connection as a web server's workers are; its
floor is a trivial query served by the same pool in the same run.

The payments scenario posts Stripe's signed events (localstripe's, read back) to the webhook through
the WSGI handler from the same pool, and a Celery worker in this process (2 threads; `make run`
starts 2 processes) processes them; from each delivery to its payment settled (booking confirmed, refunded
in full, or declined) is read from the database's own timestamps. Its baselines, in the same run:
the webhook answering a duplicate event, and one payment alone, delivered when nothing else is.

The reminders scenario (_bench_reminders.py) runs a real Celery worker in a process of its own,
mailing an SMTP server in this one; its baseline is the same email sent over one SMTP connection.

`--load` runs the load test instead (_bench_load.py): gunicorn with production settings serving the
same database over loopback, driven by Locust, the catalog's cache warm and then off.
"""

from __future__ import annotations

import io
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path
from django.utils import timezone

from amo.databases import create_database_if_missing
from amo.errors import DomainError
from amo.process import freeze_startup_objects
from rotations.management.commands._bench_load import LoadBench
from rotations.management.commands._bench_payments import PaymentsBench, route_tasks_to_bench_queue
from rotations.management.commands._bench_reminders import RemindersBench
from rotations.management.commands._bench_report import percentiles, write_table
from rotations.models import Block, Rotation, SeatHold
from seeding.bench_catalog import (
    catalog_vacuum_analyze,
    scale_catalog_count,
    scale_catalog_remove,
    seed_scale_catalog,
)
from seeding.bench_holds import HoldsStage, holds_stage_remove, seed_holds_stage

BENCH_SUFFIX = "_bench"
TARGET_P95_MS = 50.0
TARGET_P95_MS_PAGE_OF_100 = 100.0
MAX_QUERIES = 6
HOLDS_TARGET_P95_MS = 250.0
SCENARIOS = ("catalog", "holds", "payments", "reminders")


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
        # Two typos that find rotations in the scale catalog (it has no cardiology in Chicago).
        ("typo search 'pediatrcs texs'", "q=pediatrcs+texs"),
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


class Command(LoadBench, PaymentsBench, RemindersBench, BaseCommand):
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
        parser.add_argument(
            "--only",
            choices=SCENARIOS,
            help="run one scenario: the catalog, seat holds, payments or reminders",
        )
        parser.add_argument(
            "--reminders", type=int, default=10_000, help="reminders: how many fall due at once"
        )
        parser.add_argument(
            "--applicants",
            type=int,
            default=200,
            help="holds, payments: applicants booking or paying at once",
        )
        parser.add_argument("--seats", type=int, default=5, help="holds, payments: the block's seats")
        parser.add_argument(
            "--workers",
            default="8,32",
            help="holds: pool sizes, comma-separated; the target is judged on the first (8 connections, "
            "4 per core, as a web server's pool here), the others are a stress figure; payments: the "
            "first serves the webhook",
        )
        parser.add_argument(
            "--load",
            action="store_true",
            help="instead of the scenarios: the load test, gunicorn + Locust over loopback "
            "(docs/performance.md)",
        )
        parser.add_argument(
            "--seconds", type=int, default=60, help="load: seconds of the trivial view and the mix"
        )
        parser.add_argument(
            "--solo-seconds",
            type=int,
            default=15,
            help="load: seconds of each catalog scenario alone (cache off)",
        )

    def handle(
        self,
        *args,
        rotations,
        requests,
        reseed,
        in_place,
        only,
        reminders,
        applicants,
        seats,
        workers,
        load,
        seconds,
        solo_seconds,
        **options,
    ):
        name = settings.DATABASES["default"]["NAME"]
        holds = {"applicants": applicants, "seats": seats, "workers": workers}
        if in_place or name.endswith(BENCH_SUFFIX):
            if load:
                self.catalog_seed(rotations=rotations, reseed=reseed)
                self.measure_load(seconds=seconds, solo_seconds=solo_seconds)
                return
            route_tasks_to_bench_queue()
            if only in (None, "catalog"):
                self.measure(rotations=rotations, requests=requests, reseed=reseed)
            if only in (None, "holds"):
                self.measure_holds(**holds)
            if only in (None, "payments"):
                self.measure_payments(**holds)
            if only in (None, "reminders"):
                self.measure_reminders(reminders=reminders)
            return
        bench_name = name + BENCH_SUFFIX
        self._create_database(bench_name)
        env = {
            **os.environ,
            "DATABASE_URL": urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{bench_name}").geturl(),
            "DEBUG": "0",
            "AMO_ALLOW_DEV_SECRET": "1",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            # The payments scenario's worker sends its notices into memory, not to a mail server.
            "EMAIL_URL": os.environ.get("EMAIL_URL", "locmem://"),
        }
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        self.stderr.write(f"Benchmark database: {bench_name}")
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        argv = [
            "bench",
            "--in-place",
            f"--rotations={rotations}",
            f"--requests={requests}",
            f"--reminders={reminders}",
        ]
        argv += [f"--{key}={value}" for key, value in holds.items()] + ([f"--only={only}"] if only else [])
        argv += [f"--seconds={seconds}", f"--solo-seconds={solo_seconds}"] + (["--load"] if load else [])
        result = subprocess.run([*manage, *argv, *(["--reseed"] if reseed else [])], env=env)
        if result.returncode:
            raise CommandError(f"The benchmark failed (exit status {result.returncode}).")

    def _create_database(self, name: str) -> None:
        db = settings.DATABASES["default"]
        create_database_if_missing(
            name, user=db["USER"], host=db["HOST"], port=db["PORT"] or None, password=db["PASSWORD"]
        )

    def measure(self, *, rotations: int, requests: int, reseed: bool) -> None:
        self.catalog_seed(rotations=rotations, reseed=reseed)
        static = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(ROOT_URLCONF=__name__, DEBUG=False, STORAGES=static):
            self._measure_all(rotations=rotations, requests=requests)

    def catalog_seed(self, *, rotations: int, reseed: bool) -> None:
        """The scale catalog, `rotations` published rotations, inserted unless already there."""
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

    def _measure_all(self, *, rotations: int, requests: int) -> None:
        handler = WSGIHandler()
        freeze_startup_objects()  # as amo/wsgi.py does before a server's first request
        blocks = rotations * 4
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        self.stdout.write(
            f"\n{rotations:,} published rotations, {blocks:,} blocks; {os.cpu_count()} CPUs, load average "
            f"{load} at the start (other work on the machine shows in p95).\n"
            f"{requests} requests per scenario, "
            f"in-process by the WSGI handler (full middleware stack), DEBUG off.\n"
        )
        header = (
            f"{'scenario':<58} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'SQL p50':>7} {'SQL p95':>7} "
            f"{'p50/floor':>9} {'p50/SQL':>7}"
        )
        self.stdout.write(header + "\n" + "-" * len(header))
        floor = None
        failures = []
        # Every scenario read from the database (the catalog cache off), then each list again as an
        # anonymous visitor gets it from the catalog cache once the warm-up has filled it.
        rows = [(name, url, 0) for name, url in scenarios()]
        rows += [
            (f"{name} (cached)", url, settings.CATALOG_CACHE_SECONDS)
            for name, url in scenarios()
            if url.startswith(("/rotations/?", "/api/v1/rotations/?")) and settings.CATALOG_CACHE_SECONDS
        ]
        for name, url, cache_seconds in rows:
            with override_settings(CATALOG_CACHE_SECONDS=cache_seconds):
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
            sql = self._sql_alone([query["sql"] for query in queries.captured_queries], requests=requests)
            sql_p50, sql_p95 = (0.0, 0.0)
            if sql:
                sql_p50, sql_p95 = statistics.median(sql), statistics.quantiles(sql, n=20)[-1]
            self.stdout.write(
                f"{name:<58} {p50:7.1f} {p95:7.1f} {len(queries):7d} {sql_p50:7.1f} {sql_p95:7.1f} "
                f"{p50 / floor:8.1f}x " + (f"{p50 / sql_p50:6.1f}x" if sql_p50 else f"{'-':>7}")
            )
            target = TARGET_P95_MS_PAGE_OF_100 if "page_size=100" in url else TARGET_P95_MS
            if url != "/bench/trivial/" and (p95 > target or len(queries) > MAX_QUERIES):
                failures.append(name)
        self.stdout.write(
            "\nSQL: the request's own statements (as sent, parameters bound) run alone by a cursor, "
            "fetching every row: what PostgreSQL and the driver cost without Django.\n"
            f"Target: p95 under {TARGET_P95_MS:.0f} ms ({TARGET_P95_MS_PAGE_OF_100:.0f} ms for pages of 100) "
            f"and at most {MAX_QUERIES} queries per request. "
            + (f"Over target: {', '.join(failures)}" if failures else "All scenarios within target.")
        )

    @staticmethod
    def _sql_alone(statements: list[str], *, requests: int) -> list[float]:
        """Milliseconds to run `statements` one after another through a cursor, `requests` times
        after a warm-up; empty when there are none."""
        if not statements:
            return []
        timings = []
        with connection.cursor() as cursor:
            for run in range(5 + requests):
                started = time.perf_counter()
                for statement in statements:
                    cursor.execute(statement)
                    cursor.fetchall()
                if run >= 5:
                    timings.append((time.perf_counter() - started) * 1000)
        return timings

    def _get(self, handler: WSGIHandler, url: str) -> None:
        status, _ = self._serve(handler, url)
        if not status.startswith("200"):
            raise RuntimeError(f"{url} answered {status}")

    @staticmethod
    def _serve(
        handler: WSGIHandler, url: str, *, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[str, bytes]:
        """One request through the handler: a GET, or a POST of `body`; its status and content.
        `headers` are WSGI environ keys (HTTP_STRIPE_SIGNATURE)."""
        path_info, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": "GET" if body is None else "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body or b""),
            "wsgi.errors": sys.stderr,
        }
        if body is not None:
            environ |= {"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body))}
        environ |= headers or {}
        statuses = []
        content = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
        answer = b"".join(content)
        content.close()
        return statuses[0], answer

    # --- Seat holds under a crowd ---------------------------------------------------------------------

    def measure_holds(self, *, applicants: int, seats: int, workers: str) -> None:
        """The seat-holds scenario once per pool size in `workers` ("8,32"); the target is judged on
        the first."""
        pools = [int(size) for size in str(workers).split(",") if size.strip()]
        if not pools or min(pools) < 1:
            raise CommandError("--workers takes pool sizes such as 8,32.")
        for index, pool in enumerate(pools):
            self._measure_holds_once(applicants=applicants, seats=seats, workers=pool, judged=index == 0)

    def _measure_holds_once(self, *, applicants: int, seats: int, workers: int, judged: bool) -> None:
        """`applicants` ready applicants press "book now" on a `seats`-seat block at the same moment,
        served `workers` at a time; exactly `seats` must end up held, or the benchmark fails."""
        from applicants.services import application_book_now
        from rotations.selectors import blocks_out_of_step

        holds_stage_remove()  # what an interrupted run left
        self.stderr.write(f"Inserting {applicants} ready applicants and a {seats}-seat book-now block")
        stage = seed_holds_stage(applicants=applicants, seats=seats)

        def book(block: Block, person, documents) -> Callable[[], object]:
            return lambda: application_book_now(
                applicant=person,
                block=block,
                personal_statement="I want U.S. clinical experience.",
                documents=documents,
            )

        try:
            # One booking served first, on a block of its own, so no measured request pays for a cold path.
            book(stage.warm_up_block, *stage.applicants[0])()
            floor = self._pool_run([self._trivial_query] * applicants, workers=workers)
            served = self._pool_run(
                [book(stage.block, *pair) for pair in stage.applicants[1:]], workers=workers
            )
            self._holds_report(stage, served, floor, seats=seats, workers=workers, judged=judged)
            held = SeatHold.objects.unreleased().filter(block=stage.block).count()
            taken = Block.objects.values_list("seats_taken", flat=True).get(pk=stage.block.pk)
            won = sum(1 for outcome in served["outcomes"] if not isinstance(outcome, BaseException))
            unexpected = [
                repr(outcome)
                for outcome in served["outcomes"]
                if isinstance(outcome, BaseException)
                and not (isinstance(outcome, DomainError) and outcome.status == 409)
            ]
            out_of_step = [row for row in blocks_out_of_step() if row[0] == stage.block.pk]
            if (held, taken, won) != (seats, seats, seats) or unexpected or out_of_step:
                raise CommandError(
                    f"Seat holds are wrong: {held} held, seats_taken {taken} and {won} bookings made for "
                    f"{seats} seats; {len(unexpected)} unexpected errors {unexpected[:3]}; "
                    f"out of step {out_of_step}."
                )
        finally:
            holds_stage_remove()

    @staticmethod
    def _trivial_query() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def _pool_run(self, calls: list[Callable[[], object]], *, workers: int, timeout: float = 120.0) -> dict:
        """Serve `calls`, all queued at once, by `workers` threads with a database connection each
        (opened before the clock starts). Returns each call's outcome (result or exception), its
        service time in ms (from a worker taking it to its answer), the time from the start to its
        answer, and the whole run's wall time. Bounded: a stuck worker fails the benchmark."""
        work: queue.SimpleQueue = queue.SimpleQueue()
        for index, call in enumerate(calls):
            work.put((index, call))
        outcomes: list = [None] * len(calls)
        service_ms = [0.0] * len(calls)
        answered_at = [0.0] * len(calls)
        ready = threading.Barrier(workers + 1)
        pids: list[int] = []

        def worker():
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    pids.append(cursor.fetchone()[0])
                ready.wait(timeout=30)
                while True:
                    try:
                        index, call = work.get_nowait()
                    except queue.Empty:
                        return
                    taken = time.perf_counter()
                    try:
                        outcomes[index] = call()
                    except Exception as error:  # judged by the caller: a refusal or a failure
                        outcomes[index] = error
                    answered_at[index] = time.perf_counter()
                    service_ms[index] = (answered_at[index] - taken) * 1000
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
        for thread in threads:
            thread.start()
        ready.wait(timeout=30)
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        wall = time.perf_counter() - started
        if any(thread.is_alive() for thread in threads):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_cancel_backend(pid) FROM unnest(%s::int[]) AS pid", [pids])
            raise CommandError(
                f"The holds benchmark did not finish within {timeout:.0f}s; its queries were cancelled."
            )
        return {
            "outcomes": outcomes,
            "service_ms": service_ms,
            "answer_ms": [(at - started) * 1000 for at in answered_at],
            "wall": wall,
        }

    def _holds_report(
        self, stage: HoldsStage, served: dict, floor: dict, *, seats: int, workers: int, judged: bool
    ) -> None:
        outcomes, timings = served["outcomes"], served["service_ms"]
        won = [
            ms
            for ms, outcome in zip(timings, outcomes, strict=True)
            if not isinstance(outcome, BaseException)
        ]
        early = [
            ms
            for ms, outcome in zip(timings, outcomes, strict=True)
            if isinstance(outcome, DomainError) and outcome.message.endswith("Apply to join its waitlist.")
        ]
        locked_out = [
            ms
            for ms, outcome in zip(timings, outcomes, strict=True)
            if isinstance(outcome, DomainError) and outcome.message == "No seats are left on this block."
        ]
        fifth = sorted(
            at
            for at, outcome in zip(served["answer_ms"], outcomes, strict=True)
            if not isinstance(outcome, BaseException)
        )
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        self.stdout.write(
            f"\nSeat holds: {len(outcomes)} ready applicants book a {seats}-seat book-now block at once "
            f"through application_book_now,\nserved {workers} at a time by threads with a database "
            "connection each; "
            f"{os.cpu_count()} CPUs, load average {load} at the start.\n"
        )
        write_table(
            self.stdout,
            "requests",
            [
                ("trivial query by the same pool (floor)", floor["service_ms"]),
                ("book now, all (served: from pick-up)", timings),
                ("book now, all (answered: from the start)", served["answer_ms"]),
                ("  won a seat (checkout hold)", won),
                ("  refused under the block lock", locked_out),
                ("  refused before writing (block full)", early),
            ],
        )
        _, p95, _ = percentiles(timings)
        _, floor_p95, _ = percentiles(floor["service_ms"])
        held_in = fifth[-1] / 1000 if fifth else float("nan")
        wall_ms = served["wall"] * 1000
        self.stdout.write(
            f"\n{len(outcomes) / served['wall']:.0f} requests/s ({len(outcomes)} in {wall_ms:.0f} ms; "
            f"floor {len(outcomes) / floor['wall']:.0f}/s); {len(won)} held, the last "
            f"{held_in * 1000:.0f} ms after the start ({len(won) / held_in:.0f} holds/s).\n"
            f"p95 {p95:.1f} ms = {p95 / floor_p95:.0f}x the floor's {floor_p95:.1f} ms. "
            + (
                f"Target: p95 under {HOLDS_TARGET_P95_MS:.0f} ms and exactly {seats} held: "
                + ("within target." if p95 <= HOLDS_TARGET_P95_MS and len(won) == seats else "OVER TARGET.")
                if judged
                else f"Stress figure ({workers} at once on {os.cpu_count()} CPUs), no target; "
                f"exactly {seats} held."
            )
        )
