"""Reminders: rows planned when the event that makes them due happens, cancelled or planned again
when it changes, and sent exactly once by the every-minute sweep.

Planning. The app that owns what a reminder is about computes, from that thing's current state,
every reminder it should have (`Planned`), and calls `reminders_replan` with them and the rows they
replace (`reminders_about`). Whatever changes it (an offer made or accepted, a booking confirmed or
moved, a document uploaded or replaced) calls its planner again: planning is idempotent (the unique
key makes a reminder planned twice one row), a reminder no longer wanted is cancelled, and one whose
due time passed before it was planned (a booking made five days before the start gets no 14-day
reminder) is not planned at all.

Sending. The sweep takes one due row at a time with `SELECT ... FOR UPDATE SKIP LOCKED`, and
records the in-app notification, emails it and marks the row sent in that row's own transaction.
Zulip's deliver_scheduled_emails holds a whole batch in one transaction; then a worker killed in
the middle of the batch rolls back the marks of emails that already left, and a restart sends
them again. One row per transaction bounds that to the one email on the wire when the worker dies:
only a death between the mail server's "accepted" and the commit, a few milliseconds, sends that
one again, and with the same Message-ID (made from the notification's key), so mail clients show
it once. Two sweeps (two beats started by mistake, or the fan-out in amo.tasks) skip each other's
locked rows, and a row is read again under its lock, so each reminder is sent once whoever runs.
tests/amo/test_reminders_worker.py kills a real worker in the middle of a run, and runs two beats.

What it says is decided when it is sent: each kind's renderer (registered by the app that owns it)
reads the current state and may answer that the reminder no longer applies (the offer was answered
meanwhile), which cancels it rather than sending stale news.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from smtplib import SMTPRecipientsRefused

from django.contrib.contenttypes.models import ContentType
from django.core.mail import get_connection
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from amo.errors import DomainError
from amo.models import Notification, Reminder, User
from amo.transactions import transaction_required

logger = logging.getLogger(__name__)

K = Reminder.Kind

# The kinds a person may turn off on their account page. Money and deadline reminders (an offer or
# a held seat expiring, documents due, a balance to be charged, a document expiring before a
# rotation ends, applications that expire undecided) are sent whatever the account says.
OPTIONAL_KINDS = (K.DRAFT_LEFT, K.ROTATION_STARTING, K.BLOCK_CHANGE_WAITING)

# Who is sent each kind, by role (User.roles): what the account page shows a person. A letter's
# author is sent theirs at the address on the request, with or without an account.
KINDS_BY_ROLE = {
    "applicant": (
        K.DRAFT_LEFT,
        K.HOLD_EXPIRING,
        K.DOCUMENTS_DUE,
        K.BALANCE_DUE,
        K.ROTATION_STARTING,
        K.DOCUMENT_EXPIRING,
    ),
    "host member": (K.APPLICATIONS_WAITING, K.BLOCK_CHANGE_WAITING),
    # An advisor, or staff given the letter permission: letters left unsubmitted for three weeks.
    "staff": (K.LETTER_ESCALATED,),
}

TURNED_OFF = "Turned off on the account page."
ACCOUNT_CLOSED = "The account is closed."
NO_LONGER_APPLIES = "It no longer applies."
ABOUT_GONE = "What it was about no longer exists."
TIME_PASSED = "Its time had passed when it was planned again."


@dataclass(frozen=True)
class Planned:
    """One reminder a planner wants: its key (unique, naming what it is anchored to), kind,
    recipient (a person, or `to_address` for someone without an account), what it is about and
    when it is due."""

    key: str
    kind: str
    recipient_id: int | None
    about: models.Model
    due_at: datetime
    to_address: str = ""


@dataclass(frozen=True)
class Message:
    """What a reminder says when it is sent: a subject, a plain-text body and the page it is about."""

    subject: str
    body: str
    link: str = ""


Renderer = Callable[[Reminder], Message | None]
_RENDERERS: dict[str, Renderer] = {}


def reminder_kind_register(kind: str, render: Renderer) -> None:
    """Say how reminders of `kind` read when sent; called from the owning app's ready(). `render`
    gets the locked reminder (its `about` loadable) and returns None when it no longer applies."""
    _RENDERERS[kind] = render


def reminders_about(about: models.Model, *kinds: str) -> QuerySet[Reminder]:
    """The reminders of these kinds about one object: the rows a planner's result replaces."""
    return Reminder.objects.filter(
        about_type=ContentType.objects.get_for_model(about), about_id=about.pk, kind__in=kinds
    )


def reminders_replan(*, replaces: QuerySet[Reminder], wanted: Iterable[Planned], reason: str) -> None:
    """Make the reminders to come among `replaces` be exactly `wanted`: new ones are planned (once
    per key; one already due when planned is left out), one still to come whose due time changed
    moves to it, wanted ones cancelled earlier are planned again, and every other one still to come
    is cancelled with `reason` (plain words: "The offer was accepted."). A reminder whose new due
    time has already passed is cancelled too, as one due when first planned is never planned. Rows
    already sent are history and never change: each write re-checks that under the row's lock, so
    a sweep sending it meanwhile wins."""
    now = timezone.now()
    wanted = {each.key: each for each in wanted}
    replaces.filter(sent_at__isnull=True, cancelled_at__isnull=True).exclude(key__in=list(wanted)).update(
        cancelled_at=now, cancel_reason=_cancel_reason(reason)
    )
    if not wanted:
        return
    unsent = Reminder.objects.filter(key__in=list(wanted), sent_at__isnull=True)
    for key, due_at, cancelled_at in unsent.values_list("key", "due_at", "cancelled_at"):
        planned_at = wanted[key].due_at
        row = unsent.filter(key=key)
        if planned_at > now and (cancelled_at is not None or due_at != planned_at):
            row.update(due_at=planned_at, cancelled_at=None, cancel_reason="")
        elif planned_at <= now and cancelled_at is None and due_at != planned_at:
            row.update(cancelled_at=now, cancel_reason=TIME_PASSED)
    Reminder.objects.bulk_create(
        [
            Reminder(
                key=each.key,
                kind=each.kind,
                recipient_id=each.recipient_id,
                to_address=each.to_address,
                about_type=ContentType.objects.get_for_model(each.about),
                about_id=each.about.pk,
                due_at=each.due_at,
                created_at=now,
            )
            for each in wanted.values()
            if each.due_at > now
        ],
        ignore_conflicts=True,
    )


def _cancel_reason(reason: str) -> str:
    return reason[: Reminder._meta.get_field("cancel_reason").max_length]


def reminder_kinds_of(user: User) -> list[str]:
    """The kinds `user` may be sent, by their roles (KINDS_BY_ROLE), in Reminder.Kind's order."""
    theirs = {kind for role in user.roles for kind in KINDS_BY_ROLE.get(role, ())}
    return [kind for kind in K.values if kind in theirs]


def reminders_turned_off(user: User) -> set[str]:
    """The optional kinds `user` turned off (amo.reminders.OPTIONAL_KINDS)."""
    return set(user.reminders_off) & set(OPTIONAL_KINDS)


def reminders_settings_save(*, user: User, turned_off: Iterable[str]) -> None:
    """Record which optional reminder kinds `user` does not want; money and deadline kinds cannot
    be turned off, so naming one is refused."""
    turned_off = set(turned_off)
    refused = turned_off - set(OPTIONAL_KINDS)
    if refused:
        labels = ", ".join(sorted(K(kind).label.lower() if kind in K.values else kind for kind in refused))
        raise DomainError(f"These reminders cannot be turned off: {labels}.", field="reminders_off")
    User.objects.filter(pk=user.pk).update(reminders_off=sorted(turned_off))
    user.reminders_off = sorted(turned_off)


# --- The sweep ----------------------------------------------------------------------------------------

# How long one sweep run keeps taking rows: most of its minute, so a backlog is sent with barely a
# pause between beat's runs, and inside the task's time limit (amo.tasks), so each run ends about
# when the next minute's begins.
SWEEP_SECONDS = 55.0


def _to_come_due(now: datetime) -> QuerySet[Reminder]:
    return Reminder.objects.filter(sent_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now)


def reminders_due_count() -> int:
    return _to_come_due(timezone.now()).count()


def reminders_send_due(*, seconds: float = SWEEP_SECONDS, limit: int | None = None) -> int:
    """Send the reminders that are due, one row per transaction, until none is left, `seconds`
    passed or `limit` were handled; returns how many were sent (cancelled ones are not counted).

    One SMTP connection serves the whole run, opened when the first email is sent (a run with
    nothing due never asks the mail server). A mail server that cannot be reached, or fails in the
    middle of the conversation, ends the run with nothing marked for the row in hand: the next run
    sends it. A reminder whose renderer fails is logged and passed over for the rest of the run, so
    one faulty kind never holds back the reminders due after it; every run tries it again.
    """
    started = time.monotonic()
    handled = sent = 0
    passed_over: set[int] = set()
    smtp = get_connection()
    try:
        while time.monotonic() - started < seconds and (limit is None or handled < limit):
            try:
                with transaction.atomic():
                    reminder = _reminder_take_due(passing_over=passed_over)
                    if reminder is None:
                        break
                    sent += _reminder_send_locked(reminder, smtp)
            except _RenderFailed as failed:
                passed_over.add(failed.reminder_id)
            handled += 1
    finally:
        smtp.close()
    return sent


def reminder_send_now(*, key: str) -> bool:
    """Send the reminder `key` now, before its due time, unless it was sent or cancelled: for an
    email that should leave at once (a letter request to its author), planned a little ahead so
    that the sweep sends it should this call never run. True when this call sent it."""
    smtp = get_connection()
    try:
        with transaction.atomic():
            reminder = (
                Reminder.objects.filter(key=key, sent_at__isnull=True, cancelled_at__isnull=True)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .first()
            )
            return reminder is not None and _reminder_send_locked(reminder, smtp)
    finally:
        smtp.close()


def _reminder_take_due(*, passing_over: set[int]) -> Reminder | None:
    """Lock the reminder due first that no other sweep holds; None when none is left."""
    transaction_required("_reminder_take_due")
    return (
        _to_come_due(timezone.now())
        .exclude(pk__in=passing_over)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient")
        .order_by("due_at", "id")
        .first()
    )


class _RenderFailed(Exception):
    def __init__(self, reminder_id: int) -> None:
        super().__init__(f"Reminder {reminder_id} could not be written.")
        self.reminder_id = reminder_id


def _reminder_cancel(reminder: Reminder, reason: str) -> None:
    reminder.cancelled_at = timezone.now()
    reminder.cancel_reason = reason
    reminder.save(update_fields=["cancelled_at", "cancel_reason"])


def _reminder_send_locked(reminder: Reminder, smtp) -> bool:
    """Send one locked reminder: the in-app notification, its email, the row marked sent (to an
    address without an account: the email alone). Returns False when it was cancelled instead
    (turned off, the account closed, what it is about deleted, no longer applies)."""
    from amo.services import email_message, notification_email_message

    recipient = reminder.recipient
    if recipient is not None and not recipient.is_active:
        _reminder_cancel(reminder, ACCOUNT_CLOSED)
        return False
    if recipient is not None and reminder.kind in reminders_turned_off(recipient):
        _reminder_cancel(reminder, TURNED_OFF)
        return False
    if reminder.about is None:
        _reminder_cancel(reminder, ABOUT_GONE)
        return False
    try:
        message = _RENDERERS[reminder.kind](reminder)
    except Exception as error:  # a bug in one kind's renderer: logged, the others still go out
        logger.exception("Reminder %s (%s) could not be written", reminder.pk, reminder.kind)
        raise _RenderFailed(reminder.pk) from error
    if message is None:
        _reminder_cancel(reminder, NO_LONGER_APPLIES)
        return False
    now = timezone.now()
    if recipient is None:
        smtp.open()
        try:
            email_message(
                to=reminder.to_address,
                key=f"reminder:{reminder.key}",
                subject=message.subject,
                body=message.body,
                link=message.link,
                connection=smtp,
            ).send()
        except SMTPRecipientsRefused:
            # Nobody to tell in the app and nothing to relay: logged, and not asked again.
            logger.warning("The mail server refused the address of reminder %s", reminder.pk)
        reminder.sent_at = now
        reminder.save(update_fields=["sent_at"])
        return True
    # Written before the email leaves and marked emailed at once, so a row that cannot be written
    # fails before anything is sent; the row's transaction takes both back if the email fails.
    notification = Notification.objects.create(
        key=f"reminder:{reminder.key}",
        recipient=recipient,
        subject=message.subject[: Notification._meta.get_field("subject").max_length],
        body=message.body,
        link=message.link,
        created_at=now,
        emailed_at=now,
    )
    smtp.open()  # once per run: a connection already open is kept
    try:
        notification_email_message(notification, connection=smtp).send()
    except SMTPRecipientsRefused:
        # The address is refused: the reminder stays in the app and the row is marked sent,
        # so the sweep does not ask the mail server again every minute. The notification's
        # email is left to the relay's few spaced tries, as any email that did not leave.
        logger.warning("The mail server refused the address of reminder %s", reminder.pk)
        Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
    reminder.sent_at = now
    reminder.notification = notification
    reminder.save(update_fields=["sent_at", "notification"])
    return True
