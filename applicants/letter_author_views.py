"""The author's pages of a letter request, reached through the link emailed to them: no account, the
signed token in the address is the key (applicants/letter_links.py).

Every page answers for the one request its token names, and only while the token works; a refused
link shows why in words and, where a fresh link would help, a button that emails one to the address
on the request. GETs change nothing; each action is a POST through the services as the author by
link. The token must not leak: pages are never cached, never indexed, and send no Referer.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from amo.errors import DomainError
from amo.forms import add_domain_error
from applicants import services
from applicants.files import file_download
from applicants.forms import LetterAuthorConfirmForm, LetterAuthorDeclineForm, LetterAuthorUploadForm
from applicants.letter_links import LetterLinkRefused, letter_author_token_read
from applicants.lor_format import FORBIDDEN_FILENAME_CHARACTERS, letter_filename_suggestion
from applicants.lor_workflow import ActorRole, targets_from
from applicants.models import LetterRequest

S = LetterRequest.Status
BY_LINK = ActorRole.AUTHOR_LINK
# The ERAS Letter of Recommendation Portal's rules, as the AAMC lists them, shown to the author.
LORP_RULES = (
    "The file is a PDF.",
    "It is at most 1 MB.",
    "It is not encrypted or protected by a password.",
    "Its file name has none of | * ? :",
    "Its pages are US Letter, 8.5 × 11 in.",
    "It is on letterhead with your contact details, signed and dated, and addressed to no particular "
    "program.",
)


def author_link_page(view):
    """A page whose address carries the author's token: never cached or indexed, and no Referer sent
    to another site. Not "no-referrer": a browser then sends its forms' POSTs with "Origin: null",
    which Django's CSRF check refuses (the browser journey, tests/browser/test_lor_journey.py)."""

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapper


def _masked(address: str) -> str:
    """An address shown to whoever holds a link: enough to recognise it, not to learn it."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def _refused_page(request, refused: LetterLinkRefused):
    """Why this link may not act, and a button for a fresh one when that would help."""
    return render(
        request,
        "applicants/letters/author_refused.html",
        {
            "reason": refused.reason,
            "message": refused.message,
            "token": request.resolver_match.kwargs["token"],
            "offers_fresh": refused.reason in ("expired", "replaced"),
            "author_address": _masked(refused.letter.author_email) if refused.letter else "",
        },
        status=refused.status,
    )


def _page(request, letter: LetterRequest, token: str, *, status: int = 200, **forms):
    """The request as its author reads it, with the forms of what they may do now."""
    can = set(targets_from(letter.status, BY_LINK))
    problems = forms.pop("problems", [])
    context = {
        "letter": letter,
        "token": token,
        "application": letter.application,
        "block": letter.application.block,
        "transitions": list(letter.transitions.all()),
        "versions": list(letter.versions.order_by("-number")),
        "can_accept": S.ACCEPTED in can,
        "can_decline": S.DECLINED in can,
        "can_upload": letter.status in (S.ACCEPTED, S.UPLOADED),
        "can_confirm": S.SUBMITTED in can,
        "decline_form": forms.get("decline_form") or LetterAuthorDeclineForm(),
        "upload_form": forms.get("upload_form") or LetterAuthorUploadForm(),
        "confirm_form": forms.get("confirm_form") or LetterAuthorConfirmForm(),
        "problems": problems,
        "suggested_name": forms.get("suggested_name", ""),
        "lorp_rules": LORP_RULES,
    }
    return render(request, "applicants/letters/author.html", context, status=status)


def _token_letter(view):
    """Give the view the letter its token names, or show why the link is refused."""

    @wraps(view)
    def wrapper(request, token: str, **kwargs):
        try:
            letter = letter_author_token_read(token)
        except LetterLinkRefused as refused:
            return _refused_page(request, refused)
        return view(request, letter, token, **kwargs)

    return wrapper


@author_link_page
@require_GET
@_token_letter
def letter_author(request, letter: LetterRequest, token: str):
    return _page(request, letter, token)


def _done(request, token: str, message: str):
    messages.success(request, message)
    return redirect("applicants:letter_author", token=token)


@author_link_page
@require_POST
@_token_letter
def letter_author_accept(request, letter: LetterRequest, token: str):
    try:
        services.letter_accept(letter=letter, actor=None, role=BY_LINK)
    except DomainError as error:
        messages.error(request, error.message)
        return _page(request, letter, token, status=error.status)
    return _done(request, token, "Thank you: you accepted to write this letter. The applicant is told.")


@author_link_page
@require_POST
@_token_letter
def letter_author_decline(request, letter: LetterRequest, token: str):
    form = LetterAuthorDeclineForm(request.POST)
    if form.is_valid():
        try:
            services.letter_decline(
                letter=letter, actor=None, role=BY_LINK, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, "You declined this letter request. The applicant is told, with your reason."
            )
            return redirect("applicants:letter_author", token=token)
    return _page(request, letter, token, status=400, decline_form=form)


@author_link_page
@require_POST
@_token_letter
def letter_author_upload(request, letter: LetterRequest, token: str):
    form = LetterAuthorUploadForm(request.POST, request.FILES)
    problems, suggested = [], ""
    if form.is_valid():
        file = form.cleaned_data["file"]
        try:
            version = services.letter_upload(letter=letter, actor=None, role=BY_LINK, file=file)
        except DomainError as error:
            problems = error.extra.get("problems", [])
            if not problems:
                add_domain_error(form, error)
            if any(char in (file.name or "") for char in FORBIDDEN_FILENAME_CHARACTERS):
                suggested = letter_filename_suggestion(file.name)
        else:
            return _done(
                request,
                token,
                f"Your letter passed the ERAS portal's format check and is kept as version {version.number} "
                f"({version.filename}). Upload this file to ERAS, then confirm the day you did.",
            )
    letter.refresh_from_db()
    return _page(
        request, letter, token, status=400, upload_form=form, problems=problems, suggested_name=suggested
    )


@author_link_page
@require_POST
@_token_letter
def letter_author_confirm(request, letter: LetterRequest, token: str):
    form = LetterAuthorConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.letter_confirm_submitted(
                letter=letter,
                actor=None,
                role=BY_LINK,
                eras_submitted_on=form.cleaned_data["eras_submitted_on"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Thank you: the submission to ERAS is recorded. The applicant is told.")
            # The request is final now: this link has nothing left to do, and its page says so.
            return redirect("applicants:letter_author", token=token)
    return _page(request, letter, token, status=400, confirm_form=form)


@author_link_page
@require_POST
def letter_author_fresh_link(request, token: str):
    """Email a fresh link to the address on the request, from a working link or from one that
    expired or was replaced; never to an address the visitor gives."""
    try:
        letter = letter_author_token_read(token)
    except LetterLinkRefused as refused:
        if refused.reason not in ("expired", "replaced"):
            return _refused_page(request, refused)
        letter = refused.letter
    try:
        services.letter_author_link_send(letter=letter)
    except DomainError as error:
        context = {"reason": "not_sent", "message": error.message, "token": token, "offers_fresh": False}
        return render(request, "applicants/letters/author_refused.html", context, status=error.status)
    return render(
        request, "applicants/letters/author_link_sent.html", {"author_address": _masked(letter.author_email)}
    )


@author_link_page
@require_GET
@_token_letter
def letter_author_request_form(request, letter: LetterRequest, token: str):
    """The applicant's Letter Request Form, for its author."""
    return file_download(
        letter.request_form.open("rb"),
        content_type="application/pdf",
        filename=f"Letter Request Form {letter.eras_letter_id}.pdf",
    )


@author_link_page
@require_GET
@_token_letter
def letter_author_version(request, letter: LetterRequest, token: str, number: int):
    """One version of the author's own letter (the service checks the link again and logs it)."""
    version = letter.versions.filter(number=number).first()
    if version is None:
        raise Http404("No such version of this letter.")
    try:
        file = services.letter_file_open(
            version=version, actor=None, link_token=token, page="author link page"
        )
    except DomainError as error:
        raise Http404(error.message) from error
    return file_download(file, content_type="application/pdf", filename=version.filename)
