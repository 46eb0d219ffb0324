from datetime import date

import pytest

from rotations.models import Rotation
from rotations.policies import RefundWindow, refund_cents, refund_percent, refund_schedule
from tests.factories import BlockFactory

START = date(2027, 6, 1)


@pytest.mark.parametrize(
    ("policy", "cancelled_on", "percent"),
    [
        (Rotation.CancellationPolicy.FLEXIBLE, date(2027, 5, 2), 100),  # 30 days before
        (Rotation.CancellationPolicy.FLEXIBLE, date(2027, 5, 3), 50),  # 29 days before
        (Rotation.CancellationPolicy.FLEXIBLE, date(2027, 5, 18), 50),  # 14 days before
        (Rotation.CancellationPolicy.FLEXIBLE, date(2027, 5, 19), 0),
        (Rotation.CancellationPolicy.MODERATE, date(2027, 4, 2), 100),  # 60 days before
        (Rotation.CancellationPolicy.MODERATE, date(2027, 4, 3), 50),
        (Rotation.CancellationPolicy.MODERATE, date(2027, 5, 3), 0),  # 29 days before
        (Rotation.CancellationPolicy.STRICT, date(2027, 3, 3), 50),  # 90 days before
        (Rotation.CancellationPolicy.STRICT, date(2027, 3, 4), 0),
        (Rotation.CancellationPolicy.STRICT, date(2027, 6, 2), 0),  # after the start
    ],
)
def test_refund_percent_follows_the_policy_tiers(policy, cancelled_on, percent):
    assert refund_percent(policy, start_date=START, cancelled_on=cancelled_on) == percent


@pytest.mark.django_db
def test_refund_schedule_gives_dated_windows_that_agree_with_refund_cents():
    block = BlockFactory(
        start_date=START,
        apply_by=date(2027, 5, 1),
        rotation__cancellation_policy=Rotation.CancellationPolicy.MODERATE,
    )
    windows = refund_schedule(block.rotation, block, today=date(2026, 11, 25))
    assert windows == [
        RefundWindow(starts_on=None, ends_on=date(2027, 4, 2), refund_percent=100),
        RefundWindow(starts_on=date(2027, 4, 3), ends_on=date(2027, 5, 2), refund_percent=50),
        RefundWindow(starts_on=date(2027, 5, 3), ends_on=date(2027, 5, 31), refund_percent=0),
    ]
    for window in windows:
        day = window.ends_on
        assert refund_cents(block.rotation, block, paid_program_cents=250_001, cancelled_on=day) == (
            window.refund_cents(250_001)
        )
    assert windows[1].refund_cents(250_001) == 125_000  # integer cents, rounded down


@pytest.mark.django_db
def test_refund_schedule_leaves_out_windows_already_over_and_starts_the_current_one_today():
    block = BlockFactory(
        start_date=START,
        apply_by=date(2027, 5, 1),
        rotation__cancellation_policy=Rotation.CancellationPolicy.MODERATE,
    )
    # 45 days before the start: the 100% window ended on Apr 2.
    windows = refund_schedule(block.rotation, block, today=date(2027, 4, 17))
    assert windows == [
        RefundWindow(starts_on=None, ends_on=date(2027, 5, 2), refund_percent=50),
        RefundWindow(starts_on=date(2027, 5, 3), ends_on=date(2027, 5, 31), refund_percent=0),
    ]
    assert refund_cents(block.rotation, block, paid_program_cents=100, cancelled_on=date(2027, 4, 17)) == 50
    assert refund_schedule(block.rotation, block, today=START) == []
