"""Cancellation policies: what a cancellation refunds on each date, shown before anyone pays.

A policy's tiers are copied onto an application when it is sent (applicants.terms, the agreed
terms), so changing a tier here or a rotation's policy changes what new applications agree to only.

Refunds apply to the program fee paid (deposit and balance). The application fee pays for the
host's review and is not refunded when the applicant cancels; a host cancellation refunds all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from amo import money
from rotations.models import Rotation

Policy = Rotation.CancellationPolicy


@dataclass(frozen=True)
class Tier:
    min_days_before_start: int  # this tier applies when at least this many days remain
    refund_percent: int


# Ordered from the most days before the start to the fewest; the first tier that applies wins.
TIERS: dict[str, tuple[Tier, ...]] = {
    Policy.FLEXIBLE: (Tier(30, 100), Tier(14, 50), Tier(0, 0)),
    Policy.MODERATE: (Tier(60, 100), Tier(30, 50), Tier(0, 0)),
    Policy.STRICT: (Tier(90, 50), Tier(0, 0)),
}


@dataclass(frozen=True)
class RefundWindow:
    """Cancelling between `starts_on` and `ends_on` (inclusive; None = open) refunds `refund_percent`."""

    starts_on: date | None
    ends_on: date
    refund_percent: int

    def refund_cents(self, paid_cents: int) -> int:
        return money.refund_cents(paid_cents, self.refund_percent)


def refund_percent(tiers: Iterable[Tier], *, start_date: date, cancelled_on: date) -> int:
    days_left = (start_date - cancelled_on).days
    for tier in tiers:
        if days_left >= tier.min_days_before_start:
            return tier.refund_percent
    return 0  # on or after the start date


def refund_schedule(
    tiers: Iterable[Tier], start_date: date, *, today: date | None = None
) -> list[RefundWindow]:
    """The dated windows of `tiers` for a block starting on `start_date`, from `today` on (default:
    now), earliest first.

    Windows already over are left out and the current one starts today (starts_on None), so what
    is shown is what a cancellation would refund from now on; the last ends the day before the start.
    """
    today = today or timezone.now().date()
    windows = []
    starts_on = None
    for tier in tiers:
        # The last tier runs until the day before the start: nothing is refunded once it has begun.
        ends_on = start_date - timedelta(days=max(tier.min_days_before_start, 1))
        if ends_on >= today:
            windows.append(
                RefundWindow(
                    starts_on=starts_on if windows else None,
                    ends_on=ends_on,
                    refund_percent=tier.refund_percent,
                )
            )
        starts_on = ends_on + timedelta(days=1)
    return windows
