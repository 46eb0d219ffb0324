"""`manage.py bench --only reminders`: 10,000 reminders fall due at once and a real Celery worker
sends them, each once, to a real SMTP server.

A part of the bench command (bench.py), apart for its length. The stage is seeding/bench_reminders.py:
one reminder per person, bulk-inserted a day ahead, then all made due by one UPDATE, the moment
the clock starts. The worker is `celery worker` in a process of its own (4 pool processes, as
docker-compose.yml runs it) loading seeding/bench_reminders_worker.py, on the benchmark's queue;
this process plays beat, sending the sweep at once and every minute after, as beat would if its
minute began at that moment. The mail server is aiosmtpd in a thread of this process: it notes
when each message arrived and its Message-ID, which names the reminder's notification.

It prints reminders per second and the lateness of each email (its arrival less the reminder's due
time) beside the baseline of the same run: the same emails sent over one SMTP connection, with no
database, no worker and no broker. It fails unless the mail server got exactly one email per due
reminder, every reminder is marked sent, and the last arrived within two minutes of the due time.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import get_connection
from django.core.management.base import CommandError
from django.utils import timezone

from amo.celery import app as celery_app
from amo.models import Notification, Reminder, User
from amo.services import notification_email_message, notification_message_id
from amo.tasks import reminders_sweep
from amo.transactions import enqueue_on_commit
from rotations.management.commands._bench_payments import BENCH_QUEUE
from rotations.management.commands._bench_report import percentiles, write_table
from seeding.bench_reminders import (
    STAGE_KIND,
    reminders_stage_remove,
    seed_reminders_stage,
    smtp_server_running,
)

WORKER_PROCESSES = 4  # docker-compose.yml's worker
TARGET_SECONDS = 120.0
BEAT_EVERY = 60.0
DRAIN_TIMEOUT = 300.0
BASELINE_EMAILS = 1_000
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class MailSink:
    """An aiosmtpd handler that accepts everything and notes when each message arrived (Unix time)
    and its Message-ID."""

    def __init__(self) -> None:
        self.arrived: list[tuple[float, str]] = []

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.original_content or envelope.content)
        self.arrived.append((time.time(), found.group(1).decode() if found else ""))
        return "250 Message accepted for delivery"


class RemindersBench:
    """The reminders scenario, mixed into the bench command."""

    def measure_reminders(self, *, reminders: int) -> None:
        removed = reminders_stage_remove()  # what an interrupted run left
        if removed:
            self.stderr.write(f"Removed {removed:,} people an interrupted run left")
        sink = MailSink()
        with smtp_server_running(sink) as port, tempfile.TemporaryDirectory() as logs:
            baseline = self._smtp_alone(port, sink)
            sink.arrived.clear()
            self.stderr.write(f"Inserting {reminders:,} reminders, one per person")
            ids = seed_reminders_stage(count=reminders, due_at=timezone.now() + timedelta(days=1))
            worker, log = self._worker_start(port, Path(logs))
            try:
                due_at = timezone.now()
                Reminder.objects.filter(pk__in=ids).update(due_at=due_at)
                ticks = self._drain(sink, ids, worker, log)
                self._worker_stop(worker)
                self._reminders_report(sink, ids, due_at, baseline, ticks)
                self._reminders_check(sink, ids, due_at)
            finally:
                self._worker_stop(worker)
                reminders_stage_remove()

    def _smtp_alone(self, port: int, sink: MailSink) -> float:
        """Emails per second, the stage's email sent BASELINE_EMAILS times over one connection by
        Django's SMTP backend, with no database, worker or broker: the floor of the same run."""
        person = User(pk=0, email="person-0@reminders.bench.test", full_name="Person 0")
        notification = Notification(
            pk=0,
            key="reminder:baseline",
            recipient=person,
            subject="Your balance will be charged in 7 days",
            body="Person 0, the balance of your booking will be charged to your card in 7 days.",
            link="/me/",
        )
        with get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host="127.0.0.1",
            port=port,
            use_tls=False,
            use_ssl=False,
        ) as smtp:
            started = time.perf_counter()
            for _ in range(BASELINE_EMAILS):
                notification_email_message(notification, connection=smtp).send()
            elapsed = time.perf_counter() - started
        if len(sink.arrived) != BASELINE_EMAILS:
            raise CommandError(f"The baseline sent {BASELINE_EMAILS} emails and {len(sink.arrived)} arrived.")
        return BASELINE_EMAILS / elapsed

    def _worker_start(self, port: int, logs: Path) -> tuple[subprocess.Popen, Path]:
        """`celery worker` for the stage, mailing the sink; returns once it answers a ping."""
        with celery_app.connection_for_write() as broker:
            broker.default_channel.queue_purge(BENCH_QUEUE)
        name = f"reminders-bench-{os.getpid()}@{socket.gethostname()}"
        log = logs / "worker.log"
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "seeding.bench_reminders_worker",
                "worker",
                f"--concurrency={WORKER_PROCESSES}",
                f"--hostname={name}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=settings.BASE_DIR,
            env={**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{port}", "LOG_LEVEL": "WARNING"},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(destination=[name], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise CommandError(f"The reminders worker did not start:\n{log.read_text()[-3000:]}")
        return worker, log

    @staticmethod
    def _worker_stop(worker: subprocess.Popen) -> None:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=30)

    def _drain(self, sink: MailSink, ids: list[int], worker: subprocess.Popen, log: Path) -> int:
        """Play beat: send the sweep now and every minute until every reminder is sent and its email
        arrived; returns how many times the sweep was sent."""
        ticks, next_tick = 0, time.monotonic()
        deadline = time.monotonic() + DRAIN_TIMEOUT
        to_come = Reminder.objects.filter(pk__in=ids, sent_at__isnull=True)
        while len(sink.arrived) < len(ids) or to_come.exists():
            if time.monotonic() >= next_tick:
                enqueue_on_commit(reminders_sweep)
                ticks, next_tick = ticks + 1, next_tick + BEAT_EVERY
            if worker.poll() is not None or time.monotonic() > deadline:
                raise CommandError(
                    f"{len(sink.arrived):,} of {len(ids):,} emails arrived and {to_come.count():,} reminders "
                    f"are still to come after {DRAIN_TIMEOUT:.0f} s.\n"
                    f"The worker's log:\n{log.read_text()[-3000:]}"
                )
            time.sleep(0.2)
        return ticks

    def _reminders_report(self, sink: MailSink, ids: list[int], due_at, baseline: float, ticks: int) -> None:
        lateness = [(at - due_at.timestamp()) * 1000 for at, _ in sink.arrived]
        first, last = min(at for at, _ in sink.arrived), max(at for at, _ in sink.arrived)
        all_in = last - due_at.timestamp()
        rate = len(sink.arrived) / all_in
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        self.stdout.write(
            f"\nReminders: {len(ids):,} reminders ({Reminder.Kind(STAGE_KIND).label.lower()}) fall due "
            "at once; "
            f"a Celery worker ({WORKER_PROCESSES} processes) sends them\nto an SMTP server in this process, "
            f"the sweep sent as beat would ({ticks} time{'s' if ticks > 1 else ''}); {os.cpu_count()} CPUs, "
            f"load average {load} at the start.\n"
        )
        write_table(
            self.stdout, "from the due time to the email's arrival", [("all reminders", lateness)], width=44
        )
        _, p95, _ = percentiles(lateness)
        self.stdout.write(
            f"\n{rate:.0f} reminders/s: {len(sink.arrived):,} emails, "
            f"the first {first - due_at.timestamp():.1f} s "
            f"and the last {all_in:.1f} s after the due time. p95 lateness {p95 / 1000:.1f} s.\n"
            f"Baseline, the same email sent over one SMTP connection with no database, worker or broker: "
            f"{baseline:.0f} emails/s; the worker sends reminders at {rate / baseline:.0%} of that.\n"
            f"Target: every one of the {len(ids):,} sent exactly once within {TARGET_SECONDS:.0f} s: "
            + ("met." if all_in <= TARGET_SECONDS else "MISSED.")
        )

    @staticmethod
    def _reminders_check(sink: MailSink, ids: list[int], due_at) -> None:
        """Fail unless exactly one email arrived per due reminder, each with its notification's
        Message-ID, every reminder is marked sent, and the last arrived within the target."""
        keys = Reminder.objects.filter(pk__in=ids).values_list("key", flat=True)
        expected = Counter(notification_message_id(f"reminder:{key}") for key in keys)
        arrived = Counter(message_id for _, message_id in sink.arrived)
        problems = []
        if arrived != expected:
            twice = sum(1 for count in arrived.values() if count > 1)
            missing = sum(1 for message_id in expected if message_id not in arrived)
            problems.append(
                f"{len(sink.arrived):,} emails arrived for {len(ids):,} reminders due "
                f"({twice} sent more than once, {missing} missing, "
                f"{sum(1 for message_id in arrived if message_id not in expected)} unknown)"
            )
        unsent = Reminder.objects.filter(pk__in=ids, sent_at__isnull=True).count()
        if unsent:
            problems.append(f"{unsent:,} reminders are not marked sent")
        last = max(at for at, _ in sink.arrived) - due_at.timestamp()
        if last > TARGET_SECONDS:
            problems.append(
                f"the last email arrived {last:.1f} s after the due time (target {TARGET_SECONDS:.0f} s)"
            )
        if problems:
            raise CommandError(f"Reminders are wrong: {'; '.join(problems)}.")
