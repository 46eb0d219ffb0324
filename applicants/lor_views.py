"""The applicant's pages for letters of recommendation: asking a preceptor for one on a booking,
withdrawing the request, downloading a letter whose author's file the applicant kept the right to
see, and the standing waiver. A waived letter's file is served by no page here (nor anywhere to its
applicant): applicants.services.letter_requests.letter_file_open refuses it too.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from amo.errors import DomainError
from amo.forms import add_domain_error
from applicants import selectors
from applicants.files import file_download
from applicants.forms import LetterRequestForm, LetterWaiverForm, WaiverField
from applicants.lor_workflow import ActorRole
from applicants.models import LetterWaiver
from applicants.services.letter_requests import (
    letter_file_open,
    letter_request_make,
    letter_waiver_record,
    letter_withdraw,
)
from applicants.views import _own_application, applicant_required


@applicant_required
def letter_request(request, pk: int, *, applicant):
    """Ask a preceptor of the booking's organization for a letter: from the rotation's third week,
    or once it is completed (selectors.letter_request_allowed says why not before)."""
    application = _own_application(applicant, pk)
    refusal = selectors.letter_request_allowed(application)
    if refusal:
        messages.info(request, refusal)
        return redirect("applicants:application_detail", pk=application.pk)
    form = LetterRequestForm(
        *((request.POST, request.FILES) if request.method == "POST" else ()),
        application=application,
        waived=selectors.letter_default_waiver(applicant),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            letter = letter_request_make(
                application=application,
                actor=request.user,
                preceptor=data["preceptor"],
                author_name=data["preceptor"].full_name,
                author_title=data["author_title"],
                author_email=data["author_email"],
                eras_letter_id=data["eras_letter_id"],
                specialty=data["specialty"],
                due_on=data["due_on"],
                request_form=data["request_form"],
                waived=data["waived"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, f"Letter requested from {letter.author_name}: we email them a link to answer."
            )
            return redirect("applicants:application_detail", pk=application.pk)
    return render(
        request,
        "applicants/letter_request.html",
        {"application": application, "form": form},
        status=400 if form.errors else 200,
    )


def _own_letter(applicant, pk: int):
    """One of the applicant's letter requests; anyone else's is the same 404 as none."""
    return get_object_or_404(selectors.letters_of_applicant(applicant), pk=pk)


@applicant_required
@require_POST
def letter_withdraw_view(request, pk: int, *, applicant):
    letter = _own_letter(applicant, pk)
    try:
        letter_withdraw(letter=letter, actor=request.user, role=ActorRole.APPLICANT)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Letter request to {letter.author_name} withdrawn; we tell the author.")
    return redirect("applicants:application_detail", pk=letter.application_id)


@applicant_required
@require_GET
def letter_file(request, pk: int, *, applicant):
    """The newest version of a letter whose applicant kept the right to see it (the opening is
    logged). A waived letter, or one with no version yet, is the same 404 as no letter."""
    version = selectors.letter_version_for_applicant(_own_letter(applicant, pk))
    if version is None:
        raise Http404("No letter to download.")
    opened = letter_file_open(version=version, actor=request.user, page=request.path)
    return file_download(opened, content_type="application/pdf", filename=version.filename)


@applicant_required
def letter_waiver(request, *, applicant):
    """The standing choice to waive, or keep, the right to see letters: the default of the next
    request. A change applies to letters requested from now on; each request keeps its own."""
    choices = list(LetterWaiver.objects.filter(applicant=applicant))
    current = selectors.letter_default_waiver(applicant)
    form = LetterWaiverForm(request.POST or None, initial={"waived": WaiverField.initial_for(current)})
    if request.method == "POST" and form.is_valid():
        try:
            letter_waiver_record(applicant=applicant, waived=form.cleaned_data["waived"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                "Choice recorded: you waive your right to see the letters you request from now on."
                if form.cleaned_data["waived"]
                else "Choice recorded: you keep your right to see the letters you request from now on.",
            )
            return redirect("applicants:letter_waiver")
    return render(
        request,
        "applicants/letter_waiver.html",
        {"form": form, "choices": choices, "current": current},
        status=400 if form.errors else 200,
    )
