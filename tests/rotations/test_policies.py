from datetime import date

import pytest

from amo.money import refund_cents
from rotations.models import Rotation
from rotations.policies import TIERS, RefundWindow, refund_percent, refund_schedule

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
    assert refund_percent(TIERS[policy], start_date=START, cancelled_on=cancelled_on) == percent


MODERATE = TIERS[Rotation.CancellationPolicy.MODERATE]


def test_refund_schedule_gives_dated_windows_that_agree_with_refund_percent():
    windows = refund_schedule(MODERATE, START, today=date(2026, 11, 25))
    assert windows == [
        RefundWindow(starts_on=None, ends_on=date(2027, 4, 2), refund_percent=100),
        RefundWindow(starts_on=date(2027, 4, 3), ends_on=date(2027, 5, 2), refund_percent=50),
        RefundWindow(starts_on=date(2027, 5, 3), ends_on=date(2027, 5, 31), refund_percent=0),
    ]
    for window in windows:
        day = window.ends_on
        percent = refund_percent(MODERATE, start_date=START, cancelled_on=day)
        assert refund_cents(250_001, percent) == window.refund_cents(250_001)
    assert windows[1].refund_cents(250_001) == 125_000  # integer cents, rounded down


def test_refund_schedule_leaves_out_windows_already_over_and_starts_the_current_one_today():
    # 45 days before the start: the 100% window ended on Apr 2.
    windows = refund_schedule(MODERATE, START, today=date(2027, 4, 17))
    assert windows == [
        RefundWindow(starts_on=None, ends_on=date(2027, 5, 2), refund_percent=50),
        RefundWindow(starts_on=date(2027, 5, 3), ends_on=date(2027, 5, 31), refund_percent=0),
    ]
    assert refund_percent(MODERATE, start_date=START, cancelled_on=date(2027, 4, 17)) == 50
    assert refund_schedule(MODERATE, START, today=START) == []
