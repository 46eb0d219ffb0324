"""The every-minute sweep as beat runs it: a message on the real Redis broker, consumed by a real
Celery worker. The worker runs in a thread of this process (tests/conftest.py), so time-machine's
travel moves its clock too: deadlines pass without sleeping through them."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from amo.celery import app as celery_app
from amo.models import Notification
from applicants.models import Application
from applicants.services.sweeps import holds_sweep as sweep_run
from applicants.tasks import holds_sweep
from rotations import locking
from rotations.models import Block, SeatHold
from rotations.selectors import blocks_out_of_step
from tests.factories import ApplicationFactory, BlockFactory, MembershipFactory
from tests.waiting import wait_until

S = Application.Status


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def state_of_block(block: Block) -> tuple:
    """Everything the sweep may change on a block: its count, its holds, its applications, the news."""
    return (
        Block.objects.values_list("seats_taken", flat=True).get(pk=block.pk),
        list(SeatHold.objects.filter(block=block).values_list("pk", "kind", "expires_at", "released_at")),
        list(Application.objects.filter(block=block).values_list("pk", "status").order_by("pk")),
        Notification.objects.count(),
    )


@pytest.mark.celery_worker
def test_the_worker_expires_a_lapsed_offer_and_offers_its_seat_to_the_first_waitlisted_once(celery_worker):
    block = BlockFactory(capacity=1)
    MembershipFactory(organization=block.rotation.organization)
    deadline = timezone.now() + timedelta(hours=1)
    offered = ApplicationFactory(block=block, status=S.OFFERED, submitted_at=timezone.now(), seat=deadline)
    first = ApplicationFactory(block=block, status=S.WAITLISTED, submitted_at=timezone.now())
    second = ApplicationFactory(block=block, status=S.WAITLISTED, submitted_at=timezone.now())
    Application.objects.filter(pk=second.pk).update(waitlisted_at=first.waitlisted_at + timedelta(seconds=1))

    # Not yet due: the sweep leaves the offer alone.
    early = holds_sweep.apply_async(ignore_result=False).get(timeout=30)
    assert early == {"expired": 0, "promoted": 0, "undecided": 0}
    assert status_of(offered) == S.OFFERED

    with time_machine.travel(deadline + timedelta(minutes=1)):
        swept_at = timezone.now()
        holds_sweep.apply_async()  # as beat sends it: the task's own options, no result awaited
        wait_until(lambda: status_of(offered) == S.EXPIRED, what="the worker expiring the lapsed offer")
        wait_until(lambda: status_of(first) == S.OFFERED, what="the worker promoting the waitlist")

        assert status_of(second) == S.WAITLISTED  # first come, first served
        released = SeatHold.objects.get(application=offered)
        assert (released.release_reason, released.released_at is not None) == ("expired", True)
        promoted = SeatHold.objects.unreleased().get(block=block)
        assert (promoted.application_id, promoted.kind) == (first.pk, SeatHold.Kind.OFFER)
        fresh = promoted.expires_at - swept_at
        assert timedelta(days=7) - timedelta(minutes=1) < fresh <= timedelta(days=7) + timedelta(minutes=1)
        assert Block.objects.get(pk=block.pk).seats_taken == 1
        assert blocks_out_of_step() == []

        news = Notification.objects.values_list("recipient_id", "key")
        assert (offered.applicant.user_id, True) in {
            (recipient, ":expired:" in key)
            for recipient, key in news.filter(key__startswith=f"application:{offered.pk}:")
        }
        assert news.filter(
            recipient=first.applicant.user, key__startswith=f"application:{first.pk}:offered:"
        ).exists()
        # The worker also emails what it recorded (email_notification, enqueued on commit).
        wait_until(
            lambda: not Notification.objects.filter(emailed_at__isnull=True).exists(),
            what="the worker emailing every notification",
        )

        before = state_of_block(block)
        again = holds_sweep.apply_async(ignore_result=False).get(timeout=30)
        assert again == {"expired": 0, "promoted": 0, "undecided": 0}
        assert state_of_block(block) == before


def test_beat_sends_the_holds_sweep_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["holds-sweep"]
    assert entry["task"] == holds_sweep.name
    assert entry["schedule"] == 60.0


@pytest.mark.django_db(transaction=True)
def test_the_database_scheduler_that_make_run_uses_stores_the_sweep_every_sixty_seconds():
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    scheduler = DatabaseScheduler(app=celery_app)
    stored = PeriodicTask.objects.select_related("interval").get(name="holds-sweep")
    assert (stored.task, stored.enabled) == (holds_sweep.name, True)
    assert (stored.interval.every, stored.interval.period) == (60, IntervalSchedule.SECONDS)
    assert scheduler.schedule["holds-sweep"].schedule.run_every == timedelta(seconds=60)


@pytest.mark.django_db(transaction=True)
def test_one_offer_whose_block_is_busy_does_not_stop_the_sweep_expiring_the_others(monkeypatch):
    """The first lapsed offer's block is locked by another transaction for the whole run (busy):
    it is left for the next run, and the offer after it still expires."""
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", "200ms")
    busy_block, free_block = BlockFactory(), BlockFactory()
    lapsed = timezone.now() + timedelta(minutes=1)
    stuck = ApplicationFactory(block=busy_block, status=Application.Status.OFFERED, seat=lapsed)
    other = ApplicationFactory(block=free_block, status=Application.Status.OFFERED, seat=lapsed)
    assert stuck.pk < other.pk
    holding, release = threading.Event(), threading.Event()

    def hold_the_block():
        try:
            with transaction.atomic():
                Block.objects.select_for_update().get(pk=busy_block.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            holding.set()
            connection.close()

    holder = threading.Thread(target=hold_the_block)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
            result = sweep_run()
    finally:
        release.set()
        holder.join(timeout=30)
    assert result.expired == 1
    statuses = dict(Application.objects.filter(pk__in=[stuck.pk, other.pk]).values_list("pk", "status"))
    assert statuses == {stuck.pk: Application.Status.OFFERED, other.pk: Application.Status.EXPIRED}
