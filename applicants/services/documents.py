"""Writes of the document vault: upload (sniffed, bounded, within the vault's room), delete, and
staff's review."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, timedelta

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.selectors import user_has_totp
from amo.services import notification_send, staff_access_record
from amo.text import day_label
from amo.transactions import transaction_required
from amo.validators import MAX_REASON_CHARS, bounded_text, years_from
from applicants.files import document_filename
from applicants.models import Applicant, Document
from applicants.selectors import document_was_sent, documents_visible_to, vault_usage
from applicants.services.follow_up import applicant_follow_up
from rotations.models import DocumentKind

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


def sniffed_content_type(uploaded_file: UploadedFile) -> str | None:
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
    transaction_required("_locked_applicant")
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
    content_type = sniffed_content_type(uploaded_file)
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
            applicant_follow_up(applicant, reason=f"A newer {document.get_kind_display()} was uploaded.")
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
        applicant_follow_up(document.applicant_id, reason="The document was deleted.")
        transaction.on_commit(lambda: storage.delete(name))


def document_file_open(*, user: User, pk: int, page: str) -> Document:
    """The document whose file `user` may open (applicants.selectors.documents_visible_to), an
    opening by staff logged (amo.models.StaffAccess) with the page it came from. Staff past two-factor
    authentication without the document permission are refused (403); anyone else who may not open
    it is told there is no such document (404), as when there is none, so its existence is not
    given away."""
    document = documents_visible_to(user).filter(pk=pk).first()
    if document is None:
        if user.is_staff and user_has_totp(user=user) and Document.objects.filter(pk=pk).exists():
            raise DomainError(
                "Applicants' documents open only for placement coordinators: ask one, or a founder.",
                status=403,
            )
        raise DomainError("No such document.", status=404)
    if user.is_staff:
        staff_access_record(user=user, obj=document, page=page)
    return document


def _require_staff(actor: User) -> None:
    if not (actor.is_active and actor.is_staff):
        raise DomainError("Only staff verify documents.", status=403)


def _document_review(
    *, document: Document, actor: User, status: str, reason: str = "", tell: bool = True
) -> Document:
    """Record staff's decision on a document and tell the applicant (unless the caller tells them
    more: a visa denial's decision).

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
        applicant_follow_up(
            document.applicant_id,
            reason=f"The document was {document.get_verification_status_display().lower()}.",
        )
        if not tell:
            return document
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


def document_verify(*, document: Document, actor: User, tell: bool = True) -> Document:
    """Staff confirm the document is what it claims to be; the applicant is told."""
    _require_staff(actor)
    return _document_review(
        document=document, actor=actor, status=Document.VerificationStatus.VERIFIED, tell=tell
    )


def document_reject(*, document: Document, actor: User, reason: str, tell: bool = True) -> Document:
    """Staff refuse the document, saying why; the applicant is told what to fix."""
    _require_staff(actor)
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    if not reason:
        raise DomainError("Say why the document is rejected.", extra={"fields": {"reason": ["Required."]}})
    return _document_review(
        document=document, actor=actor, status=Document.VerificationStatus.REJECTED, reason=reason, tell=tell
    )
