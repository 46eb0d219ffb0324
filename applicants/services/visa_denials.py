"""Visa denials: the applicant of a confirmed booking sends the consulate's denial letter; staff
accept it (the booking is cancelled, its seat offered to the waitlist, and the whole program fee
paid refunded: application_cancel with the visa denial's refund) or refuse it, saying why."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.services import notification_send
from amo.transactions import transaction_required
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import Application, VisaDenial
from applicants.services.cancellation import application_cancel
from applicants.services.documents import document_reject, document_upload, document_verify
from applicants.workflow import STANDING, ActorRole
from payments.models import Refund
from rotations.models import DocumentKind

S = Application.Status


def _application_link(application: Application) -> str:
    return reverse("applicants:application_detail", kwargs={"pk": application.pk})


def visa_denial_submit(*, application: Application, actor: User, uploaded_file: UploadedFile) -> VisaDenial:
    """The applicant sends the denial letter for their confirmed booking; they and our staff are told.

    The letter is stored in the applicant's vault as a visa denial letter (document_upload checks
    its type, size and the vault's room). One letter waits for staff at a time, under the
    application's row lock and a unique constraint; a refusal writes nothing and keeps no file.
    """
    application = Application.objects.select_related("applicant__user", "block__rotation").get(
        pk=application.pk
    )
    if application.applicant.user_id != actor.pk:
        raise DomainError("This is not your application.", status=404)
    letter = None
    try:
        with transaction.atomic():
            locked = Application.objects.select_for_update().get(pk=application.pk)
            if locked.status != S.CONFIRMED:
                raise DomainError(
                    f"A visa denial letter is sent for a confirmed booking. {STANDING[S(locked.status)]}.",
                    status=409,
                )
            if VisaDenial.objects.filter(application=locked, status__in=VisaDenial.OPEN).exists():
                raise DomainError(
                    "Your visa denial letter for this booking is already with our staff.", status=409
                )
            letter = document_upload(
                applicant=application.applicant,
                kind=DocumentKind.VISA_DENIAL_LETTER,
                uploaded_file=uploaded_file,
                expires_on=None,
            )
            denial = VisaDenial.objects.create(application=locked, letter=letter)
            rotation = application.block.rotation
            notification_send(
                recipient=actor,
                key=f"visa_denial:{denial.pk}:submitted",
                subject=f"Visa denial letter received: {rotation}",
                body=f"Our staff will check your visa denial letter for {application.block}. If they accept "
                "it, your booking is cancelled and the whole program fee you paid is refunded (the "
                "application fee is not).",
                link=_application_link(application),
            )
            staff = User.objects.filter(is_staff=True, is_active=True).order_by("pk")
            for member in staff:
                notification_send(
                    recipient=member,
                    key=f"visa_denial:{denial.pk}:submitted:staff:{member.pk}",
                    subject=f"A visa denial letter to check: {rotation}",
                    body=f"{application.applicant} sent a visa denial letter for their booking of "
                    f"{application.block}. Accept or refuse it.",
                    link=reverse("admin:applicants_visadenial_change", args=[denial.pk]),
                )
    except IntegrityError as error:
        _forget(letter)
        raise DomainError(
            "Your visa denial letter for this booking is already with our staff.", status=409
        ) from error
    except BaseException:
        _forget(letter)
        raise
    return denial


def _forget(letter) -> None:
    """A letter stored before its visa denial was refused leaves no file behind."""
    if letter is not None and letter.file.name:
        letter.file.storage.delete(letter.file.name)


def _require_staff(actor: User) -> None:
    if actor is None or not actor.is_active or not actor.is_staff:
        raise DomainError("Only staff decide visa denials.", status=403)


def _locked_open(visa_denial: VisaDenial | int) -> VisaDenial:
    transaction_required("_locked_open")
    pk = visa_denial if isinstance(visa_denial, int) else visa_denial.pk
    denial = (
        VisaDenial.objects.select_for_update(of=("self",))
        .select_related("application__applicant__user", "application__block__rotation", "letter")
        .get(pk=pk)
    )
    if denial.status != VisaDenial.Status.SUBMITTED:
        raise DomainError(f"This visa denial was already {denial.get_status_display().lower()}.", status=409)
    return denial


def visa_denial_accept(*, visa_denial: VisaDenial | int, actor: User) -> VisaDenial:
    """Staff accept the letter: the booking is cancelled as staff (recorded, the seat offered to the
    waitlist, both sides told) with the visa denial's refund, the whole program fee paid (not the
    application fee), and the letter is verified. Refused when the booking is no longer confirmed."""
    _require_staff(actor)
    with transaction.atomic():
        denial = _locked_open(visa_denial)
        application_cancel(
            application=denial.application,
            actor=actor,
            role=ActorRole.STAFF,
            reason="Your visa was denied: our staff accepted the consulate's letter.",
            refund_reason=Refund.Reason.VISA_DENIAL,
        )
        denial.status = VisaDenial.Status.ACCEPTED
        denial.decided_at = timezone.now()
        denial.decided_by = actor
        denial.save(update_fields=["status", "decided_at", "decided_by"])
        document_verify(document=denial.letter, actor=actor, tell=False)
    return denial


def visa_denial_refuse(*, visa_denial: VisaDenial | int, actor: User, reason: str) -> VisaDenial:
    """Staff refuse the letter, saying why: the booking stays, the letter is marked rejected, and the
    applicant is told why (they may send another)."""
    _require_staff(actor)
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    if not reason:
        raise DomainError("Say why the letter is refused; the applicant is told.", field="reason")
    with transaction.atomic():
        denial = _locked_open(visa_denial)
        denial.status = VisaDenial.Status.REFUSED
        denial.refusal_reason = reason
        denial.decided_at = timezone.now()
        denial.decided_by = actor
        denial.save(update_fields=["status", "refusal_reason", "decided_at", "decided_by"])
        document_reject(document=denial.letter, actor=actor, reason=reason, tell=False)
        application = denial.application
        notification_send(
            recipient=application.applicant.user,
            key=f"visa_denial:{denial.pk}:refused",
            subject=f"Your visa denial letter was not accepted: {application.block.rotation}",
            body=f"Our staff could not accept your visa denial letter for {application.block}, so your "
            f"booking stays as it is.\n\nTheir reason: {reason}\n\nYou may send another letter from your "
            "application's page.",
            link=_application_link(application),
        )
    return denial
