"""The applicant's pages: dashboard, profile, document vault, applying, an application's detail."""

from __future__ import annotations

import math
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from amo.errors import DomainError
from amo.forms import add_domain_error
from amo.selectors import recent_notifications
from amo.throttles import PageRateThrottle
from amo.views import too_many_requests
from applicants import selectors, services
from applicants.files import document_response
from applicants.forms import (
    ApplyForm,
    BlockChangeForm,
    DocumentsSendForm,
    DocumentUploadForm,
    MessageForm,
    ProfileForm,
    ReasonForm,
    ReviewForm,
    VisaDenialForm,
)
from applicants.letter_pdf import certificate_response, letter_response
from applicants.models import Application, BlockChange, CompletionCertificate, Document, VisaDenial
from applicants.readiness import is_ready, is_ready_to_book, readiness_checklist
from applicants.terms import application_terms, terms_offered
from applicants.workflow import ActorRole, targets_from
from payments import selectors as payment_selectors
from payments.models import Payment, Refund
from payments.refunds import refund_plan
from payments.selectors import application_refunds, block_change_price_difference, price_differences
from rotations.models import Rotation

S = Application.Status
# The advisor's message form shares the booking's page with the host's: its own input names and ids.
ADVISOR_MESSAGE_PREFIX = "advisor"


def applicant_required(view):
    """Logged in and an applicant: the view gets `applicant`; anyone else is sent elsewhere."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_applicant:
            messages.info(request, "These pages are for applicants.")
            return redirect("home")
        # An applicant account made outside signup (admin, seed data) gets its empty profile here.
        applicant = selectors.applicant_for_user(request.user) or services.applicant_create(user=request.user)
        return view(request, *args, applicant=applicant, **kwargs)

    return wrapper


def _expiry_flags(documents: list[Document]) -> None:
    today = timezone.now().date()
    for document in documents:
        document.is_expired = selectors.document_expired(document, today)
        document.is_expiring_soon = not document.is_expired and selectors.document_expiring_soon(
            document, today
        )


@applicant_required
@require_GET
def dashboard(request, *, applicant):
    applications = list(
        selectors.applicant_applications(applicant=applicant).prefetch_related(
            payment_selectors.receipts_prefetch()
        )
    )
    for application in applications:
        application.next_step = selectors.application_next_step(application)
        application.can_continue = selectors.draft_can_continue(application)
    documents = list(selectors.applicant_documents(applicant=applicant))
    _expiry_flags(documents)
    profile = selectors.applicant_profile(user=request.user)
    return render(
        request,
        "applicants/dashboard.html",
        {
            "applicant": applicant,
            "applications": applications,
            "letters": list(selectors.letters_with_receipt(selectors.letters_of_applicant(applicant))),
            "documents": documents,
            "completeness": selectors.profile_completeness(applicant=profile),
            "notifications": recent_notifications(user=request.user),
            "email_verified": services.email_is_verified(request.user),
        },
    )


@applicant_required
def profile(request, *, applicant):
    applicant = selectors.applicant_profile(user=request.user)
    form = ProfileForm(request.POST or None, instance=applicant)
    if request.method == "POST" and form.is_valid():
        try:
            services.applicant_profile_update(applicant=applicant, data=form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("applicants:profile")
    status = 400 if form.errors else 200
    return render(
        request,
        "applicants/profile.html",
        {"form": form, "completeness": selectors.profile_completeness(applicant=applicant)},
        status=status,
    )


@applicant_required
def documents(request, *, applicant):
    form = DocumentUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if request.POST.get("delete"):
            return _document_delete(request, applicant, request.POST["delete"])
        if form.is_valid():
            try:
                document = services.document_upload(
                    applicant=applicant,
                    kind=form.cleaned_data["kind"],
                    uploaded_file=form.cleaned_data["file"],
                    expires_on=form.cleaned_data["expires_on"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(
                    request, f"{document.get_kind_display()} uploaded; our staff will verify it shortly."
                )
                return redirect("applicants:documents")
    vault = list(selectors.applicant_documents(applicant=applicant))
    _expiry_flags(vault)
    return render(
        request,
        "applicants/documents.html",
        {"form": form, "documents": vault, "usage": selectors.vault_usage(applicant=applicant)},
        status=400 if form.errors else 200,
    )


def _document_delete(request, applicant, pk: str):
    if not pk.isdecimal():  # isdigit() takes "²", which int() refuses
        raise Http404("No such document.")
    document = get_object_or_404(Document, pk=pk, applicant=applicant)
    try:
        services.document_delete(document=document, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Document deleted.")
    return redirect("applicants:documents")


@require_GET
def document_file(request, pk: int):
    """Stream a document to those who may see it, staff's openings logged; staff without the document
    permission get a 403, everyone else the same 404 as for no document."""
    try:
        document = services.document_file_open(user=request.user, pk=pk, page=request.path)
    except DomainError as error:
        if error.status == 403:
            raise PermissionDenied(error.message) from error
        raise Http404(error.message) from error
    return document_response(document)


def _apply_page(request, block_id: int, applicant, *, book_now: bool):
    """Apply for a block (submit, or keep a draft), or book a book-now block at once: one form and
    page, the statement and the documents the host sees, with the readiness checklist."""
    block = selectors.block_for_apply(block_id=block_id)
    if block is None:
        raise Http404("No such block.")
    rotation = block.rotation
    if book_now and (rotation.booking_mode != Rotation.BookingMode.BOOK_NOW or block.is_full):
        messages.info(
            request,
            "This block is full: apply to join its waitlist."
            if block.is_full
            else "This rotation is not booked at once: apply and the host will review your application.",
        )
        return redirect("applicants:apply", block_id=block.pk)
    application = selectors.live_application_for_block(applicant=applicant, block=block)
    if application is not None and application.status != Application.Status.DRAFT:
        messages.info(request, "You have already applied for this block.")
        return redirect("applicants:application_detail", pk=application.pk)
    vault = list(selectors.applicant_documents(applicant=applicant))
    if application is not None:
        initial = {
            "personal_statement": application.personal_statement,
            "documents": application.documents.all(),
        }
    else:
        initial = {"documents": selectors.suggested_documents(block=block, documents=vault)}
    form = ApplyForm(request.POST or None, initial=initial, applicant=applicant)
    this_page = "applicants:book_now" if book_now else "applicants:apply"
    if request.method == "POST" and form.is_valid():
        chosen = list(form.cleaned_data["documents"])
        action = request.POST.get("action")
        if action == "book" and book_now:
            save, done = services.application_book_now, None
        elif action == "submit" and not book_now:
            save, done = services.application_apply, None
        else:
            save, done = services.application_draft_save, "Draft saved."
        try:
            saved = save(
                applicant=applicant,
                block=block,
                personal_statement=form.cleaned_data["personal_statement"],
                documents=chosen,
                application=application,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if done:
                messages.success(request, done)
                return redirect(this_page, block_id=block.pk)
            if book_now:
                done = "Seat reserved." if saved.status == Application.Status.AWAITING_PAYMENT else "Booked."
            elif saved.status == Application.Status.WAITLISTED:
                done = "This block is full, so you joined its waitlist."
            else:
                done = "Application submitted."
            saved = selectors.applicant_application(applicant=applicant, pk=saved.pk)
            # What must be paid now is paid straight away: the deposit that keeps a checkout's seat,
            # else the application fee, charged at submission.
            for purpose in (Payment.Purpose.DEPOSIT, Payment.Purpose.APPLICATION_FEE):
                if payment_selectors.amount_due(saved, purpose):
                    messages.success(request, done)
                    return redirect("applicants:application_pay", pk=saved.pk, purpose=purpose)
            messages.success(request, f"{done} {selectors.application_next_step(saved)}")
            return redirect("applicants:application_detail", pk=saved.pk)
    # Judge the documents the applicant is choosing (or has chosen), as submitting will.
    if form.is_bound and form.is_valid():
        judged = list(form.cleaned_data["documents"])
    else:
        judged_ids = {getattr(d, "pk", d) for d in initial["documents"]}
        judged = [d for d in vault if d.pk in judged_ids]
    checklist = readiness_checklist(applicant=applicant, block=block, documents=judged)
    return render(
        request,
        "applicants/apply.html",
        {
            # Not "block": inside {% block %} Django's own `block` variable would hide it.
            "rotation_block": block,
            "rotation": rotation,
            "application": application,
            "form": form,
            "book_now": book_now,
            "checklist": checklist,
            "ready": is_ready_to_book(checklist) if book_now else is_ready(checklist),
            "total_cents": rotation.total_price_cents,
            "joins_waitlist": block.is_full and not book_now,
            "waitlist_fee_note": selectors.waitlist_fee_note(
                fee_cents=rotation.application_fee_cents, currency=rotation.currency
            ),
            "refund_schedule": terms_offered(rotation).refund_schedule(block),
            "email_verified": services.email_is_verified(request.user),
        },
        status=400 if form.errors else 200,
    )


@applicant_required
def apply(request, block_id: int, *, applicant):
    return _apply_page(request, block_id, applicant, book_now=False)


@applicant_required
def book_now(request, block_id: int, *, applicant):
    return _apply_page(request, block_id, applicant, book_now=True)


def _own_application(applicant, pk: int) -> Application:
    application = selectors.applicant_application(applicant=applicant, pk=pk)
    if application is None:
        raise Http404("No such application.")
    return application


@applicant_required
def application_detail(request, pk: int, *, applicant):
    application = _own_application(applicant, pk)
    message_form = MessageForm(request.POST if request.POST.get("form") == "message" else None)
    withdraw_form = ReasonForm(request.POST if request.POST.get("form") == "withdraw" else None)
    if request.method == "POST":
        form = message_form if message_form.is_bound else withdraw_form
        if form.is_valid():
            try:
                if form is message_form:
                    services.application_message_post(
                        application=application,
                        author=request.user,
                        role=ActorRole.APPLICANT,
                        **form.cleaned_data,
                    )
                    messages.success(request, "Message sent.")
                else:
                    services.application_withdraw(
                        application=application, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, "Application withdrawn.")
                return redirect("applicants:application_detail", pk=application.pk)
            except DomainError as error:
                add_domain_error(form, error)
    targets = targets_from(application.status, ActorRole.APPLICANT)
    can_withdraw = S.WITHDRAWN in targets
    can_move = application.status == S.CONFIRMED
    move_targets = selectors.block_change_targets(application=application) if can_move else None
    move_form = (
        BlockChangeForm(targets=move_targets, price_of=price_differences(application)) if can_move else None
    )
    block_changes = list(application.block_changes.all())
    for change in block_changes:
        change.price_difference = block_change_price_difference(change)
    payments_due = payment_selectors.amounts_due(application)
    balance_due = next((due for due in payments_due if due.purpose == Payment.Purpose.BALANCE), None)
    visa_denials = list(application.visa_denials.all())
    review = selectors.review_of(application) if application.status == S.COMPLETED else None
    return TemplateResponse(
        request,
        "applicants/application_detail.html",
        {
            "application": application,
            "next_step": selectors.application_next_step(application),
            "message_form": message_form,
            "withdraw_form": withdraw_form,
            "can_withdraw": can_withdraw,
            "can_answer_offer": application.status == S.OFFERED,
            "decline_form": ReasonForm(prefix="decline"),
            "can_cancel": S.CANCELLED in targets,
            "block_changes": block_changes,
            "change_pending": any(c.status == BlockChange.Status.REQUESTED for c in block_changes),
            "block_change_form": move_form,
            "documents_form": DocumentsSendForm(applicant=applicant)
            if application.documents_due_at and application.status in Application.SEATED
            else None,
            "can_message": selectors.thread_is_open(application),
            "can_continue": selectors.draft_can_continue(application),
            "quote": selectors.refund_quote(application=application) if can_withdraw else None,
            "refunds": list(application_refunds(application=application)),
            "visa_denials": visa_denials,
            "can_send_visa_denial": application.status == S.CONFIRMED
            and not any(denial.status in VisaDenial.OPEN for denial in visa_denials),
            "thread": list(application.messages.all()),
            "payments_due": payments_due,
            "balance_due": balance_due,
            "balance_due_on": payment_selectors.balance_due_on(application) if balance_due else None,
            "balance_already_due": bool(balance_due)
            and payment_selectors.balance_due_on(application) <= timezone.now().date(),
            "terms": application_terms(application),
            "balance_deadline": payment_selectors.balance_deadline(application) if balance_due else None,
            "payments": list(payment_selectors.application_payments(application=application)),
            "enrollment_letter": selectors.enrollment_letter_standing(application),
            "letter_profile_missing": selectors.letter_profile_missing(applicant)
            if application.status in selectors.LETTER_STANDS
            else [],
            # From confirmation on: the first day, the advisor and the thread with them.
            "first_day": selectors.booking_first_day(application),
            "advisor": selectors.booking_advisor(application),
            "advisor_thread": selectors.advisor_thread(application),
            "advisor_message_form": MessageForm(prefix=ADVISOR_MESSAGE_PREFIX),
            **_booking_letters(applicant, application),
            # A completed booking: the applicant's review, or the form to write it.
            "review": review,
            "review_form": ReviewForm() if application.status == S.COMPLETED and review is None else None,
            # Once completed: the preceptor's evaluation and the certificate issued with it.
            "evaluation": selectors.evaluation_of(application) if application.status == S.COMPLETED else None,
            "certificate": selectors.certificate_standing(application)
            if application.status == S.COMPLETED
            else None,
        },
        status=400 if (message_form.errors or withdraw_form.errors) else 200,
    )


def _booking_letters(applicant, application: Application) -> dict:
    """The booking's letters of recommendation, and whether one may be requested now (else why not)."""
    letters = list(
        selectors.letters_with_receipt(
            selectors.letters_of_applicant(applicant).filter(application=application)
        )
    )
    booked = application.status in Application.BOOKED
    refusal = selectors.letter_request_allowed(application) if booked else None
    return {
        "letters": letters,
        "show_letters": booked or bool(letters),
        "letter_request_refusal": refusal,
        "can_request_letter": booked and refusal is None,
    }


@applicant_required
@require_GET
def application_enrollment_letter(request, pk: int, *, applicant):
    """The enrollment letter of one of the applicant's bookings, as a PDF, while it stands; anyone
    else's, an application that is no booking, or a letter no longer valid is a 404. Reads only: the
    letter was issued when the booking was confirmed (applicants/services/letters.py)."""
    letter = selectors.enrollment_letter_of(applicant=applicant, pk=pk)
    if letter is None:
        raise Http404("No enrollment letter for this application.")
    return letter_response(letter)


@applicant_required
@require_GET
def application_certificate(request, pk: int, *, applicant):
    """The certificate of completion of one of the applicant's bookings, as a PDF, once its
    evaluation was submitted; anyone else's, or none yet, is a 404."""
    certificate = selectors.certificate_of(applicant=applicant, pk=pk)
    if certificate is None:
        raise Http404("No certificate of completion for this application.")
    return certificate_response(certificate)


class LetterVerifyThrottle(PageRateThrottle):
    scope = "LETTER_VERIFY_RATE"


LETTER_CHECKS_LIMITED = (
    "Too many letters or certificates were checked from your network in a short while. Wait a "
    "minute, then open the address printed on it again."
)


@never_cache  # a letter's standing changes; a kept copy of this page would say what no longer holds
@require_GET
def letter_verify(request, code: str):
    """The public page a consulate opens from an enrollment letter, or anyone from a certificate of
    completion: for a letter, whether it is genuine and still stands, replaced by a newer one, or no
    longer valid, with the date and the reason; for a certificate, what it certifies. An unknown
    code is a 404; requests are limited per address (settings.LETTER_VERIFY_RATE)."""
    throttle = LetterVerifyThrottle()
    if not throttle.allow_request(request, None):
        return too_many_requests(
            request,
            message=LETTER_CHECKS_LIMITED,
            retry_after=max(1, math.ceil(throttle.wait() or 0)),
            about_signing_in=False,
        )
    issued = selectors.issued_by_code(code)
    certificate = issued if isinstance(issued, CompletionCertificate) else None
    return render(
        request,
        "applicants/letter_verify.html",
        {
            "letter": None if certificate else issued,
            "certificate": certificate,
            "site_name": settings.SITE_NAME,
        },
        status=200 if issued else 404,
    )


def _first_error(form) -> str:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        return f"{label}: {errors[0]}" if label else errors[0]
    return "Check your input."


def _back(request, application: Application, action, done: str):
    """Run one of the applicant's actions; its refusal or its news shows on the application's page."""
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("applicants:application_detail", pk=application.pk)


@applicant_required
@require_POST
def application_accept(request, pk: int, *, applicant):
    application = _own_application(applicant, pk)
    try:
        services.application_accept(application=application, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        accepted = _own_application(applicant, pk)
        messages.success(request, f"Offer accepted. {selectors.application_next_step(accepted)}")
        if accepted.status == S.AWAITING_PAYMENT:
            return redirect("applicants:application_pay", pk=application.pk, purpose=Payment.Purpose.DEPOSIT)
    return redirect("applicants:application_detail", pk=application.pk)


@applicant_required
@require_POST
def application_decline(request, pk: int, *, applicant):
    application = _own_application(applicant, pk)
    form = ReasonForm(request.POST, prefix="decline")
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("applicants:application_detail", pk=application.pk)
    return _back(
        request,
        application,
        lambda: services.application_decline(
            application=application, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        "Offer declined; the seat goes to the next applicant.",
    )


@applicant_required
def application_cancel(request, pk: int, *, applicant):
    """Cancel a confirmed booking: the page shows what the cancellation policy refunds today, then
    the applicant confirms."""
    application = _own_application(applicant, pk)
    if S.CANCELLED not in targets_from(application.status, ActorRole.APPLICANT):
        messages.error(request, "Only a confirmed booking can be cancelled.")
        return redirect("applicants:application_detail", pk=application.pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_cancel(
                application=application,
                actor=request.user,
                role=ActorRole.APPLICANT,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Booking cancelled.")
            return redirect("applicants:application_detail", pk=application.pk)
    return render(
        request,
        "applicants/application_cancel.html",
        {"application": application, "quote": selectors.refund_quote(application=application), "form": form},
        status=400 if form.errors else 200,
    )


@applicant_required
def application_visa_denial(request, pk: int, *, applicant):
    """Send the consulate's visa denial letter for a confirmed booking; staff decide."""
    application = _own_application(applicant, pk)
    if application.status != S.CONFIRMED:
        messages.error(request, "A visa denial letter is sent for a confirmed booking.")
        return redirect("applicants:application_detail", pk=application.pk)
    form = VisaDenialForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if request.method == "POST" and form.is_valid():
        try:
            services.visa_denial_submit(
                application=application, actor=request.user, uploaded_file=form.cleaned_data["file"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Letter sent; our staff will check it and tell you.")
            return redirect("applicants:application_detail", pk=application.pk)
    return render(
        request,
        "applicants/visa_denial.html",
        {
            "application": application,
            "plan": refund_plan(application=application, reason=Refund.Reason.VISA_DENIAL),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@applicant_required
@require_POST
def application_block_change(request, pk: int, *, applicant):
    application = _own_application(applicant, pk)
    form = BlockChangeForm(request.POST, targets=selectors.block_change_targets(application=application))
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("applicants:application_detail", pk=application.pk)
    return _back(
        request,
        application,
        lambda: services.block_change_request(
            application=application,
            actor=request.user,
            to_block=form.cleaned_data["to_block"],
            reason=form.cleaned_data["reason"],
        ),
        "Date change requested; the host will answer here.",
    )


@applicant_required
@require_POST
def application_documents(request, pk: int, *, applicant):
    application = _own_application(applicant, pk)
    form = DocumentsSendForm(request.POST, applicant=applicant)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("applicants:application_detail", pk=application.pk)
    return _back(
        request,
        application,
        lambda: services.application_documents_send(
            application=application, actor=request.user, documents=list(form.cleaned_data["documents"])
        ),
        "Documents sent to the host.",
    )


@applicant_required
@require_POST
def application_review(request, pk: int, *, applicant):
    """Review a completed booking, once; the review shows on the booking's page and the rotation's."""
    application = _own_application(applicant, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("applicants:application_detail", pk=application.pk)
    return _back(
        request,
        application,
        lambda: services.review_submit(application=application, actor=request.user, **form.cleaned_data),
        "Thank you: your review is on the rotation's page.",
    )


@applicant_required
@require_POST
def application_advisor_message(request, pk: int, *, applicant):
    """Write to the booking's advisor; the answer comes back on the booking's page."""
    application = _own_application(applicant, pk)
    form = MessageForm(request.POST, prefix=ADVISOR_MESSAGE_PREFIX)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("applicants:application_detail", pk=application.pk)
    return _back(
        request,
        application,
        lambda: services.advisor_message_post(
            application=application, author=request.user, body=form.cleaned_data["body"]
        ),
        "Message sent to your advisor.",
    )
