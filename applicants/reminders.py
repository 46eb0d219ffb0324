"""The applicant's reminders (amo.reminders): what each kind wants from the current state of an
application or of the applicant's documents, and what it says when it is sent.

A planner reads the state and returns every reminder it wants, past ones included (reminders_replan
leaves out those already due when planned: a booking made five days before the start gets its
one-day reminder only). Its key names what the reminder is anchored to (the hold and its deadline,
the block, the day the balance is due, the document), so a change of anchor plans a new row and
cancels the old one. Services call the planners through applicants.services.follow_up whenever they
change what a reminder depends on.

A renderer runs the same planner when the reminder falls due and answers None unless its key is
still wanted: a change no hook saw (an offer answered, the balance paid, the block moved) cancels the
reminder instead of sending stale news. Only then does it read what the message says.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.urls import reverse

from amo.models import Notification, Reminder
from amo.money import format_cents
from amo.reminders import Message, Planned, reminders_about, reminders_replan
from amo.text import day_label, moment_label, pluralize
from applicants.models import Applicant, Application, Document
from applicants.readiness import readiness_checklist
from applicants.selectors import booking_advisor, booking_first_day, draft_can_continue
from applicants.workflow import STANDING
from payments.models import Payment
from payments.selectors import amount_due, balance_deadline, balance_due_now, balance_due_on
from rotations.models import DocumentKind, SeatHold

K = Reminder.Kind
S = Application.Status
P = Payment.Purpose

# Reminders about a day (a rotation's start, a document's expiry) go out at this hour, UTC: 9:00 in
# New York, mid-afternoon in Lagos and Cairo, evening in Karachi and Delhi (19:30), late evening in
# Manila: awake hours where the hosts and most of our applicants live.
DAY_REMINDER_AT = time(14, 0, tzinfo=UTC)

DRAFT_LEFT_AFTER = timedelta(days=3)
HOLD_EXPIRING_BEFORE = timedelta(hours=24)
DOCUMENTS_DUE_DAYS_BEFORE = (3, 1)
BALANCE_DUE_DAYS_BEFORE = 7
BALANCE_DEADLINE_BEFORE = timedelta(hours=24)
ROTATION_STARTING_DAYS_BEFORE = (14, 7, 1)
DOCUMENT_EXPIRING_DAYS_BEFORE = (28, 14, 0)

# The kinds planned from an application's state; DOCUMENT_EXPIRING is planned per applicant.
APPLICATION_KINDS = (K.DRAFT_LEFT, K.HOLD_EXPIRING, K.DOCUMENTS_DUE, K.BALANCE_DUE, K.ROTATION_STARTING)
BOOKED = (S.CONFIRMED, S.IN_PROGRESS)


def _on_day(day: date, at: time = DAY_REMINDER_AT) -> datetime:
    return datetime.combine(day, at)


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def balance_charged_at() -> time:
    """When the daily balance charge runs (payments.tasks.balances_charge, by amo/settings.py's
    beat schedule, in UTC): a balance falls due at that time of its day."""
    schedule = settings.CELERY_BEAT_SCHEDULE["balances-charge"]["schedule"]
    return time(min(schedule.hour), min(schedule.minute), tzinfo=UTC)


def _key(kind: str, application: Application, anchor: str) -> str:
    return f"{kind}:application:{application.pk}:{anchor}"


def _planned(kind: str, application: Application, anchor: str, due_at: datetime) -> Planned:
    return Planned(
        key=_key(kind, application, anchor),
        kind=kind,
        recipient_id=application.applicant.user_id,
        about=application,
        due_at=due_at,
    )


# --- Planners: what an application's state wants -------------------------------------------------------


def _draft_left(application: Application) -> list[Planned]:
    """A draft not touched for 3 days, while its block still takes applications: anchored to its
    last edit, so each edit moves the reminder."""
    if not draft_can_continue(application):
        return []
    edited = application.updated_at
    return [_planned(K.DRAFT_LEFT, application, _stamp(edited), edited + DRAFT_LEFT_AFTER)]


def _open_hold(application: Application) -> SeatHold | None:
    """The offer's or the checkout's hold that keeps the seat of an offered or reserved application."""
    if application.status not in (S.OFFERED, S.AWAITING_PAYMENT):
        return None
    return (
        SeatHold.objects.unreleased()
        .filter(application=application, kind__in=[SeatHold.Kind.OFFER, SeatHold.Kind.CHECKOUT])
        .first()
    )


def _hold_anchor(hold: SeatHold) -> str:
    return f"hold:{hold.pk}:{_stamp(hold.expires_at)}"


def _hold_expiring(application: Application) -> list[Planned]:
    """An offer or a reservation 24 hours before its hold's deadline (a 30-minute checkout gets
    none: its reminder would be due before it was planned)."""
    hold = _open_hold(application)
    if hold is None:
        return []
    return [
        _planned(K.HOLD_EXPIRING, application, _hold_anchor(hold), hold.expires_at - HOLD_EXPIRING_BEFORE)
    ]


def documents_missing(application: Application) -> list[str]:
    """The required documents not yet sent with `application` (or not valid for its whole block),
    by name."""
    checklist = readiness_checklist(
        applicant=application.applicant, block=application.block, documents=application.documents.all()
    )
    return [item.label for item in checklist if item.key.startswith("document:") and not item.ok]


def _documents_due(application: Application) -> list[Planned]:
    """A booking made before its documents were in: 3 days and 1 day before they are due, while
    any is missing."""
    due = application.documents_due_at
    if application.status not in Application.SEATED or due is None or not documents_missing(application):
        return []
    return [
        _planned(K.DOCUMENTS_DUE, application, f"{_stamp(due)}:{days}d", due - timedelta(days=days))
        for days in DOCUMENTS_DUE_DAYS_BEFORE
    ]


def _balance_charge_anchor(due_on: date) -> str:
    return f"charge:{due_on.isoformat()}"


def _balance_deadline_anchor(deadline: datetime) -> str:
    return f"deadline:{_stamp(deadline)}"


def _balance_due(application: Application) -> list[Planned]:
    """A booking that still owes its balance: 7 days before the daily charge takes it (anchored to
    the day, which a move to another block changes), and, once the saved card was not charged, 24
    hours before the deadline to pay it through the link."""
    if application.status not in BOOKED or not amount_due(application, P.BALANCE):
        return []
    wanted = []
    if not balance_due_now(application):
        due_on = balance_due_on(application)
        charged = _on_day(due_on - timedelta(days=BALANCE_DUE_DAYS_BEFORE), balance_charged_at())
        wanted.append(_planned(K.BALANCE_DUE, application, _balance_charge_anchor(due_on), charged))
    deadline = balance_deadline(application)
    if deadline is not None:
        wanted.append(
            _planned(
                K.BALANCE_DUE,
                application,
                _balance_deadline_anchor(deadline),
                deadline - BALANCE_DEADLINE_BEFORE,
            )
        )
    return wanted


def _rotation_starting(application: Application) -> list[Planned]:
    """A confirmed booking 14, 7 and 1 days before its block starts, anchored to the block: a
    booking moved to another block gets its own reminders, and the old block's are cancelled."""
    if application.status != S.CONFIRMED:
        return []
    block = application.block
    return [
        _planned(
            K.ROTATION_STARTING,
            application,
            f"block:{block.pk}:{days}d",
            _on_day(block.start_date - timedelta(days=days)),
        )
        for days in ROTATION_STARTING_DAYS_BEFORE
    ]


APPLICATION_PLANNERS: dict[str, Callable[[Application], list[Planned]]] = {
    K.DRAFT_LEFT: _draft_left,
    K.HOLD_EXPIRING: _hold_expiring,
    K.DOCUMENTS_DUE: _documents_due,
    K.BALANCE_DUE: _balance_due,
    K.ROTATION_STARTING: _rotation_starting,
}


def _application_loaded(pk: int) -> Application | None:
    return (
        Application.objects.select_related(
            "applicant__user",
            "advisor",
            "block__rotation__organization",
            "block__rotation__preceptor",
            "block__rotation__first_day",
        )
        .filter(pk=pk)
        .first()
    )


def application_reminders_plan(application: Application | int, *, reason: str | None = None) -> None:
    """Plan the reminders `application`'s current state wants, and its applicant's document
    reminders (a booking confirmed, cancelled or moved changes which documents must last); cancel
    the rest with `reason`, by default where the application now stands ("This booking is
    confirmed."). Inside the caller's transaction."""
    application = _application_loaded(application if isinstance(application, int) else application.pk)
    reason = reason or f"{STANDING[application.status]}."
    wanted = [each for planner in APPLICATION_PLANNERS.values() for each in planner(application)]
    reminders_replan(replaces=reminders_about(application, *APPLICATION_KINDS), wanted=wanted, reason=reason)
    document_reminders_plan(application.applicant, reason=reason)


# --- The applicant's documents ---------------------------------------------------------------------------


def _documents_expiring(applicant: Applicant) -> dict[Document, list[Application]]:
    """The documents that expire before a booking of `applicant`'s ends, each with those bookings.

    For each booking still to come or under way and each document kind its rotation requires: when
    no document of that kind in the vault (rejected ones aside) is valid to the block's last day,
    the one that lasts longest is expiring (a kind with no document at all is for the documents due
    to say). A newer document that covers the rotation ends its predecessor's reminders."""
    bookings = (
        Application.objects.filter(applicant=applicant, status__in=BOOKED)
        .select_related("block__rotation")
        .order_by("block__start_date", "pk")
    )
    vault = list(applicant.documents.exclude(verification_status=Document.VerificationStatus.REJECTED))
    expiring: dict[Document, list[Application]] = {}
    for booking in bookings:
        end = booking.block.end_date
        for kind in booking.block.rotation.required_document_kinds:
            of_kind = [document for document in vault if document.kind == kind]
            if not of_kind or any(d.expires_on is None or d.expires_on >= end for d in of_kind):
                continue
            longest = max(of_kind, key=lambda d: (d.expires_on, d.uploaded_at, d.pk))
            expiring.setdefault(longest, []).append(booking)
    return expiring


def _document_planned(applicant: Applicant, document: Document) -> list[Planned]:
    return [
        Planned(
            key=f"{K.DOCUMENT_EXPIRING}:document:{document.pk}:{days}d",
            kind=K.DOCUMENT_EXPIRING,
            recipient_id=applicant.user_id,
            about=document,
            due_at=_on_day(document.expires_on - timedelta(days=days)),
        )
        for days in DOCUMENT_EXPIRING_DAYS_BEFORE
    ]


def document_reminders_plan(applicant: Applicant | int, *, reason: str) -> None:
    """Plan the expiry reminders of `applicant`'s documents: 4 weeks and 2 weeks before, and on the
    day a required document expires before a booking ends; every other one still to come (about a
    document replaced, rejected or deleted, or one no booking needs any more) is cancelled with
    `reason`. Inside the caller's transaction."""
    if isinstance(applicant, int):
        applicant = Applicant.objects.get(pk=applicant)
    wanted = [
        each for document in _documents_expiring(applicant) for each in _document_planned(applicant, document)
    ]
    reminders_replan(
        replaces=Reminder.objects.filter(kind=K.DOCUMENT_EXPIRING, recipient_id=applicant.user_id),
        wanted=wanted,
        reason=reason,
    )


def applicant_reminders_cancel(applicant: Applicant, *, reason: str) -> None:
    """Cancel every reminder still to come of the applicant's kinds: their profile is deleted."""
    reminders_replan(
        replaces=Reminder.objects.filter(
            recipient_id=applicant.user_id, kind__in=[*APPLICATION_KINDS, K.DOCUMENT_EXPIRING]
        ),
        wanted=[],
        reason=reason,
    )


# --- Renderers: what a reminder still wanted says ------------------------------------------------------

# Subjects quote a rotation's title (up to 200 characters): kept within a notification's subject.
SUBJECT_MAX = Notification._meta.get_field("subject").max_length


def _message(subject: str, body: str, link: str) -> Message:
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    return Message(subject=subject, body=body, link=link)


def _application_page(application: Application) -> str:
    return reverse("applicants:application_detail", kwargs={"pk": application.pk})


def _pay_page(application: Application, purpose: str) -> str:
    return reverse("applicants:application_pay", kwargs={"pk": application.pk, "purpose": purpose})


def _still_wanted(reminder: Reminder) -> Application | None:
    """The application `reminder` is about, if its kind's planner still wants it."""
    application = _application_loaded(reminder.about_id)
    if application is None:
        return None
    wanted = APPLICATION_PLANNERS[reminder.kind](application)
    return application if reminder.key in {each.key for each in wanted} else None


def _in_days(days: int) -> str:
    return "tomorrow" if days == 1 else f"in {pluralize(days, 'day')}"


def _draft_left_render(reminder: Reminder) -> Message | None:
    application = _still_wanted(reminder)
    if application is None:
        return None
    block = application.block
    return _message(
        f"Your application is still a draft: {block.rotation}",
        f"You started an application for {block} at {block.rotation.organization} and have not sent it "
        f"yet. Finish it and send it from its page; applications for this block close on "
        f"{day_label(block.apply_by)}.",
        _application_page(application),
    )


def _hold_expiring_render(reminder: Reminder) -> Message | None:
    application = _still_wanted(reminder)
    if application is None:
        return None
    hold, block = _open_hold(application), application.block
    deadline = f"{moment_label(hold.expires_at)} UTC"
    if application.status == S.OFFERED:
        return _message(
            f"Your offer ends {day_label(hold.expires_at)}: {block.rotation}",
            f"{block.rotation.organization} offered you a seat on {block}. The offer ends on {deadline}: "
            "accept or decline it on your application's page before then, or the seat goes to someone else.",
            _application_page(application),
        )
    deposit = format_cents(application.deposit_cents, application.currency)
    return _message(
        f"Pay the deposit by {day_label(hold.expires_at)}: {block.rotation}",
        f"Your seat on {block} is held for you until {deadline}. Pay the deposit of {deposit} before "
        "then to confirm your booking, or the seat goes to someone else.",
        _pay_page(application, P.DEPOSIT),
    )


def _documents_due_render(reminder: Reminder) -> Message | None:
    application = _still_wanted(reminder)
    if application is None:
        return None
    block, due = application.block, application.documents_due_at
    return _message(
        f"Documents due {day_label(due)}: {block.rotation}",
        f"Your booking on {block} still needs: {', '.join(documents_missing(application))}. Send them by "
        f"{moment_label(due)} UTC, or {block.rotation.organization} may cancel the booking. Upload them "
        "to your vault, then send them from your booking's page.",
        _application_page(application),
    )


def _card_saved(application: Application) -> bool:
    """Whether the deposit was paid by card: the card the balance is charged to."""
    return (
        Payment.objects.paid()
        .filter(application=application, purpose=P.DEPOSIT, method=Payment.Method.CARD)
        .exists()
    )


def _balance_due_render(reminder: Reminder) -> Message | None:
    application = _still_wanted(reminder)
    if application is None:
        return None
    block = application.block
    owed = format_cents(amount_due(application, P.BALANCE), application.currency)
    pay_page = _pay_page(application, P.BALANCE)
    deadline = balance_deadline(application)
    if deadline is not None and reminder.key == _key(
        K.BALANCE_DUE, application, _balance_deadline_anchor(deadline)
    ):
        return _message(
            f"Last day to pay your balance: {block.rotation}",
            f"The balance of {owed} for {block} is still unpaid. Pay it through the link by "
            f"{moment_label(deadline)} UTC, or your booking will be cancelled under the cancellation "
            "policy and the seat offered to the waitlist.",
            pay_page,
        )
    due_on = balance_due_on(application)
    how = (
        "That day we charge it to the card you saved with your deposit; you can also pay it now "
        "through the link."
        if _card_saved(application)
        else "No card is saved to charge it, so pay it through the link by then."
    )
    return _message(
        f"Your balance is due {day_label(due_on)}: {block.rotation}",
        f"The balance of {owed} for {block} is due on {day_label(due_on)}. {how}",
        pay_page,
    )


def rotation_starting_message(application: Application, days: int) -> Message:
    """What a booking's start reminder says, `days` before the block starts: when and where, who
    supervises, the host's first-day information as it stands now, and the advisor to call."""
    block = application.block
    rotation = block.rotation
    lines = [
        f"Your rotation {rotation} at {rotation.organization} starts {_in_days(days)}, on "
        f"{day_label(block.start_date)}, and runs until {day_label(block.end_date)}.",
        f"Where: {rotation.organization.address}\nMap: {rotation.organization.map_url}",
    ]
    if rotation.preceptor is not None:
        lines.append(f"Your preceptor: {rotation.preceptor}")
    first_day = booking_first_day(application)
    if first_day is not None and first_day.is_written:
        plan = [
            f"{label}: {value}"
            for label, value in (
                ("Arrive at", first_day.arrival_time and f"{first_day.arrival_time:%H:%M} (local time)"),
                ("Where to go", first_day.where_to_go),
                ("Ask for", first_day.ask_for),
                ("Dress code", first_day.dress_code),
                ("What to bring", first_day.what_to_bring),
            )
            if value
        ]
        lines.append("Your first day\n" + "\n".join(plan))
    else:
        lines.append("The host has not written the first-day plan yet; it will be on your booking's page.")
    advisor = booking_advisor(application)
    if advisor is not None:
        lines.append(f"Your advisor at {settings.SITE_NAME}: {advisor.name} ({advisor.email}).")
    lines.append("Everything about your booking is on its page.")
    return _message(
        f"Your rotation starts {_in_days(days)}: {rotation}",
        "\n\n".join(lines),
        _application_page(application),
    )


def _rotation_starting_render(reminder: Reminder) -> Message | None:
    application = _still_wanted(reminder)
    if application is None:
        return None
    days = (application.block.start_date - reminder.due_at.astimezone(UTC).date()).days
    return rotation_starting_message(application, days)


def _document_expiring_render(reminder: Reminder) -> Message | None:
    document = Document.objects.select_related("applicant").filter(pk=reminder.about_id).first()
    if document is None:
        return None
    bookings = _documents_expiring(document.applicant).get(document)
    if not bookings or reminder.key not in {
        each.key for each in _document_planned(document.applicant, document)
    }:
        return None
    kind = DocumentKind(document.kind).label
    today = reminder.due_at.astimezone(UTC).date() >= document.expires_on
    when = "today" if today else f"on {day_label(document.expires_on)}"
    ends = "; ".join(f"{booking.block} ends {day_label(booking.block.end_date)}" for booking in bookings)
    return _message(
        f"Your {kind} expires {'today' if today else day_label(document.expires_on)}",
        f"Your {kind} ({document.original_filename}) expires {when}, before your rotation ends ({ends}). "
        "Upload a newer one to your vault and send it to your booking from its page, so your host "
        "sees it is valid for the whole rotation.",
        reverse("applicants:documents"),
    )


RENDERERS = {
    K.DRAFT_LEFT: _draft_left_render,
    K.HOLD_EXPIRING: _hold_expiring_render,
    K.DOCUMENTS_DUE: _documents_due_render,
    K.BALANCE_DUE: _balance_due_render,
    K.ROTATION_STARTING: _rotation_starting_render,
    K.DOCUMENT_EXPIRING: _document_expiring_render,
}
