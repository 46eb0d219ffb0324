"""Private calendar feeds: a person's calendar app subscribes to `/calendar/<secret>.ics` and shows
their bookings and the deadlines they must meet, as an applicant and as a host member at once.

Calendar apps cannot sign in, so the secret in the address is the only key (amo.models.CalendarFeed
says how it is kept). The feed is read afresh on each request from the same rows the pages show:
a cancelled booking, a decided application or a removed membership leaves it on the next refresh.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import CalendarFeed, User
from amo.selectors import user_has_totp
from amo.services import secret_digest
from amo.text import day_label, pluralize
from applicants.models import Applicant, Application, BlockChange
from applicants.services.sweeps import UNDECIDED_EXPIRE_AFTER
from hosts.models import Membership
from payments.selectors import balance_due_on, program_fee_paid_expression

S = Application.Status
# A booking's seat, from confirmation to its last day and after: what a calendar shows as the
# rotation itself. Cancelled, not attended or ended early, it leaves the calendar.
BOOKED = [S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED]
# Applications waiting for the host's decision, which expire undecided (applicants.services.sweeps).
UNDECIDED = [S.SUBMITTED, S.UNDER_REVIEW]
# Calendar apps are asked to read the feed again this often (most choose their own pace anyway).
REFRESH_EVERY = timedelta(hours=1)
# How long the calendar app itself may keep an answer, in seconds.
CACHE_FOR = 300


# --- The feed's secret ------------------------------------------------------------------------------


def calendar_feed_refusal(user: User) -> str | None:
    """Why `user` may not have a calendar feed, or None when they may.

    The feed lists an applicant's own bookings and a host member's organizations' ones: someone who
    is neither has nothing to show. A host owner sets up two-factor authentication first, as the
    host pages require: a feed made from a password-only session would show the organization's
    bookings without the second factor.
    """
    memberships = Membership.objects.filter(user=user)
    if not Applicant.objects.filter(user=user).exists() and not memberships.exists():
        return (
            "A calendar feed lists an applicant's bookings or a host organization's; "
            "this account has neither yet."
        )
    if memberships.filter(role=Membership.Role.OWNER).exists() and not user_has_totp(user=user):
        return "Host owners set up two-factor authentication before creating a calendar feed."
    return None


def calendar_feed_issue(*, user: User) -> tuple[CalendarFeed, str]:
    """Give `user` a new calendar feed address, revoking the one they had; returns the feed and its
    secret, which is never stored nor shown again.

    One feed works per person: replacing it is how a lost or leaked address is ended, so the old
    one stops working in the same transaction as the new one starts.
    """
    refusal = calendar_feed_refusal(user)
    if refusal:
        raise DomainError(refusal)
    now = timezone.now()
    with transaction.atomic():
        # The user's row lock makes two requests at once replace one another in turn, rather than
        # the second meeting the one-working-feed constraint.
        User.objects.select_for_update().filter(pk=user.pk).first()
        CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        secret = secrets.token_urlsafe(32)
        feed = CalendarFeed.objects.create(user=user, digest=secret_digest(secret), created_at=now)
    return feed, secret


def calendar_feed_revoke(*, user: User) -> CalendarFeed:
    """Stop `user`'s calendar feed from working, at once; the next read of its address is a 404."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True).first()
        if feed is None:
            raise DomainError("You have no calendar feed to turn off.", status=409)
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed


def calendar_feed_working(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_feed_for_secret(secret: str) -> CalendarFeed | None:
    """The working feed whose address carries `secret`, with its owner; None for an unknown or
    revoked secret, or a deactivated account.

    Looked up by the secret's digest: the secret is 256 random bits, so knowing how a lookup of a
    guess fared teaches nothing about any real digest.
    """
    return (
        CalendarFeed.objects.filter(
            digest=secret_digest(secret), revoked_at__isnull=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )


# --- The events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEvent:
    """One entry of a feed. All-day entries (a booking, a balance) have dates, with `end` the day
    after the last as ICS counts; a deadline is a moment, in UTC, that starts and ends at once."""

    # Stable for what it is about (e.g. "booking-42"), so a calendar app updates the entry when the
    # booking moves rather than adding a second one.
    key: str
    summary: str
    start: date | datetime
    end: date | datetime
    # When what it says last changed (DTSTAMP: a feed without a METHOD stamps its last revision).
    changed_at: datetime
    description: str = ""
    location: str = ""
    path: str = ""
    busy: bool = False


def _booking_dates(application: Application) -> tuple[date, date]:
    block = application.block
    return block.start_date, block.end_date + timedelta(days=1)


def _booking_description(application: Application) -> str:
    block = application.block
    rotation = block.rotation
    lines = [
        f"{application.get_status_display()} booking: {pluralize(block.weeks, 'week')} from "
        f"{day_label(block.start_date)} to {day_label(block.end_date)}.",
        f"Where: {rotation.organization}, {rotation.organization.address}.",
    ]
    if rotation.preceptor is not None:
        lines.append(f"Preceptor: {rotation.preceptor}.")
    return "\n".join(lines)


def applicant_events(*, user: User) -> list[CalendarEvent]:
    """The applicant's bookings, and the deadlines they must meet: answering an offer, paying the
    deposit before the seat's hold lapses, the documents a book-now booking still owes, and the day
    the balance is due. One query, however many applications."""
    applications = (
        Application.objects.filter(applicant__user=user, status__in=[*Application.SEATED, *BOOKED])
        .with_hold()
        .annotate(program_fee_paid=program_fee_paid_expression())
        .select_related("block__rotation__organization", "block__rotation__preceptor")
        .order_by("block__start_date", "pk")
    )
    events = []
    for application in applications:
        rotation = application.block.rotation
        organization = rotation.organization
        path = reverse("applicants:application_detail", kwargs={"pk": application.pk})
        common = {"changed_at": application.updated_at, "location": organization.address, "path": path}
        if application.status in BOOKED:
            start, end = _booking_dates(application)
            events.append(
                CalendarEvent(
                    key=f"booking-{application.pk}",
                    summary=f"{rotation.title}, {organization}",
                    start=start,
                    end=end,
                    description=_booking_description(application),
                    busy=True,
                    **common,
                )
            )
        if application.hold_expires_at is not None:
            if application.status == S.OFFERED:
                key, summary = "offer", f"Offer expires: {rotation.title}"
                what = "Accept or decline the offer before then, or its seat goes to someone else."
            else:
                key, summary = "deposit", f"Seat held until: {rotation.title}"
                what = "Pay the deposit before then, or the seat is released."
            events.append(
                _deadline(f"{key}-{application.pk}", summary, application.hold_expires_at, what, common)
            )
        if application.documents_due_at is not None and application.status in Application.SEATED:
            events.append(
                _deadline(
                    f"documents-{application.pk}",
                    f"Documents due: {rotation.title}",
                    application.documents_due_at,
                    "Send the required documents still missing, or the host may cancel the booking.",
                    common,
                )
            )
        if (
            application.status in (S.CONFIRMED, S.IN_PROGRESS)
            and application.program_fee_paid < application.program_fee_cents
        ):
            due_on = balance_due_on(application)
            events.append(
                CalendarEvent(
                    key=f"balance-{application.pk}",
                    summary=f"Balance due: {rotation.title}",
                    start=due_on,
                    end=due_on + timedelta(days=1),
                    description="The rest of the program fee is due. It is charged to the card saved "
                    "with your deposit that day; without one, pay it on the booking's page.",
                    **common,
                )
            )
    return events


def _deadline(key: str, summary: str, moment: datetime, what: str, common: dict) -> CalendarEvent:
    moment = moment.astimezone(UTC)
    return CalendarEvent(key=key, summary=summary, start=moment, end=moment, description=what, **common)


def _host_memberships(user: User) -> list[Membership]:
    """The memberships whose organization's data the feed shows: all of them, but an owner's while
    they have no second factor (the host pages refuse them too, until they set it up)."""
    memberships = list(Membership.objects.filter(user=user))
    if any(m.role == Membership.Role.OWNER for m in memberships) and not user_has_totp(user=user):
        memberships = [m for m in memberships if m.role != Membership.Role.OWNER]
    return memberships


def host_events(*, user: User) -> list[CalendarEvent]:
    """A host member's organizations' bookings, scoped as the host pages scope them (a preceptor sees
    the rotations they supervise), and for owners and coordinators the decisions waiting on them:
    each undecided application by the moment it expires, each date change by the day before the
    booking starts, its last day to move. A fixed number of queries, however many rows."""
    memberships = _host_memberships(user)
    if not memberships:
        return []
    deciders = [m for m in memberships if m.role in (Membership.Role.OWNER, Membership.Role.COORDINATOR)]
    events = []
    bookings = (
        Application.objects.for_members(memberships)
        .filter(status__in=BOOKED)
        .select_related("applicant__user", "block__rotation__organization", "block__rotation__preceptor")
        .order_by("block__start_date", "pk")
    )
    for application in bookings:
        rotation = application.block.rotation
        start, end = _booking_dates(application)
        events.append(
            CalendarEvent(
                key=f"host-booking-{application.pk}",
                summary=f"{application.applicant}: {rotation.title}",
                start=start,
                end=end,
                changed_at=application.updated_at,
                description=_booking_description(application),
                location=rotation.organization.address,
                path=reverse("hosts:application_detail", kwargs={"pk": application.pk}),
            )
        )
    undecided = (
        Application.objects.for_members(deciders)
        .filter(status__in=UNDECIDED, submitted_at__isnull=False)
        .select_related("applicant__user", "block__rotation")
        .order_by("submitted_at", "pk")
    )
    for application in undecided:
        events.append(
            _deadline(
                f"decide-{application.pk}",
                f"Decide: {application.applicant}, {application.block.rotation.title}",
                application.submitted_at + UNDECIDED_EXPIRE_AFTER,
                f"{application.applicant} applied for {application.block}. Offer a seat, waitlist or "
                "reject before then: an application nobody decides expires, and its fee is refunded.",
                {
                    "changed_at": application.updated_at,
                    "path": reverse("hosts:application_detail", kwargs={"pk": application.pk}),
                },
            )
        )
    changes = (
        BlockChange.objects.for_members(deciders)
        .filter(status=BlockChange.Status.REQUESTED)
        .select_related("application__applicant__user", "from_block__rotation", "to_block__rotation")
        .order_by("requested_at", "pk")
    )
    for change in changes:
        last_day = change.from_block.start_date - timedelta(days=1)
        events.append(
            CalendarEvent(
                key=f"block-change-{change.pk}",
                summary=f"Answer the date change: {change.application.applicant}, "
                f"{change.from_block.rotation.title}",
                start=last_day,
                end=last_day + timedelta(days=1),
                changed_at=change.requested_at,
                description=f"{change.application.applicant} asks to move their booking from "
                f"{change.from_block} to {change.to_block}. A booking moves only before it starts "
                f"on {day_label(change.from_block.start_date)}.",
                path=reverse("hosts:block_changes"),
            )
        )
    return events


def calendar_events(*, user: User) -> list[CalendarEvent]:
    """Everything `user`'s feed shows: as an applicant and as a host member."""
    return applicant_events(user=user) + host_events(user=user)


# --- The feed ---------------------------------------------------------------------------------------


def calendar_ics(*, feed: CalendarFeed, events: list[CalendarEvent]) -> bytes:
    """The feed as iCalendar (RFC 5545), written by the icalendar library: stable UIDs, times in UTC,
    all-day entries as dates."""
    domain = urlsplit(settings.SITE_URL).hostname
    calendar = icalendar.Calendar.new(
        prodid=f"-//{settings.SITE_NAME}//Calendar feed//EN",
        name=f"{settings.SITE_NAME}: bookings and deadlines",
        refresh_interval=REFRESH_EVERY,
        uid=f"calendar-{feed.pk}@{domain}",
    )
    calendar.add("X-PUBLISHED-TTL", REFRESH_EVERY)  # REFRESH-INTERVAL in Outlook's and Apple's words
    for event in events:
        calendar.add_component(
            icalendar.Event.new(
                uid=f"{event.key}@{domain}",
                summary=event.summary,
                start=event.start,
                end=event.end,
                stamp=event.changed_at.astimezone(UTC),
                description=event.description or None,
                location=event.location or None,
                url=settings.SITE_URL + event.path if event.path else None,
                transparency="OPAQUE" if event.busy else "TRANSPARENT",
            )
        )
    return calendar.to_ical()
