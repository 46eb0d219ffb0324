"""Writes of the applicants app: profile, document vault, applications and their thread."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable
from datetime import date, timedelta

import filetype
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError, field_label
from amo.models import User
from amo.services import notification_send
from amo.text import day_label
from amo.validators import MAX_REASON_CHARS, bounded_text, years_from
from applicants.countries import country_choices
from applicants.files import document_filename
from applicants.models import Applicant, Application, ApplicationMessage, Document
from applicants.readiness import block_closed_reason, is_ready, readiness_checklist
from applicants.selectors import document_was_sent, thread_is_open, vault_usage
from applicants.workflow import ActorRole, actor_holds_role, transition
from hosts.models import Membership
from rotations.locking import lock_block
from rotations.models import Block, DocumentKind
from rotations.services import seat_release

S = Application.Status

# --- Profile ----------------------------------------------------------------------------------

STEP2_SCORE_RANGE = (1, 300)
# A student expects to graduate within the length of the longest medical programs.
STUDENT_YEARS_AHEAD = 8
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-.]{6,22}$")


def applicant_create(*, user: User) -> Applicant:
    """Make `user` an applicant (once; a second call returns the same row).

    The profile starts with the account's name as its legal name, which the applicant may correct
    to match their passport; everything else is empty.
    """
    with transaction.atomic():
        if not user.is_applicant:
            user.is_applicant = True
            user.save(update_fields=["is_applicant"])
        applicant, _ = Applicant.objects.get_or_create(user=user, defaults={"legal_name": user.full_name})
    return applicant


def _profile_problems(values: dict, today: date) -> dict[str, list[str]]:
    """The rules a profile must follow, field by field; empty when the profile may be saved."""
    problems: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    countries = {code for code, _ in country_choices()}
    for field in Applicant.COUNTRY_FIELDS:
        if values[field] and values[field] not in countries:
            refuse(field, "Choose a country from the list (ISO 3166 code).")

    born = values["date_of_birth"]
    if born and not (today.replace(year=today.year - 100) <= born <= today.replace(year=today.year - 16)):
        refuse("date_of_birth", "Enter a date of birth between 16 and 100 years ago.")

    year, status = values["graduation_year"], values["training_status"]
    if year is not None:
        if (
            status == Applicant.TrainingStatus.STUDENT
            and not today.year <= year <= today.year + STUDENT_YEARS_AHEAD
        ):
            refuse(
                "graduation_year",
                f"A student's expected graduation year is between {today.year} and "
                f"{today.year + STUDENT_YEARS_AHEAD}.",
            )
        elif status == Applicant.TrainingStatus.GRADUATE and not 1950 <= year <= today.year:
            refuse("graduation_year", f"A graduate's graduation year is between 1950 and {today.year}.")
        elif not status:
            refuse("training_status", "Say whether you are a student or a graduate.")

    if values["ecfmg_status"] == Applicant.EcfmgStatus.CERTIFIED:
        digits = re.sub(r"\D", "", values["ecfmg_number"] or "")
        if len(digits) != 8:
            refuse(
                "ecfmg_number", "A certified applicant gives the 8-digit ECFMG/USMLE ID, e.g. 0-123-456-7."
            )

    taken = values["step1_result"] in (Applicant.Step1Result.PASS, Applicant.Step1Result.FAIL)
    if not taken and values["step1_date"]:
        refuse("step1_date", "A Step 1 date needs a Step 1 result.")

    score = values["step2_score"]
    low, high = STEP2_SCORE_RANGE
    if score is not None and not low <= score <= high:
        refuse("step2_score", f"A Step 2 CK score is between {low} and {high}.")
    if score is not None and not values["step2_date"]:
        refuse("step2_date", "Give the date you took Step 2 CK.")
    if score is None and values["step2_date"]:
        refuse("step2_score", "A Step 2 CK date needs the score.")

    for field in ("step1_date", "step2_date"):
        if values[field] and values[field] > today:
            refuse(field, "An exam date cannot be in the future.")

    if values["phone"] and not PHONE_PATTERN.match(values["phone"]):
        refuse("phone", "Enter a phone number with its country code, e.g. +234 803 123 4567.")
    return problems


def applicant_profile_update(*, applicant: Applicant, data: dict) -> Applicant:
    """Change the profile fields in `data` (and `specialties_of_interest`); refuse any rule broken.

    The rules: known country codes, a plausible date of birth, a graduation year that fits the
    training status, a Step 2 CK score in 1–300 with its date, exam dates not in the future, an
    ECFMG ID for the certified. On refusal nothing is saved and `extra.fields` names each problem.
    """
    unknown = set(data) - {*Applicant.PROFILE_FIELDS, "specialties_of_interest"}
    if unknown:
        raise DomainError(
            "Unknown profile fields.", extra={"fields": {f: ["Unknown field."] for f in unknown}}
        )
    values = {field: getattr(applicant, field) for field in Applicant.PROFILE_FIELDS}
    for field in Applicant.PROFILE_FIELDS:
        if field in data:
            value = data[field]
            values[field] = value.strip() if isinstance(value, str) else value
    for field in Applicant.COUNTRY_FIELDS:
        values[field] = (values[field] or "").upper()
    problems = _profile_problems(values, timezone.now().date())
    if problems:
        first_field, messages = next(iter(problems.items()))
        raise DomainError(
            f"{field_label(Applicant, first_field)}: {messages[0]}",
            extra={"fields": problems},
        )
    with transaction.atomic():
        for field, value in values.items():
            setattr(applicant, field, value)
        applicant.save()
        if "specialties_of_interest" in data:
            applicant.specialties_of_interest.set(data["specialties_of_interest"])
    return applicant


# --- Document vault ---------------------------------------------------------------------------

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# An expiry date is after today and at most this many years ahead (a passport's is 10).
DOCUMENT_EXPIRY_MAX_YEARS = 20


def document_expiry_window(today: date) -> tuple[date, date]:
    """The first and last expiry dates an upload may carry."""
    return today + timedelta(days=1), years_from(today, DOCUMENT_EXPIRY_MAX_YEARS)


# Kinds whose validity runs out: they carry an expiry date, checked against a block's last day.
EXPIRING_KINDS = frozenset(
    {
        DocumentKind.TB_TEST,
        DocumentKind.IMMUNIZATION_RECORD,
        DocumentKind.HEALTH_INSURANCE,
        DocumentKind.BLS_CERTIFICATE,
    }
)
# The exact leading bytes of each accepted type. A file is judged by these, never by its name or
# the browser's content type: an HTML page or a program renamed .pdf does not start with them.
SIGNATURES = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
# A PDF ends with %%EOF; writers may append a little after it, so look at the last kilobyte.
PDF_TRAILER_WINDOW = 1024


def _sniffed_content_type(uploaded_file: UploadedFile) -> str | None:
    """The accepted type the file's bytes prove, or None; both our signatures and filetype must agree."""
    uploaded_file.seek(0)
    head = uploaded_file.read(262)  # what filetype needs to decide
    content_type = next((mime for mime, magic in SIGNATURES.items() if head.startswith(magic)), None)
    if content_type is None or filetype.guess_mime(head) != content_type:
        return None
    if content_type == "application/pdf":
        uploaded_file.seek(max(uploaded_file.size - PDF_TRAILER_WINDOW, 0))
        if b"%%EOF" not in uploaded_file.read():
            return None
    return content_type


def _sha256(uploaded_file: UploadedFile) -> str:
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def _locked_applicant(pk: int) -> Applicant:
    """The applicant's row, locked until the caller's transaction ends: their vault and their
    deletion change one at a time."""
    return Applicant.objects.select_for_update().get(pk=pk)


def _check_vault_room(applicant: Applicant, size: int) -> None:
    """Refuse a file of `size` bytes that the applicant's vault has no room left for."""
    usage = vault_usage(applicant=applicant)
    if usage.files + 1 > usage.max_files:
        message = (
            f"Your vault already holds {usage.max_files} files, the most it can hold. "
            "Delete a document you no longer need, then upload this one."
        )
    elif usage.bytes + size > usage.max_bytes:
        message = (
            f"This file ({filesizeformat(size)}) does not fit: your vault holds "
            f"{filesizeformat(usage.bytes)} of its {filesizeformat(usage.max_bytes)}. "
            "Delete a document you no longer need, then upload this one."
        )
    else:
        return
    raise DomainError(message, field="file", extra={"quota": dataclasses.asdict(usage)})


def document_upload(
    *, applicant: Applicant, kind: str, uploaded_file: UploadedFile, expires_on: date | None
) -> Document:
    """Store a file in the applicant's vault, pending verification by staff.

    Only PDF, JPEG and PNG as proven by the file's first bytes, not empty, at most 10 MB. Kinds that
    expire need an expiry date in the future. The file is named with its proven type's extension
    (applicants/files.py) and stored under a generated name. The vault holds at most
    DOCUMENT_VAULT_MAX_FILES files and DOCUMENT_VAULT_MAX_BYTES bytes: counted under the applicant's
    row lock, so parallel uploads cannot pass it together. On any refusal or failure no file is left
    on disk and no row is written.
    """
    if kind not in DocumentKind.values:
        raise DomainError(
            "Choose what kind of document this is.", extra={"fields": {"kind": ["Unknown kind."]}}
        )
    if uploaded_file.size == 0:
        raise DomainError("The file is empty.", extra={"fields": {"file": ["The file is empty."]}})
    if uploaded_file.size > MAX_DOCUMENT_BYTES:
        message = f"The file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB."
        raise DomainError(message, extra={"fields": {"file": [message]}, "max_bytes": MAX_DOCUMENT_BYTES})
    content_type = _sniffed_content_type(uploaded_file)
    if content_type is None:
        message = "Only PDF, JPEG or PNG files are accepted; this file's content is none of them."
        raise DomainError(message, extra={"fields": {"file": [message]}})
    today = timezone.now().date()
    if kind in EXPIRING_KINDS and expires_on is None:
        message = f"A {DocumentKind(kind).label} needs its expiry date."
        raise DomainError(message, extra={"fields": {"expires_on": [message]}})
    first_expiry, last_expiry = document_expiry_window(today)
    if expires_on is not None and expires_on < first_expiry:
        message = "This document has already expired; upload a current one."
        raise DomainError(message, extra={"fields": {"expires_on": [message]}})
    if expires_on is not None and expires_on > last_expiry:
        message = f"Enter an expiry date by {day_label(last_expiry)} at the latest; check the year."
        raise DomainError(message, extra={"fields": {"expires_on": [message]}})

    document = Document(
        applicant=applicant,
        kind=kind,
        original_filename=document_filename(uploaded_file.name or "", content_type),
        content_type=content_type,
        size_bytes=uploaded_file.size,
        sha256=_sha256(uploaded_file),
        expires_on=expires_on,
    )
    try:
        with transaction.atomic():
            _check_vault_room(_locked_applicant(applicant.pk), uploaded_file.size)
            # The storage name comes from document_storage_name, never from the uploader.
            document.file.save("upload", uploaded_file, save=False)
            document.save()
    except BaseException:
        if document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


def document_delete(*, document: Document, actor: User) -> None:
    """Remove a document from the owner's vault; refused while an application beyond draft uses it.

    A host that received an application must keep seeing what was sent, so such a document stays.
    """
    if document.applicant.user_id != actor.pk:
        raise DomainError("You may only delete your own documents.", status=403)
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if Document.objects.filter(pk=locked.pk).filter(document_was_sent()).exists():
            raise DomainError(
                "This document was sent with an application, so it stays in your vault. "
                "Upload a newer one instead.",
                status=409,
            )
        name, storage = locked.file.name, locked.file.storage
        locked.delete()
        transaction.on_commit(lambda: storage.delete(name))


def _applicant_remove(applicant: Applicant) -> None:
    """Delete a locked applicant with their drafts and documents; the files go once this commits.

    Refused once an application was sent: its host keeps what it received (ended ones included).
    """
    applications = list(applicant.applications.select_for_update())
    if any(application.status != S.DRAFT for application in applications):
        raise DomainError(
            f"{applicant} has sent applications, and hosts keep what they received: "
            "the profile and its documents stay. Deactivate the account instead.",
            status=409,
        )
    files = [(document.file.storage, document.file.name) for document in applicant.documents.all()]
    Application.objects.filter(pk__in=[application.pk for application in applications]).delete()
    applicant.delete()

    def remove_files() -> None:
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(remove_files)


def applicant_delete(*, applicant: Applicant) -> None:
    """Delete an applicant's profile, drafts and documents, files included; never once they applied."""
    with transaction.atomic():
        _applicant_remove(_locked_applicant(applicant.pk))


def account_delete(*, user: User) -> None:
    """Delete a person's account and, if they are an applicant, all `applicant_delete` removes."""
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().filter(user=user).first()
        if applicant is not None:
            _applicant_remove(applicant)
        try:
            user.delete()
        except ProtectedError as error:
            raise DomainError(
                f"{user} wrote application messages that hosts and applicants keep: "
                "deactivate the account instead.",
                status=409,
            ) from error


def _require_staff(actor: User) -> None:
    if not (actor.is_active and actor.is_staff):
        raise DomainError("Only staff verify documents.", status=403)


def _document_review(*, document: Document, actor: User, status: str, reason: str = "") -> Document:
    """Record staff's decision on a document and tell the applicant.

    Each decision is news (a verification after a rejection too), so the notification key names the
    decision's time; verifying a document already verified changes nothing and tells no one.
    """
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("applicant__user").get(pk=document.pk)
        if status == document.verification_status == Document.VerificationStatus.VERIFIED:
            return document
        document.verification_status = status
        document.rejection_reason = reason
        document.verified_by = actor
        document.verified_at = timezone.now()
        document.save(update_fields=["verification_status", "rejection_reason", "verified_by", "verified_at"])
        kind, name = document.get_kind_display(), document.original_filename
        if status == Document.VerificationStatus.VERIFIED:
            subject, body = f"Your {kind} was verified", f"Our staff verified your {kind} ({name})."
        else:
            subject = f"Your {kind} was not accepted"
            body = f"Our staff could not accept your {kind} ({name}): {reason}\nPlease upload a new one."
        notification_send(
            recipient=document.applicant.user,
            key=f"document:{document.pk}:{status}:{document.verified_at.isoformat()}",
            subject=subject,
            body=body,
            link=reverse("applicants:documents"),
        )
    return document


def document_verify(*, document: Document, actor: User) -> Document:
    """Staff confirm the document is what it claims to be; the applicant is told."""
    _require_staff(actor)
    return _document_review(document=document, actor=actor, status=Document.VerificationStatus.VERIFIED)


def document_reject(*, document: Document, actor: User, reason: str) -> Document:
    """Staff refuse the document, saying why; the applicant is told what to fix."""
    _require_staff(actor)
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    if not reason:
        raise DomainError("Say why the document is rejected.", extra={"fields": {"reason": ["Required."]}})
    return _document_review(
        document=document, actor=actor, status=Document.VerificationStatus.REJECTED, reason=reason
    )


# --- Applications -----------------------------------------------------------------------------


def _notify_host(application: Application, event: str, subject: str, body: str) -> None:
    """Tell the host members who see `application` on their side (hosts.tenancy's scope): the
    organization's owners and coordinators, who decide it, and the member who is its rotation's
    preceptor. Once per member and event."""
    rotation = application.block.rotation
    sees_it = Q(role__in=[Membership.Role.OWNER, Membership.Role.COORDINATOR])
    if rotation.preceptor_id is not None:
        sees_it |= Q(role=Membership.Role.PRECEPTOR, preceptor_id=rotation.preceptor_id)
    members = (
        Membership.objects.for_org(rotation.organization_id)
        .filter(sees_it, user__is_active=True)
        .select_related("user")
    )
    link = reverse("hosts:application_detail", args=[application.pk])
    for membership in members:
        notification_send(
            recipient=membership.user,
            key=f"application:{application.pk}:{event}:member:{membership.user_id}",
            subject=subject,
            body=body,
            link=link,
        )


MAX_STATEMENT_CHARS = 3000


def _own_documents(applicant: Applicant, documents: Iterable[Document | int]) -> list[Document]:
    ids = {d.pk if isinstance(d, Document) else int(d) for d in documents}
    own = list(Document.objects.filter(applicant=applicant, pk__in=ids))
    if len(own) != len(ids):
        raise DomainError(
            "You can only send documents from your own vault.",
            extra={"fields": {"documents": ["Unknown document."]}},
        )
    return own


def _check_statement(personal_statement: str) -> str:
    return bounded_text(
        personal_statement,
        field="personal_statement",
        max_chars=MAX_STATEMENT_CHARS,
        what="the personal statement",
    )


def application_draft_save(
    *,
    applicant: Applicant,
    block: Block,
    personal_statement: str,
    documents: Iterable[Document | int],
    application: Application | None = None,
) -> Application:
    """Create or change the applicant's draft for `block`; refused once the block takes no applications.

    One live application per applicant and block: the database's unique constraint decides, so two
    requests racing to create one end with one application and a clear refusal.
    """
    personal_statement = _check_statement(personal_statement)
    own = _own_documents(applicant, documents)
    closed = block_closed_reason(block, timezone.now().date())
    if closed:
        # A draft that can never be submitted would only mislead the applicant.
        raise DomainError(f"This block is not open for applications: {closed}", status=409)
    try:
        with transaction.atomic():
            if application is None:
                application = Application.objects.create(
                    applicant=applicant,
                    block=block,
                    personal_statement=personal_statement,
                    application_fee_cents=block.rotation.application_fee_cents,
                    currency=block.rotation.currency,
                )
            else:
                application = Application.objects.select_for_update().get(pk=application.pk)
                if application.applicant_id != applicant.pk:
                    raise DomainError("This is not your application.", status=404)
                if application.status != S.DRAFT:
                    raise DomainError("Only a draft can be changed.", status=409)
                if application.block_id != block.pk:
                    raise DomainError(
                        "A draft stays on its block; start a new application instead.", status=409
                    )
                application.personal_statement = personal_statement
                application.save(update_fields=["personal_statement", "updated_at"])
            application.documents.set(own)
    except IntegrityError as error:
        if "application_one_live_per_applicant_block" not in str(error):
            raise
        raise DomainError(
            "You already have an application for this block.", extra={"block_id": block.pk}, status=409
        ) from error
    return application


def email_is_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def application_submit(*, application: Application, actor: User) -> Application:
    """Send a draft to the host. Only a ready applicant with a verified email submits.

    Readiness is judged on the documents assigned to the application (what the host will see), on
    the day of submission. With a seat left the application is submitted and its fee recorded as
    due ([5/8]'s payment settles it); on a full block it joins the waitlist at once and owes no fee
    until the host offers it a seat. Seats are counted under the block's row lock, so a seat taken
    or freed at this very moment decides it.
    """
    application = Application.objects.select_related("applicant__user", "block__rotation").get(
        pk=application.pk
    )
    if application.applicant.user_id != actor.pk:
        raise DomainError("This is not your application.", status=404)
    if not email_is_verified(actor):
        raise DomainError("Verify your email address before you apply.", status=403)
    if not application.personal_statement:
        message = "Write a short personal statement."
        raise DomainError(message, extra={"fields": {"personal_statement": [message]}})
    rotation = application.block.rotation
    with transaction.atomic():
        # Hold the documents being judged until the submission commits: a delete of one of them waits,
        # then finds it sent (NO KEY, so saving a draft that assigns them never deadlocks with this).
        documents = list(application.documents.select_for_update(of=("self",), no_key=True))
        checklist = readiness_checklist(
            applicant=application.applicant, block=application.block, documents=documents
        )
        if not is_ready(checklist):
            missing = [{"key": i.key, "label": i.label, "detail": i.detail} for i in checklist if not i.ok]
            raise DomainError(
                "You do not meet this rotation's requirements yet: "
                + "; ".join(f"{item['label']}" for item in missing)
                + ".",
                extra={"missing": missing},
            )
        full = lock_block(application.block_id).is_full
        fee = Application.FeeStatus
        fee_status = fee.WAIVED if not rotation.application_fee_cents else fee.NOT_DUE if full else fee.DUE
        application = transition(
            application,
            S.WAITLISTED if full else S.SUBMITTED,
            actor=actor,
            role=ActorRole.APPLICANT,
            submitted_at=timezone.now(),
            application_fee_cents=rotation.application_fee_cents,
            currency=rotation.currency,
            application_fee_status=fee_status,
        )
        if full:
            applicant_news = (
                f"You joined the waitlist: {rotation.title}",
                f"{application.block} is full, so you joined its waitlist at {rotation.organization.name}. "
                "No fee is due until a seat is offered to you.",
            )
            host_news = (
                f"New on the waitlist for {rotation.title}",
                f"{application.applicant} joined the waitlist for {application.block}.",
            )
        else:
            applicant_news = (
                f"Application sent: {rotation.title}",
                f"Your application for {application.block} was sent to {rotation.organization.name}.",
            )
            host_news = (
                f"New application for {rotation.title}",
                f"{application.applicant} applied for {application.block} at {rotation.organization.name}.",
            )
        notification_send(
            recipient=actor,
            key=f"application:{application.pk}:submitted",
            subject=applicant_news[0],
            body=applicant_news[1],
            link=reverse("applicants:application_detail", args=[application.pk]),
        )
        _notify_host(application, "submitted", *host_news)
    return application


def application_apply(
    *,
    applicant: Applicant,
    block: Block,
    personal_statement: str,
    documents: Iterable[Document | int],
    application: Application | None = None,
) -> Application:
    """Save (creating or changing the draft `application`) and submit in one go.

    Either the applicant has a submitted (or, on a full block, waitlisted) application, or nothing
    changed: a refused submission leaves no new draft behind and an existing draft as it was.
    """
    with transaction.atomic():
        application = application_draft_save(
            applicant=applicant,
            block=block,
            personal_statement=personal_statement,
            documents=documents,
            application=application,
        )
        return application_submit(application=application, actor=applicant.user)


def application_withdraw(*, application: Application, actor: User, reason: str = "") -> Application:
    """The applicant withdraws; an offered application gives its held seat back in the same transaction.

    The block is locked before the application, the order every seat-changing service keeps.
    """
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    with transaction.atomic():
        lock_block(application.block_id)
        was_offered = Application.objects.get(pk=application.pk).status == S.OFFERED
        application = transition(
            application, S.WITHDRAWN, actor=actor, role=ActorRole.APPLICANT, reason=reason
        )
        if was_offered:
            seat_release(block_id=application.block_id)
    return application


MAX_MESSAGE_CHARS = 5000


def application_message_post(
    *, application: Application, author: User, role: ActorRole, body: str
) -> ApplicationMessage:
    """Add to an application's thread: its applicant, a host member of its organization, or staff.

    A message from the applicant is news for the host (`_notify_host`); hosts tell the applicant
    themselves (hosts.services.application_request_info).
    """
    body = bounded_text(body, field="body", max_chars=MAX_MESSAGE_CHARS, what="messages")
    if not body:
        raise DomainError("Write a message first.", extra={"fields": {"body": ["Required."]}})
    application = Application.objects.select_related("applicant__user", "block__rotation").get(
        pk=application.pk
    )
    if application.status == S.DRAFT:
        raise DomainError("Submit the application first; the host does not see drafts.", status=409)
    if not thread_is_open(application):
        raise DomainError(
            f"This application is {application.get_status_display().lower()}; its thread is closed.",
            status=409,
        )
    if role is ActorRole.SYSTEM or not actor_holds_role(application, author, role):
        raise DomainError("You may not write on this application.", status=403)
    with transaction.atomic():
        posted = ApplicationMessage.objects.create(
            application=application, author=author, author_role=role.value, body=body
        )
        if role is ActorRole.APPLICANT:
            _notify_host(
                application,
                f"message:{posted.pk}",
                f"New message from {application.applicant} about {application.block.rotation}",
                f"{application.applicant} wrote about their application for {application.block}:\n\n{body}",
            )
    return posted
