"""Writes of letters of recommendation: the applicant's request, the author's answer, upload and
confirmation of the ERAS submission, the applicant's withdrawal, the expiry of unanswered requests,
fresh links for the author, the waiver, and who may open a letter's file.

Every status change goes through applicants.lor_workflow (which records it); every change tells the
applicant (applicants.letter_news) and plans the request's reminders again
(applicants.letter_reminders). The author's track record follows the state machine's own moves
(applicants/lor_workflow.py).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from pypdf import PdfReader

from amo.errors import DomainError
from amo.models import User
from amo.tasks import reminder_send_now
from amo.text import day_label
from amo.transactions import enqueue_on_commit, transaction_required
from amo.validators import MAX_REASON_CHARS, bounded_text, single_line_text, validate_platform_date
from applicants.files import document_filename
from applicants.letter_links import LetterLinkRefused, letter_author_token_read
from applicants.letter_news import letter_applicant_tell, letter_described
from applicants.letter_reminders import (
    letter_link_email_plan,
    letter_link_emailed_since,
    letter_reminders_plan,
)
from applicants.lor_format import letter_file_problems, letter_filename_suggestion
from applicants.lor_workflow import (
    AUTHOR_ROLES,
    FINAL,
    STANDING,
    UNANSWERED_EXPIRE_AFTER,
    ActorRole,
    actor_holds_role,
    refusal,
    transition,
)
from applicants.models import (
    KEEP_RIGHT_WORDING,
    LETTER_FILE_PERMISSION,
    WAIVER_WORDING,
    Applicant,
    Application,
    LetterFileAccess,
    LetterRequest,
    LetterVersion,
    LetterWaiver,
)
from applicants.selectors import letter_default_waiver, letter_request_allowed
from applicants.services.documents import sniffed_content_type
from hosts.models import Preceptor
from rotations.models import Specialty

S = LetterRequest.Status

LETTER_ID_FORMAT = re.compile(r"^[A-Za-z0-9-]{4,20}$")
REQUEST_FORM_MAX_BYTES = 1024 * 1024
# How often the author may have a fresh link emailed for one request: enough for a lost email,
# too seldom to flood their inbox.
FRESH_LINK_EVERY = timedelta(minutes=10)
# The unique constraints a new request may meet, with the input each points at; the message is the
# constraint's own (applicants/models.py).
CONSTRAINT_FIELDS = {
    "letter_request_one_open_per_booking_and_author": "preceptor",
    "letter_request_letter_id_in_use_once": "eras_letter_id",
}
CONSTRAINT_MESSAGES = {
    constraint.name: (constraint.violation_error_message, CONSTRAINT_FIELDS[constraint.name])
    for constraint in LetterRequest._meta.constraints
    if constraint.name in CONSTRAINT_FIELDS
}


def _follow_up(letter: LetterRequest, *, reason: str | None = None) -> None:
    """Plan the request's reminders again (a closed request's to come are cancelled). Inside the
    caller's transaction."""
    letter_reminders_plan(letter, reason=reason)


def _locked(letter: LetterRequest) -> LetterRequest:
    transaction_required("_locked")
    return (
        LetterRequest.objects.select_for_update(of=("self",))
        .select_related("application__applicant__user", "application__block__rotation__organization")
        .get(pk=letter.pk)
    )


def _send_link(letter: LetterRequest, *, reason: str) -> None:
    """Email the request's current link to its author at once (the sweep is the backstop)."""
    key = letter_link_email_plan(letter, reason=reason)
    enqueue_on_commit(reminder_send_now, key)


# --- The applicant's side -------------------------------------------------------------------------


def letter_waiver_record(*, applicant: Applicant, waived: bool) -> LetterWaiver:
    """Record the applicant's choice to waive, or keep, the right to see their letters, in the
    words they agreed to. It is the default of their later requests; requests already made keep
    what they said."""
    return LetterWaiver.objects.create(
        applicant=applicant,
        waived=waived,
        wording=WAIVER_WORDING if waived else KEEP_RIGHT_WORDING,
        recorded_at=timezone.now(),
    )


def _request_form_checked(request_form: UploadedFile | None) -> None:
    if request_form is None or request_form.size == 0:
        raise DomainError(
            "Attach the Letter Request Form (the PDF MyERAS made for this letter).", field="request_form"
        )
    if request_form.size > REQUEST_FORM_MAX_BYTES:
        raise DomainError(
            "The Letter Request Form is larger than 1 MB; attach the PDF from MyERAS.", field="request_form"
        )
    if sniffed_content_type(request_form) != "application/pdf":
        raise DomainError(
            "The Letter Request Form must be a PDF; this file's content is not one. Download it from MyERAS "
            "again and attach that file.",
            field="request_form",
        )


def _author_checked(
    *,
    application: Application,
    preceptor: Preceptor | None,
    author_name: str,
    author_title: str,
    author_email: str,
) -> tuple[Preceptor, str, str, str]:
    rotation = application.block.rotation
    preceptor = preceptor or rotation.preceptor
    if preceptor is None or preceptor.organization_id != rotation.organization_id:
        raise DomainError(f"Choose a preceptor of {rotation.organization} as the author.", field="preceptor")
    author_name = single_line_text(
        bounded_text(author_name, field="author_name", max_chars=200, what="the author's name"),
        field="author_name",
    )
    author_title = single_line_text(
        bounded_text(author_title, field="author_title", max_chars=200, what="the author's title"),
        field="author_title",
    )
    if not author_title:
        raise DomainError("Give the author's title or department, as in MyERAS.", field="author_title")
    author_email = (author_email or "").strip()
    try:
        validate_email(author_email)
    except ValidationError as error:
        raise DomainError(
            "Enter the author's email address, e.g. jane.smith@hospital.org.", field="author_email"
        ) from error
    return preceptor, author_name or preceptor.full_name, author_title, author_email


def letter_request_make(
    *,
    application: Application,
    actor: User,
    preceptor: Preceptor | None,
    author_name: str,
    author_title: str,
    author_email: str,
    eras_letter_id: str,
    specialty: Specialty | None,
    due_on: date,
    request_form: UploadedFile,
    waived: bool | None,
) -> LetterRequest:
    """The applicant of a booking asks a preceptor of its host for a letter for ERAS.

    From the 15th day of a rotation under way, or once it is completed (letter_request_allowed).
    The author is a preceptor of the rotation's organization, the rotation's own by default. The
    ERAS Letter ID is 4 to 20 letters, digits or dashes, used by one request at a time; the due date
    is ahead; the Letter Request Form is a PDF by its content, at most 1 MB, kept in private
    storage. The waiver is fixed on the request with its words and time, by default the applicant's
    latest choice (waived when they never made one). One open request per booking and author. The
    request is emailed to the author at once, with their link.
    """
    if actor is None or not actor.is_active or application.applicant.user_id != actor.pk:
        raise DomainError("Only the applicant of this booking may ask for its letters.", status=403)
    preceptor, author_name, author_title, author_email = _author_checked(
        application=application,
        preceptor=preceptor,
        author_name=author_name,
        author_title=author_title,
        author_email=author_email,
    )
    eras_letter_id = (eras_letter_id or "").strip()
    if not LETTER_ID_FORMAT.match(eras_letter_id):
        raise DomainError(
            "Enter the ERAS Letter ID as MyERAS shows it on the Letter Request Form: 4 to 20 letters, "
            "digits or dashes.",
            field="eras_letter_id",
        )
    today = timezone.now().date()
    if due_on is None or due_on <= today:
        raise DomainError("Choose a due date after today.", field="due_on")
    try:
        validate_platform_date(due_on)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="due_on") from error
    _request_form_checked(request_form)
    if waived is None:
        waived = letter_default_waiver(application.applicant)

    letter = LetterRequest(
        preceptor=preceptor,
        author_name=author_name,
        author_title=author_title,
        author_email=author_email,
        eras_letter_id=eras_letter_id,
        specialty=specialty,
        due_on=due_on,
        waived=waived,
        waiver_wording=WAIVER_WORDING if waived else KEEP_RIGHT_WORDING,
    )
    try:
        with transaction.atomic():
            locked = (
                Application.objects.select_for_update(of=("self",))
                .select_related("applicant__user", "block__rotation__organization")
                .get(pk=application.pk)
            )
            why_not = letter_request_allowed(locked)
            if why_not:
                raise DomainError(why_not, status=409)
            now = timezone.now()
            letter.application = locked
            letter.requested_at = letter.waiver_recorded_at = now
            # The storage name comes from letter_request_form_storage_name, never from the uploader.
            letter.request_form.save("request-form.pdf", request_form, save=False)
            try:
                with transaction.atomic():
                    letter.save()
            except IntegrityError as error:
                constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
                if constraint not in CONSTRAINT_MESSAGES:
                    raise
                message, field = CONSTRAINT_MESSAGES[constraint]
                raise DomainError(message, field=field, status=409) from error
            _send_link(letter, reason="A newer link was emailed.")
            _follow_up(letter)
    except BaseException:
        if letter.request_form.name:
            letter.request_form.storage.delete(letter.request_form.name)
        raise
    return letter


def letter_withdraw(*, letter: LetterRequest, actor: User, role: ActorRole) -> LetterRequest:
    """The applicant (or staff for them) withdraws an open request; its reminders are cancelled."""
    with transaction.atomic():
        letter = transition(letter, S.WITHDRAWN, actor=actor, role=role)
        _follow_up(letter, reason="The request was withdrawn.")
    return letter


# --- The author's side ---------------------------------------------------------------------------


def letter_accept(*, letter: LetterRequest, actor: User | None, role: ActorRole) -> LetterRequest:
    """The author accepts to write the letter (once); the applicant is told."""
    with transaction.atomic():
        letter = transition(letter, S.ACCEPTED, actor=actor, role=role)
        letter_applicant_tell(
            letter,
            event="accepted",
            subject=f"{letter.author_name} accepted to write your letter",
            body=f"{letter.author_name} accepted to write {letter_described(letter)}. We will tell you when "
            "they confirm its submission to ERAS.",
        )
        _follow_up(letter, reason="The author accepted the request.")
    return letter


def letter_decline(
    *, letter: LetterRequest, actor: User | None, role: ActorRole, reason: str
) -> LetterRequest:
    """The author declines the request (once), saying why; the applicant is told, with the reason."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    if not reason:
        raise DomainError("Say why you decline, in a few words: the applicant will read it.", field="reason")
    with transaction.atomic():
        letter = transition(letter, S.DECLINED, actor=actor, role=role, reason=reason, decline_reason=reason)
        letter_applicant_tell(
            letter,
            event="declined",
            subject=f"{letter.author_name} declined your letter request",
            body=f"{letter.author_name} declined to write {letter_described(letter)}. Their reason: "
            f"{reason}\nYou can ask another preceptor of the rotation from your booking's page.",
        )
        _follow_up(letter, reason="The author declined the request.")
    return letter


def _upload_refused(problems) -> DomainError:
    messages = [problem.message for problem in problems]
    return DomainError(
        "The ERAS portal would refuse this letter, so it was not stored: " + " ".join(messages),
        extra={
            "problems": [{"code": problem.code, "message": problem.message} for problem in problems],
            "fields": {"file": messages},
        },
    )


def _may_upload(letter: LetterRequest, actor: User | None, role: ActorRole) -> None:
    """Refuse an upload by anyone but the author, or to a request that takes none (before the
    acceptance, after the submission or the end)."""
    if role not in AUTHOR_ROLES or not actor_holds_role(letter, actor, role):
        raise DomainError("Only the letter's author may upload it.", status=403)
    if letter.status not in (S.ACCEPTED, S.UPLOADED):
        raise DomainError(refusal(S(letter.status), S.UPLOADED), status=409)


def letter_upload(
    *, letter: LetterRequest, actor: User | None, role: ActorRole, file: UploadedFile
) -> LetterVersion:
    """The author uploads the letter, to check its format and keep it safe: allowed once accepted,
    until its submission to ERAS is confirmed.

    The file is checked against the ERAS portal's rules first (applicants.lor_format); a refusal
    lists every problem (extra["problems"]) and stores nothing. A letter that passes is stored under
    a name the portal takes, as a new version (numbered under the request's row lock); the first
    one moves the request to "uploaded". No version is ever changed or deleted. The applicant is
    told a letter was uploaded, and nothing of it.
    """
    _may_upload(letter, actor, role)
    file.seek(0)
    data = file.read()
    name = document_filename(file.name or "letter.pdf", "application/pdf")
    problems = letter_file_problems(data=data, filename=file.name or name)
    if problems:
        raise _upload_refused(problems)
    version = LetterVersion(
        filename=letter_filename_suggestion(name),
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=len(PdfReader(BytesIO(data)).pages),
        uploaded_by=actor,
    )
    try:
        with transaction.atomic():
            locked = _locked(letter)
            _may_upload(locked, actor, role)
            last = locked.versions.order_by("-number").values_list("number", flat=True).first() or 0
            version.letter_request = locked
            version.number = last + 1
            version.uploaded_at = timezone.now()
            # The storage name comes from letter_version_storage_name, never from the uploader.
            version.file.save("letter.pdf", ContentFile(data), save=False)
            version.save()
            if locked.status == S.ACCEPTED:
                locked = transition(locked, S.UPLOADED, actor=actor, role=role)
            letter_applicant_tell(
                locked,
                event=f"uploaded:{version.number}",
                subject=f"{locked.author_name} uploaded your letter to AMO",
                body=f"{locked.author_name} uploaded {letter_described(locked)} to AMO"
                + (f" (version {version.number})" if version.number > 1 else "")
                + ", and it meets the ERAS portal's format. Next, they upload it to ERAS and confirm "
                "the day.",
            )
            _follow_up(locked, reason="The author uploaded the letter.")
    except BaseException:
        if version.file.name:
            version.file.storage.delete(version.file.name)
        raise
    letter.refresh_from_db()
    return version


def letter_confirm_submitted(
    *, letter: LetterRequest, actor: User | None, role: ActorRole, eras_submitted_on: date
) -> LetterRequest:
    """The author confirms (once) the day they uploaded the letter to the ERAS portal: a day not
    ahead and not before the request. The applicant is told, with the date."""
    today = timezone.now().date()
    if eras_submitted_on is None:
        raise DomainError("Enter the day you uploaded the letter to ERAS.", field="eras_submitted_on")
    if eras_submitted_on > today:
        raise DomainError(
            "The day you uploaded it to ERAS cannot be in the future.", field="eras_submitted_on"
        )
    requested_on = letter.requested_at.date()
    if eras_submitted_on < requested_on:
        raise DomainError(
            f"The letter was requested on {day_label(requested_on)}: enter a day from then on.",
            field="eras_submitted_on",
        )
    with transaction.atomic():
        letter = transition(letter, S.SUBMITTED, actor=actor, role=role, eras_submitted_on=eras_submitted_on)
        letter_applicant_tell(
            letter,
            event="submitted",
            subject=f"Your letter from {letter.author_name} is submitted to ERAS",
            body=f"{letter.author_name} confirmed they submitted {letter_described(letter)} to ERAS on "
            f"{day_label(eras_submitted_on)}. Assign it to your programs in MyERAS.",
        )
        _follow_up(letter, reason="The letter was submitted to ERAS.")
    return letter


def letter_author_link_send(*, letter: LetterRequest) -> None:
    """Email a fresh link to the author's address on the request (never one a visitor types):
    earlier links stop working (replaced). At most once every 10 minutes per request, and only while
    the request is open. The applicant is told."""
    with transaction.atomic():
        locked = _locked(letter)
        if locked.status in FINAL:
            raise DomainError(
                f"{STANDING[locked.status]}, so a link would have nothing left to do: none was sent.",
                status=409,
            )
        if letter_link_emailed_since(locked, timezone.now() - FRESH_LINK_EVERY):
            minutes = int(FRESH_LINK_EVERY.total_seconds() // 60)
            raise DomainError(
                f"A link to this request was emailed to the author less than {minutes} minutes ago. "
                "Check the inbox (and the spam folder), or ask again later.",
                status=429,
            )
        locked.link_generation += 1
        locked.save(update_fields=["link_generation"])
        _send_link(locked, reason="A fresher link was asked for.")
        letter_applicant_tell(
            locked,
            event=f"link:{locked.link_generation}",
            subject="A fresh link went to your letter's author",
            body=f"A fresh link to {letter_described(locked)} was emailed to the author, as asked on "
            "our site.",
        )
    letter.refresh_from_db()


# --- The system ---------------------------------------------------------------------------------------


def letters_expire_unanswered() -> int:
    """Expire the requests nobody answered within 30 days, one row per transaction, skipping rows
    another run holds; returns how many expired. Idempotent: an expired request is not taken again.
    The applicant is told."""
    expired = 0
    while True:
        with transaction.atomic():
            letter = (
                LetterRequest.objects.filter(
                    status=S.REQUESTED, requested_at__lte=timezone.now() - UNANSWERED_EXPIRE_AFTER
                )
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("requested_at", "id")
                .first()
            )
            if letter is None:
                return expired
            days = UNANSWERED_EXPIRE_AFTER.days
            letter = transition(
                letter, S.EXPIRED, actor=None, role=ActorRole.SYSTEM, reason=f"No answer within {days} days."
            )
            letter_applicant_tell(
                letter,
                event="expired",
                subject="Your letter request expired without an answer",
                body=f"The author did not answer your request for {letter_described(letter)} within {days} "
                "days, so it expired. You can ask again, or ask another preceptor, from your booking's page.",
            )
            _follow_up(letter)
            expired += 1


# --- Opening a letter's file ----------------------------------------------------------------------


def _link_opens(token: str, letter: LetterRequest) -> bool:
    """Whether `token` is a working author link of `letter` itself."""
    try:
        return letter_author_token_read(token).pk == letter.pk
    except LetterLinkRefused:
        return False


def letter_file_open(
    *, version: LetterVersion, actor: User | None, link_token: str | None = None, page: str = ""
) -> File:
    """Open a letter's file for someone who may read it, logging the opening (LetterFileAccess).

    The author may: signed in as the preceptor, or through their emailed link (`link_token`, with no
    actor). Staff may when they hold the letter permission (view_letter_file). The applicant may
    only when they kept the right to see it: a waived letter is never theirs to open, however asked.
    Anyone else is refused.
    """
    letter = LetterRequest.objects.select_related("application__applicant", "preceptor").get(
        pk=version.letter_request_id
    )
    via = None
    if actor is None:
        if link_token is not None and _link_opens(link_token, letter):
            via = LetterFileAccess.Via.AUTHOR_LINK
    elif actor.is_active:
        # The applicant first: whatever else their account is (staff too), a letter they waived
        # stays closed to them.
        if letter.application.applicant.user_id == actor.pk:
            if letter.waived:
                raise DomainError(
                    "You waived your right to see this letter, so it cannot be shown to you. You can follow "
                    "its status and dates.",
                    status=403,
                )
            via = LetterFileAccess.Via.APPLICANT
        elif actor_holds_role(letter, actor, ActorRole.AUTHOR):
            via = LetterFileAccess.Via.AUTHOR
        elif actor.is_staff and actor.has_perm(LETTER_FILE_PERMISSION):
            via = LetterFileAccess.Via.STAFF
    if not via:
        raise DomainError("You may not open this letter.", status=403)
    LetterFileAccess.objects.create(
        version=version, user=actor, via=via, page=page[:200], opened_at=timezone.now()
    )
    return version.file.open("rb")
