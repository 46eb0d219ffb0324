"""The applicant's pages: dashboard, profile, document vault, applying, an application's detail."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from amo.errors import DomainError
from amo.forms import add_domain_error
from amo.selectors import recent_notifications
from applicants import selectors, services
from applicants.files import document_response
from applicants.forms import (
    ApplyForm,
    DocumentUploadForm,
    MessageForm,
    ProfileForm,
    WithdrawForm,
)
from applicants.models import Application, Document
from applicants.readiness import is_ready, readiness_checklist
from applicants.workflow import ActorRole, targets_from
from rotations.policies import refund_schedule


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
    applications = list(selectors.applicant_applications(applicant=applicant))
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
    """Stream a document to those who may see it; everyone else gets the same 404 as for no document."""
    return document_response(get_object_or_404(selectors.documents_visible_to(request.user), pk=pk))


@applicant_required
def apply(request, block_id: int, *, applicant):
    block = selectors.block_for_apply(block_id=block_id)
    if block is None:
        raise Http404("No such block.")
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
    if request.method == "POST" and form.is_valid():
        chosen = list(form.cleaned_data["documents"])
        submitting = request.POST.get("action") == "submit"
        save = services.application_apply if submitting else services.application_draft_save
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
            if submitting:
                done = (
                    "This block is full, so you joined its waitlist."
                    if saved.status == Application.Status.WAITLISTED
                    else "Application submitted."
                )
                saved = selectors.applicant_application(applicant=applicant, pk=saved.pk)
                messages.success(request, f"{done} {selectors.application_next_step(saved)}")
                return redirect("applicants:application_detail", pk=saved.pk)
            messages.success(request, "Draft saved.")
            return redirect("applicants:apply", block_id=block.pk)
    # Judge the documents the applicant is choosing (or has chosen), as submitting will.
    if form.is_bound and form.is_valid():
        judged = list(form.cleaned_data["documents"])
    else:
        judged_ids = {getattr(d, "pk", d) for d in initial["documents"]}
        judged = [d for d in vault if d.pk in judged_ids]
    checklist = readiness_checklist(applicant=applicant, block=block, documents=judged)
    rotation = block.rotation
    return render(
        request,
        "applicants/apply.html",
        {
            # Not "block": inside {% block %} Django's own `block` variable would hide it.
            "rotation_block": block,
            "rotation": rotation,
            "application": application,
            "form": form,
            "checklist": checklist,
            "ready": is_ready(checklist),
            "total_cents": rotation.total_price_cents,
            "joins_waitlist": block.is_full,
            "waitlist_fee_note": selectors.waitlist_fee_note(
                fee_cents=rotation.application_fee_cents, currency=rotation.currency
            ),
            "refund_schedule": refund_schedule(rotation, block),
            "email_verified": services.email_is_verified(request.user),
        },
        status=400 if form.errors else 200,
    )


@applicant_required
def application_detail(request, pk: int, *, applicant):
    application = selectors.applicant_application(applicant=applicant, pk=pk)
    if application is None:
        raise Http404("No such application.")
    message_form = MessageForm(request.POST if request.POST.get("form") == "message" else None)
    withdraw_form = WithdrawForm(request.POST if request.POST.get("form") == "withdraw" else None)
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
    can_withdraw = Application.Status.WITHDRAWN in targets_from(application.status, ActorRole.APPLICANT)
    return TemplateResponse(
        request,
        "applicants/application_detail.html",
        {
            "application": application,
            "next_step": selectors.application_next_step(application),
            "message_form": message_form,
            "withdraw_form": withdraw_form,
            "can_withdraw": can_withdraw,
            "can_message": selectors.thread_is_open(application),
            "can_continue": selectors.draft_can_continue(application),
            "quote": selectors.withdrawal_quote(application=application) if can_withdraw else None,
            "thread": list(application.messages.all()),
        },
        status=400 if (message_form.errors or withdraw_form.errors) else 200,
    )
