"""The hourly advance as beat runs it: the task called on committed data, outside any transaction of
the test's (pytest's own would hide a lock taken outside one)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from applicants.models import Application, ApplicationTransition
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
