"""Track records: figures about a host organization, its preceptors and its rotations, computed from
our own records, never from what a host says of itself.

- Average ratings (each of the four and overall) of the reviews applicants wrote after a completed
  booking, and how many: for a rotation, a preceptor (over the rotations they supervise) and an
  organization. Reviews our staff hid are left out.
- The organization's response rate: of the applications sent for its review that closed, the share
  its members decided (offered a seat, waitlisted or turned down) rather than left to expire
  undecided; and the median days from submission to that decision. An application withdrawn, or
  decided by our staff, before the host decided is no case either way; a book-now application never
  waits for a decision.
- A preceptor's letter rate: of the letters of recommendation they accepted to write, the share
  they confirmed submitting to ERAS; and the median days from the applicant's request to that
  confirmation.

Each figure is shown only when it rests on at least TRACK_RECORD_MIN_CASES cases; with fewer it
says so, and how many it has.

Here, in the hosts app, because every figure is about a host, its people and its listings, and the
host pages, the rotation page and both APIs read them; the records they are computed from
(applications, their transitions, reviews, letter requests) are the applicants app's, which hosts
already reads.

The raw counts of each organization, preceptor and rotation are cached in Redis under a version of
their own, as the catalog's pages are (rotations.cache): `track_records_refresh` gives the ones a
closed case changes a new version once its transaction commits, so the next reader counts again,
and a reader that counted before the commit stores its counts under the old version, never read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Aggregate, Count, DurationField, F, Q, QuerySet, Sum

from applicants.models import REVIEW_RATINGS, Application, ApplicationTransition, LetterRequest, Review
from applicants.workflow import UNDECIDED, ActorRole
from hosts.models import Organization, Preceptor
from rotations.cache import catalog_changed
from rotations.models import Rotation

S = Application.Status

TRACK_RECORD_MIN_CASES = 5
# A safety net behind the versions: counts a refresh forgot are counted again after a day.
TRACK_RECORD_CACHE_SECONDS = 24 * 60 * 60
# What the host decides of an application sent for its review.
HOST_DECISIONS = (S.OFFERED, S.WAITLISTED, S.REJECTED)
TENTHS = Decimal("0.1")
MICROSECOND = timedelta(microseconds=1)
MICROSECONDS_A_DAY = Decimal(86_400 * 1_000_000)


class Median(Aggregate):
    """PostgreSQL's median of a duration: the middle one, or halfway between the two middle ones."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _tenths(value: Decimal) -> Decimal:
    return value.quantize(TENTHS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figure:
    """One figure of a track record and the number of cases it rests on."""

    cases: int
    # What a page says when there are too few cases, before "(3 of the 5 needed)".
    too_few: str

    @property
    def shown(self) -> bool:
        return self.cases >= TRACK_RECORD_MIN_CASES

    @property
    def reason(self) -> str:
        """Why the figure is not shown, in words; empty when it is."""
        if self.shown:
            return ""
        return f"{self.too_few} ({self.cases} of the {TRACK_RECORD_MIN_CASES} needed)."


@dataclass(frozen=True)
class Ratings(Figure):
    """Average ratings out of 5, to a tenth: each of the four (by field) and overall."""

    averages: dict[str, Decimal | None]
    overall: Decimal | None

    @property
    def labelled(self) -> list[tuple[str, Decimal | None]]:
        return [(label, self.averages[field]) for field, label in REVIEW_RATINGS.items()]


@dataclass(frozen=True)
class Rate(Figure):
    """A share of the cases, in whole percent."""

    percent: int | None


@dataclass(frozen=True)
class Days(Figure):
    """A median number of days, to a tenth."""

    days: Decimal | None

    @property
    def label(self) -> str:
        if self.days is None:
            return ""
        number = str(int(self.days)) if self.days == self.days.to_integral_value() else str(self.days)
        return f"{number} day{'' if self.days == 1 else 's'}"


@dataclass(frozen=True)
class TrackRecord:
    """The figures of one page; a figure that is not about its subject is None (a preceptor's page
    has no response rate: deciding is the organization's; a rotation without a preceptor has no
    letter rate)."""

    ratings: Ratings
    response_rate: Rate | None = None
    decision_days: Days | None = None
    letter_rate: Rate | None = None
    letter_days: Days | None = None


# Counting, from the records.


def _ratings_counted(reviews: QuerySet) -> dict:
    totals = reviews.visible().aggregate(
        reviews=Count("pk"), **{field: Sum(field) for field in REVIEW_RATINGS}
    )
    return {"reviews": totals.pop("reviews"), "sums": {field: totals[field] or 0 for field in REVIEW_RATINGS}}


def _decisions_counted(organization_id: int) -> dict:
    """Each application sent for the organization's review closes once: by the one transition out
    of "submitted" or "under review" to anything else."""
    closings = (
        ApplicationTransition.objects.filter(
            application__block__rotation__organization_id=organization_id, from_status__in=UNDECIDED
        )
        .exclude(to_status__in=UNDECIDED)
        .order_by()
    )
    decided = Q(actor_role=ActorRole.HOST, to_status__in=HOST_DECISIONS)
    expired = Q(actor_role=ActorRole.SYSTEM, to_status=S.EXPIRED)
    counted = closings.aggregate(
        decided=Count("pk", filter=decided),
        expired=Count("pk", filter=expired),
        median=Median(F("created_at") - F("application__submitted_at"), filter=decided),
    )
    median = counted["median"]
    return {
        "decided": counted["decided"],
        "expired": counted["expired"],
        "median_microseconds": None if median is None else median // MICROSECOND,
    }


def _letters_counted(preceptor_id: int) -> dict:
    accepted, submitted = Q(accepted_at__isnull=False), Q(submitted_at__isnull=False)
    counted = (
        LetterRequest.objects.filter(preceptor_id=preceptor_id)
        .order_by()
        .aggregate(
            accepted=Count("pk", filter=accepted),
            submitted=Count("pk", filter=submitted),
            median=Median(F("submitted_at") - F("requested_at"), filter=submitted),
        )
    )
    median = counted["median"]
    return {
        "letters_accepted": counted["accepted"],
        "letters_submitted": counted["submitted"],
        "letter_median_microseconds": None if median is None else median // MICROSECOND,
    }


def _rotation_counted(pk: int) -> dict:
    return _ratings_counted(Review.objects.filter(application__block__rotation_id=pk))


def _organization_counted(pk: int) -> dict:
    return {**_ratings_counted(Review.objects.for_org(pk)), **_decisions_counted(pk)}


def _preceptor_counted(pk: int) -> dict:
    return {
        **_ratings_counted(Review.objects.filter(application__block__rotation__preceptor_id=pk)),
        **_letters_counted(pk),
    }


_COUNTERS = {
    "rotation": _rotation_counted,
    "organization": _organization_counted,
    "preceptor": _preceptor_counted,
}


# The cache.


def _entry_key(kind: str, pk: int) -> str:
    # The bench's scale database and the demo one share the Redis: each has its own entries.
    return f"track-record:{connection.settings_dict['NAME']}:{kind}:{pk}"


def _version_key(kind: str, pk: int) -> str:
    return f"{_entry_key(kind, pk)}:version"


def _counted(wanted: list[tuple[str, int]]) -> dict[tuple[str, int], dict]:
    """The counts of each (kind, id) wanted: from the cache when it holds them under their current
    version, else counted now and stored. One round trip to Redis to read, a few more to store."""
    keys = {item: (_entry_key(*item), _version_key(*item)) for item in wanted}
    found = cache.get_many([key for pair in keys.values() for key in pair])
    counted, entries = {}, {}
    for item, (entry_key, version_key) in keys.items():
        version, entry = found.get(version_key), found.get(entry_key)
        if version is not None and entry is not None and entry[0] == version:
            counted[item] = entry[1]
            continue
        if version is None:
            # add, not set: a refresh that got there first keeps its version (this entry then
            # mismatches it, and the next reader counts again).
            version = uuid.uuid4().hex
            cache.add(version_key, version, timeout=None)
        counted[item] = _COUNTERS[item[0]](item[1])
        entries[entry_key] = (version, counted[item])
    if entries:
        cache.set_many(entries, timeout=TRACK_RECORD_CACHE_SECONDS)
    return counted


def _versions_bump(keys: list[str]) -> None:
    cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)


def track_records_refresh(
    *, organization_id: int | None = None, preceptor_id: int | None = None, rotation_id: int | None = None
) -> None:
    """Say that a case closed for these (a review written, hidden or shown again; an application
    decided or expired undecided; a letter submitted, declined or expired): their figures are
    counted again once the caller's transaction commits (at once outside one), and the catalog's
    cached pages, which show them, are dropped."""
    subjects = (("organization", organization_id), ("preceptor", preceptor_id), ("rotation", rotation_id))
    keys = [_version_key(kind, pk) for kind, pk in subjects if pk is not None]
    if keys:
        # Robust: with Redis unreachable the case is closed all the same; the figures then catch up
        # within TRACK_RECORD_CACHE_SECONDS.
        # A function of its own, not a partial: Django names a robust callback that failed by its
        # __qualname__.
        def bump() -> None:
            _versions_bump(keys)

        transaction.on_commit(bump, robust=True)
    catalog_changed()


# The figures.


def _ratings(counted: dict) -> Ratings:
    reviews, sums = counted["reviews"], counted["sums"]
    averages = {
        field: _tenths(Decimal(total) / reviews) if reviews else None for field, total in sums.items()
    }
    overall = _tenths(Decimal(sum(sums.values())) / (reviews * len(sums))) if reviews else None
    return Ratings(
        cases=reviews,
        too_few=f"Fewer than {TRACK_RECORD_MIN_CASES} reviews so far",
        averages=averages,
        overall=overall,
    )


def _percent(part: int, whole: int) -> int | None:
    return int((Decimal(part * 100) / whole).to_integral_value(ROUND_HALF_UP)) if whole else None


def _days(microseconds: int | None) -> Decimal | None:
    return None if microseconds is None else _tenths(Decimal(microseconds) / MICROSECONDS_A_DAY)


def _response(counted: dict) -> tuple[Rate, Days]:
    decided, closed = counted["decided"], counted["decided"] + counted["expired"]
    rate = Rate(
        cases=closed,
        too_few="Not enough closed applications yet to show a response rate",
        percent=_percent(decided, closed),
    )
    days = Days(
        cases=decided,
        too_few="Not enough decisions yet to show the time to decide",
        days=_days(counted["median_microseconds"]),
    )
    return rate, days


def _letters(counted: dict) -> tuple[Rate, Days]:
    accepted, submitted = counted["letters_accepted"], counted["letters_submitted"]
    rate = Rate(
        cases=accepted, too_few="Not enough letters yet to show a rate", percent=_percent(submitted, accepted)
    )
    days = Days(
        cases=submitted,
        too_few="Not enough letters submitted yet to show the time to a letter",
        days=_days(counted["letter_median_microseconds"]),
    )
    return rate, days


def rotation_track_record(rotation: Rotation) -> TrackRecord:
    """The rotation page's figures: the rotation's ratings, its host's answers to applications and
    its preceptor's letters."""
    preceptor = ("preceptor", rotation.preceptor_id)
    wanted = [("rotation", rotation.pk), ("organization", rotation.organization_id)]
    counted = _counted([*wanted, preceptor] if rotation.preceptor_id else wanted)
    response_rate, decision_days = _response(counted["organization", rotation.organization_id])
    letter_rate, letter_days = _letters(counted[preceptor]) if rotation.preceptor_id else (None, None)
    return TrackRecord(
        ratings=_ratings(counted["rotation", rotation.pk]),
        response_rate=response_rate,
        decision_days=decision_days,
        letter_rate=letter_rate,
        letter_days=letter_days,
    )


def organization_track_record(organization: Organization) -> TrackRecord:
    """The organization's figures: ratings over all its rotations and its answers to applications."""
    counted = _counted([("organization", organization.pk)])["organization", organization.pk]
    response_rate, decision_days = _response(counted)
    return TrackRecord(ratings=_ratings(counted), response_rate=response_rate, decision_days=decision_days)


def preceptor_track_record(preceptor: Preceptor) -> TrackRecord:
    """A preceptor's figures: ratings over the rotations they supervise, and their letters."""
    counted = _counted([("preceptor", preceptor.pk)])["preceptor", preceptor.pk]
    letter_rate, letter_days = _letters(counted)
    return TrackRecord(ratings=_ratings(counted), letter_rate=letter_rate, letter_days=letter_days)
