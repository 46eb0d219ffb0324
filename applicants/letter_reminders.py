"""The reminders of a letter request (amo.reminders): the author's emails, and the escalation to the
applicant's advisor.

Authors may have no account, so their reminders go to the address on the request (Reminder's
`to_address`), the email alone. Each carries a fresh signed link made when it is sent (the link is
never stored). Kinds:

- LETTER_AUTHOR_LINK: the request, emailed at once when it is made, and again each time a fresh link
  is asked for (one per link generation; a newer one cancels an older one not yet sent).
- LETTER_NUDGE: 7 and 14 days after the request while it waits for an answer, or after the
  acceptance while no letter is uploaded or confirmed.
- LETTER_DUE_SOON: 7 days before the due date while the letter is not submitted to ERAS.
- LETTER_ESCALATED: 21 days after the request, still not submitted: to the applicant's advisor
  (Application.advisor), or without one to the staff who hold the letter permission; sending it
  stamps the request's escalated_at and tells the applicant.

The planner reads the request's state; services call it through letter_reminders_plan on every
change, and the renderers run it again when a reminder falls due, so one no longer wanted (the
author answered, the letter was submitted) is cancelled rather than sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from amo.models import Reminder, User
from amo.reminders import Message, Planned, reminders_about, reminders_replan
from amo.text import day_label
from applicants.letter_links import letter_author_url
from applicants.letter_news import SUBJECT_MAX, letter_applicant_tell, letter_described
from applicants.lor_workflow import AUTHOR_LINK_LIFETIME, STANDING, UNANSWERED_EXPIRE_AFTER
from applicants.models import LETTER_FILE_PERMISSION, LetterRequest
from applicants.reminders import DAY_REMINDER_AT

K = Reminder.Kind
S = LetterRequest.Status

# The request email is sent by a task at once; it is planned this far ahead so that the sweep sends
# it should the task never run (the broker down when the request was made).
AT_ONCE_BACKSTOP = timedelta(minutes=1)
NUDGE_AFTER_DAYS = (7, 14)
DUE_SOON_DAYS_BEFORE = 7
ESCALATE_AFTER = timedelta(days=21)
# The kinds planned from a request's state; its link emails are planned when a link is sent.
STATE_KINDS = (K.LETTER_NUDGE, K.LETTER_DUE_SOON, K.LETTER_ESCALATED)


def _key(kind: str, letter: LetterRequest, anchor: str) -> str:
    return f"{kind}:letter:{letter.pk}:{anchor}"


def _to_author(kind: str, letter: LetterRequest, anchor: str, due_at: datetime) -> Planned:
    return Planned(
        key=_key(kind, letter, anchor),
        kind=kind,
        recipient_id=None,
        to_address=letter.author_email,
        about=letter,
        due_at=due_at,
    )


def _letter_loaded(pk: int) -> LetterRequest | None:
    return (
        LetterRequest.objects.select_related(
            "application__applicant__user", "application__block__rotation__organization", "preceptor"
        )
        .filter(pk=pk)
        .first()
    )


# --- The link emails ----------------------------------------------------------------------------------


def _link_key(letter: LetterRequest) -> str:
    return _key(K.LETTER_AUTHOR_LINK, letter, f"g{letter.link_generation}")


def letter_link_email_plan(letter: LetterRequest, *, reason: str) -> str:
    """Plan the email of the request's current link to its author (sent at once by the caller's
    task, or by the sweep a minute later), cancelling an older link's email not yet sent; returns
    its reminder's key. Inside the caller's transaction."""
    due_at = timezone.now() + AT_ONCE_BACKSTOP
    planned = _to_author(K.LETTER_AUTHOR_LINK, letter, f"g{letter.link_generation}", due_at)
    reminders_replan(replaces=reminders_about(letter, K.LETTER_AUTHOR_LINK), wanted=[planned], reason=reason)
    return planned.key


def letter_link_emailed_since(letter: LetterRequest, moment: datetime) -> bool:
    """Whether a link to this request was planned to be emailed after `moment` (and not cancelled)."""
    return (
        reminders_about(letter, K.LETTER_AUTHOR_LINK)
        .filter(created_at__gt=moment, cancelled_at__isnull=True)
        .exists()
    )


# --- What a request's state wants ------------------------------------------------------------------


def escalation_recipients(letter: LetterRequest) -> list[int]:
    """Who follows up a letter left unsubmitted: the booking's advisor, or without one every active
    staff member given the letter permission (themselves or through a group); none when nobody is."""
    if letter.application.advisor_id is not None:
        return [letter.application.advisor_id]
    app_label, codename = LETTER_FILE_PERMISSION.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    if permission is None:
        return []
    holders = User.objects.filter(is_active=True, is_staff=True).filter(
        Q(user_permissions=permission) | Q(groups__permissions=permission)
    )
    return sorted(set(holders.values_list("pk", flat=True)))


def _wanted(letter: LetterRequest) -> list[Planned]:
    if letter.status not in LetterRequest.OPEN:
        return []
    wanted = []
    waiting_since = {
        S.REQUESTED: ("requested", letter.requested_at),
        S.ACCEPTED: ("accepted", letter.accepted_at),
    }
    if letter.status in waiting_since:
        label, since = waiting_since[letter.status]
        wanted += [
            _to_author(K.LETTER_NUDGE, letter, f"{label}:{days}d", since + timedelta(days=days))
            for days in NUDGE_AFTER_DAYS
        ]
    due_soon = datetime.combine(letter.due_on - timedelta(days=DUE_SOON_DAYS_BEFORE), DAY_REMINDER_AT)
    wanted.append(_to_author(K.LETTER_DUE_SOON, letter, f"due:{letter.due_on.isoformat()}", due_soon))
    wanted += [
        Planned(
            key=_key(K.LETTER_ESCALATED, letter, f"user:{user_id}"),
            kind=K.LETTER_ESCALATED,
            recipient_id=user_id,
            about=letter,
            due_at=letter.requested_at + ESCALATE_AFTER,
        )
        for user_id in escalation_recipients(letter)
    ]
    return wanted


def letter_reminders_plan(letter: LetterRequest | int, *, reason: str | None = None) -> None:
    """Plan the reminders the request's state wants and cancel the others with `reason` (by default
    where the request now stands); a request that is closed also cancels its link emails not yet
    sent. Inside the caller's transaction."""
    letter = _letter_loaded(letter if isinstance(letter, int) else letter.pk)
    reason = reason or f"{STANDING[letter.status]}."
    reminders_replan(replaces=reminders_about(letter, *STATE_KINDS), wanted=_wanted(letter), reason=reason)
    if letter.status not in LetterRequest.OPEN:
        reminders_replan(replaces=reminders_about(letter, K.LETTER_AUTHOR_LINK), wanted=[], reason=reason)


# --- Renderers -----------------------------------------------------------------------------------------


def _message(subject: str, body: str, link: str) -> Message:
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    return Message(subject=subject, body=body, link=link)


def _applicant_name(letter: LetterRequest) -> str:
    applicant = letter.application.applicant
    return applicant.legal_name or applicant.user.get_full_name()


def _request_lines(letter: LetterRequest) -> list[str]:
    """What the author needs to know of the request, in every email to them."""
    block = letter.application.block
    rotation = block.rotation
    waiver = (
        "The applicant waived their right to see the letter: it goes to ERAS only."
        if letter.waived
        else "The applicant kept their right to see the letter."
    )
    return [
        f"Applicant: {_applicant_name(letter)}",
        f"Rotation: {rotation.title} at {rotation.organization}, {day_label(block.start_date)} to "
        f"{day_label(block.end_date)}",
        f"ERAS Letter ID: {letter.eras_letter_id}",
        f"Needed in ERAS by: {day_label(letter.due_on)}",
        waiver,
    ]


def _author_body(letter: LetterRequest, opening: str, url: str) -> str:
    return "\n\n".join(
        [
            f"Dear {letter.author_name},",
            opening,
            "\n".join(_request_lines(letter)),
            f"Open the request here (no account needed; the link works for {AUTHOR_LINK_LIFETIME.days} days "
            "and only for this request):",
            url,
            "The ERAS portal takes only the author's own upload, under the Letter ID above. On the page you "
            "can check the letter's format before you upload it to ERAS, and confirm the day you did.",
        ]
    )


def _still_wanted(reminder: Reminder, wanted) -> LetterRequest | None:
    letter = _letter_loaded(reminder.about_id)
    if letter is None or reminder.key not in {each.key for each in wanted(letter)}:
        return None
    return letter


def _link_render(reminder: Reminder) -> Message | None:
    letter = _letter_loaded(reminder.about_id)
    if letter is None or letter.status not in LetterRequest.OPEN or reminder.key != _link_key(letter):
        return None
    url = letter_author_url(letter)
    name = _applicant_name(letter)
    if letter.link_generation == 1:
        subject = f"Letter of recommendation request from {name}"
        opening = (
            f"{name} asks you for a letter of recommendation for their residency applications (ERAS), "
            "after their rotation with you. Please accept or decline the request."
        )
    else:
        subject = f"A fresh link to the letter request from {name}"
        opening = (
            f"Here is a fresh link to the letter request from {name}, as asked on our site. Earlier "
            "links to it no longer work."
        )
    return _message(subject, _author_body(letter, opening, url), url)


def _nudge_render(reminder: Reminder) -> Message | None:
    letter = _still_wanted(reminder, _wanted)
    if letter is None:
        return None
    name = _applicant_name(letter)
    url = letter_author_url(letter)
    if letter.status == S.REQUESTED:
        days = UNANSWERED_EXPIRE_AFTER.days
        opening = (
            f"{name} is still waiting for your answer to their request for a letter of recommendation. "
            f"Please accept or decline it; a request without an answer closes after {days} days."
        )
        subject = f"Reminder: {name} is waiting for your answer"
    else:
        opening = (
            f"Thank you for accepting to write a letter of recommendation for {name}. Once it is written, "
            "check its format on the request's page and upload it to ERAS, then confirm the day you did."
        )
        subject = f"Reminder: the letter of recommendation for {name}"
    return _message(subject, _author_body(letter, opening, url), url)


def _due_soon_render(reminder: Reminder) -> Message | None:
    letter = _still_wanted(reminder, _wanted)
    if letter is None:
        return None
    name = _applicant_name(letter)
    url = letter_author_url(letter)
    opening = (
        f"{name} needs your letter of recommendation in ERAS by {day_label(letter.due_on)}, in "
        f"{DUE_SOON_DAYS_BEFORE} days. {STANDING[letter.status]}."
    )
    return _message(
        f"Letter for {name} due {day_label(letter.due_on)}", _author_body(letter, opening, url), url
    )


def _escalated_render(reminder: Reminder) -> Message | None:
    letter = _still_wanted(reminder, _wanted)
    if letter is None:
        return None
    now = timezone.now()
    if letter.escalated_at is None:
        LetterRequest.objects.filter(pk=letter.pk, escalated_at__isnull=True).update(escalated_at=now)
        letter_applicant_tell(
            letter,
            event="escalated",
            subject="We are following up your letter request",
            body=(
                f"Three weeks after you asked for {letter_described(letter)}, it is not yet submitted to "
                "ERAS. "
                f"Your advisor at {settings.SITE_NAME} is following it up with the author."
            ),
        )
    name = _applicant_name(letter)
    days = (now - letter.requested_at).days
    return _message(
        f"Letter request not submitted after {days} days: {name}",
        "\n\n".join(
            [
                f"{name} asked {letter.author_name} ({letter.author_title}, {letter.author_email}) for a "
                f"letter of recommendation {days} days ago, and it is not submitted to ERAS yet. "
                f"{STANDING[letter.status]}.",
                "\n".join(_request_lines(letter)),
                "Please follow it up with the author, or help the applicant choose another.",
            ]
        ),
        reverse("admin:applicants_letterrequest_change", args=[letter.pk]),
    )


RENDERERS = {
    K.LETTER_AUTHOR_LINK: _link_render,
    K.LETTER_NUDGE: _nudge_render,
    K.LETTER_DUE_SOON: _due_soon_render,
    K.LETTER_ESCALATED: _escalated_render,
}
