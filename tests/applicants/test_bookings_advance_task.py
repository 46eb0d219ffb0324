"""The hourly advance as beat runs it: the task called on committed data, outside any transaction of
the test's (pytest's own would hide a lock taken outside one)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from applicants.models import Application, ApplicationTransition
from applicants.services import lifecycle
from applicants.tasks import bookings_advance
from tests.factories import BlockFactory, take_seat

pytestmark = pytest.mark.django_db(transaction=True)
S = Application.Status


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def test_the_hourly_task_starts_bookings_that_began_and_completes_those_that_ended_on_committed_data():
    today = timezone.localdate()
    began_yesterday = take_seat(BlockFactory(start_date=today - timedelta(days=1), weeks=4))
    ended = take_seat(BlockFactory(start_date=today - timedelta(weeks=2), weeks=1))
    Application.objects.filter(pk=ended.pk).update(status=S.IN_PROGRESS)
    not_yet = take_seat(BlockFactory(start_date=today + timedelta(days=1)))

    assert bookings_advance() == (1, 1)
    assert bookings_advance() == (0, 0)
    assert (status_of(began_yesterday), status_of(ended), status_of(not_yet)) == (
        S.IN_PROGRESS,
        S.COMPLETED,
        S.CONFIRMED,
    )
    started = ApplicationTransition.objects.get(application=began_yesterday)
    assert (started.actor_role, started.reason) == ("system", "The rotation began.")


def test_rotations_still_under_way_never_hide_those_that_ended_behind_them(monkeypatch):
    """A batch's worth of rotations under way with lower ids than one that ended: the ended one is
    completed on the first run, not after every one under way has ended."""
    monkeypatch.setattr(lifecycle, "SWEEP_BATCH", 2)
    today = timezone.localdate()
    under_way = [take_seat(BlockFactory(start_date=today - timedelta(days=3), weeks=4)) for _ in range(2)]
    ended = take_seat(BlockFactory(start_date=today - timedelta(weeks=2), weeks=1))
    Application.objects.filter(pk__in=[a.pk for a in [*under_way, ended]]).update(status=S.IN_PROGRESS)
    assert max(a.pk for a in under_way) < ended.pk

    assert bookings_advance() == (0, 1)
    assert status_of(ended) == S.COMPLETED
    assert {status_of(application) for application in under_way} == {S.IN_PROGRESS}
