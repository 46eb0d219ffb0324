"""The reminders sweep run as production runs it: `celery worker` and `celery beat` processes of
their own on the test database and the test Redis, emailing a real SMTP server in this process.

The workers and beats load seeding/bench_reminders_worker.py: the project's app on a queue of its
own, with a renderer for the kind these reminders are. Reminders are planned while time-machine
puts this process an hour back, so they are due for the workers' real clocks; the tests wait for
what the workers did, never sleep to move a clock.
"""

from __future__ import annotations

import contextlib
import os
import re
import shelve
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from amo.celery import app as celery_app
from amo.models import Notification, Reminder
from amo.reminders import _reminder_take_due
from amo.services import notification_message_id
from amo.tasks import reminders_sweep
from rotations.management.commands._bench_payments import BENCH_QUEUE
from tests.amo.test_reminders import plan_due
from tests.factories import UserFactory
from tests.mail import SlowMailServer, smtp_server_running
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]

WORKER_APP = "seeding.bench_reminders_worker"
KIND = "balance_due"  # the kind seeding/bench_reminders.py renders


def celery_environment(smtp_port: int) -> dict[str, str]:
    """This test process's environment for a Celery process: the test database (pytest-django's,
    not the one DATABASE_URL names), the test Redis databases, mail to the test's SMTP server."""
    database_url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}")
    return {
        **os.environ,
        "DATABASE_URL": database_url.geturl(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DJANGO_SETTINGS_MODULE": "amo.settings",
        "LOG_LEVEL": "INFO",
    }


class CeleryProcesses:
    """Celery workers and beats started as processes of their own, each in its own process group
    (a prefork worker is a parent and its pool's children); every one still running is stopped at
    the end."""

    def __init__(self, environment: dict[str, str], logs: Path) -> None:
        self.environment = environment
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, *arguments: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", WORKER_APP, *arguments, "--loglevel=INFO"],
            cwd=settings.BASE_DIR,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def worker(self, name: str) -> subprocess.Popen:
        return self.start(
            name,
            "worker",
            "--concurrency=2",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={name}@%h",
        )

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the whole worker at once, parent and pool: what a machine or container dying does."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()


def unacknowledged_restored() -> None:
    """Put back in its queue every task a worker took and never acknowledged, as Redis does once
    the broker's visibility timeout has passed; here at once (no worker of these tests is alive)."""
    with celery_app.connection_for_write(transport_options={"visibility_timeout": 0}) as broker:
        broker.default_channel.qos.restore_visible(num=1000)


@contextlib.contextmanager
def celery_processes(server: SlowMailServer, tmp_path: Path) -> Iterator[CeleryProcesses]:
    """The SMTP server `server` running, and Celery processes mailing it; the stage's queue empty,
    nothing a killed worker of an earlier run left in it either."""
    unacknowledged_restored()
    with celery_app.connection_for_write() as broker:
        broker.default_channel.queue_purge(BENCH_QUEUE)
    with smtp_server_running(server) as port:
        processes = CeleryProcesses(celery_environment(port), tmp_path)
        try:
            yield processes
        finally:
            processes.stop_all()


def queued() -> int:
    """How many tasks wait in the stage's queue."""
    with celery_app.connection_for_write() as broker:
        return broker.default_channel.queue_declare(queue=BENCH_QUEUE).message_count


def sent_count() -> int:
    return Reminder.objects.filter(sent_at__isnull=False).count()


def assert_each_emailed_once(server: SlowMailServer, due: list[Reminder]) -> None:
    """Each reminder's email arrived exactly once, with the Message-ID of its notification."""
    by_recipient = Counter(accepted.recipient for accepted in server.accepted)
    assert by_recipient == Counter(reminder.recipient.email for reminder in due)
    assert sorted(accepted.message_id for accepted in server.accepted) == sorted(
        notification_message_id(f"reminder:{reminder.key}") for reminder in due
    )
    assert sent_count() == len(due) == Reminder.objects.count()


def test_a_worker_killed_in_the_middle_of_a_batch_leaves_each_reminder_to_be_sent_once_after_a_restart(
    tmp_path,
):
    """The mail server holds the 8th of 20 due reminders at its recipient, while the worker's
    sweep has the row locked and its notification written in the row's open transaction: the
    worker is killed there (SIGKILL, parent and pool). The 7 sent before are marked sent, the 8th
    and the rest are not, and nothing of the 8th's transaction stays. A new worker sends the 13
    left, running the killed worker's own sweep, given out again: every reminder arrives exactly
    once."""
    due = plan_due([UserFactory() for _ in range(20)], kind=KIND)
    server = SlowMailServer(hold_at=8)
    with celery_processes(server, tmp_path) as processes:
        first = processes.worker("first")
        reminders_sweep.apply_async(queue=BENCH_QUEUE)
        wait_until(server.holding.is_set, what="the sweep reaching the 8th reminder", timeout=60)
        assert sent_count() == 7
        with transaction.atomic():
            # The 8th is locked by the sweep, in the middle of its transaction: taken past.
            assert _reminder_take_due(passing_over=set()) == due[8]
        processes.kill(first)
        server.release.set()
        assert [accepted.recipient for accepted in server.accepted] == [r.recipient.email for r in due[:7]]
        assert list(Reminder.objects.filter(sent_at__isnull=False).order_by("due_at")) == due[:7]
        assert not Reminder.objects.filter(cancelled_at__isnull=False).exists()
        assert Notification.objects.count() == 7
        # The killed worker never acknowledged its sweep (acks_late): Redis gives it out again
        # after the visibility timeout (here at once), and a new worker runs it.
        assert queued() == 0
        unacknowledged_restored()
        assert queued() == 1
        processes.worker("second")
        wait_until(
            lambda: len(server.accepted) >= len(due) and sent_count() == len(due), what="all sent", timeout=60
        )
        assert "Traceback" not in processes.log("second")
    assert_each_emailed_once(server, due)
    # The held one was sent by the second worker, over its own connection.
    eighth = next(accepted for accepted in server.accepted if accepted.recipient == due[7].recipient.email)
    assert eighth.peer not in {accepted.peer for accepted in server.accepted[:7]}


def beat_schedule_file(path: Path) -> Path:
    """A beat's schedule file (celery's PersistentScheduler) in which the reminders sweep last ran
    an hour ago and everything else just now: the beat sends the sweep as soon as it starts.

    Each of the two beats gets a file of its own, as two beats started by mistake on two machines
    would: each keeps its own idea of when it last sent the sweep. (Beats sharing the database
    scheduler partly see each other's last runs, so whether both send in the same second is luck.)
    """
    scheduler = PersistentScheduler(app=celery_app, schedule_filename=str(path), lazy=True)
    scheduler.setup_schedule()
    scheduler.schedule["reminders-sweep"].last_run_at = timezone.now() - timedelta(hours=1)
    scheduler.sync()
    scheduler.close()
    with shelve.open(str(path)) as stored:
        assert stored["entries"]["reminders-sweep"].is_due()[0]
    return path


def test_two_beats_running_by_mistake_still_send_each_reminder_once(tmp_path):
    """Two beats each send the sweep at once; a worker runs both sweeps side by side (two pool
    processes), while the mail server takes 0.1 s per message so both are sending together. Both
    take a share (two connections deliver) and each reminder arrives exactly once."""
    due = plan_due([UserFactory() for _ in range(30)], kind=KIND)
    server = SlowMailServer(delay=0.1)
    with celery_processes(server, tmp_path) as processes:
        for name in ("beat-1", "beat-2"):
            processes.start(
                name,
                "beat",
                "--scheduler=celery.beat:PersistentScheduler",
                f"--schedule={beat_schedule_file(tmp_path / f'{name}.schedule')}",
            )
        wait_until(lambda: queued() == 2, what="both beats sending the sweep", timeout=60)
        processes.worker("worker")
        wait_until(
            lambda: len(server.accepted) >= len(due) and sent_count() == len(due), what="all sent", timeout=60
        )
        assert (
            len(re.findall(r"Task amo\.tasks\.reminders_sweep\[\S+\] received", processes.log("worker"))) == 2
        )
    assert_each_emailed_once(server, due)
    assert len({accepted.peer for accepted in server.accepted}) == 2
