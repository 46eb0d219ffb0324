"""The catalog's daily tasks as beat runs them: called on committed data, outside any transaction of
the test's."""

from datetime import date, timedelta

import pytest
import time_machine

from rotations.models import Block, Rotation
from rotations.tasks import catalog_refresh, seat_counts_check
from tests.factories import BlockFactory, catalog_rotation, take_seat

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_daily_catalog_refresh_moves_next_start_dates_past_closed_blocks_on_committed_data():
    today = date.today()
    rotation = catalog_rotation(blocks=[{"days_ahead": 40, "apply_by": today + timedelta(days=20)}])
    with time_machine.travel(today + timedelta(days=25), tick=False):
        assert catalog_refresh() == 1
        assert catalog_refresh() == 0
    assert Rotation.objects.get(pk=rotation.pk).next_start_date is None


def test_the_daily_seat_count_check_reports_a_block_counted_by_hand_on_committed_data():
    block = BlockFactory(capacity=3)
    take_seat(block)
    assert seat_counts_check() == 0
    Block.objects.filter(pk=block.pk).update(seats_taken=3)
    assert seat_counts_check() == 1
