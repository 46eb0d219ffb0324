"""Host pages: the letters of recommendation applicants ask of the organization's preceptors.

Owners and coordinators follow their organization's requests (status and dates, never the
letter); a preceptor sees the requests addressed to them and answers as their author: accept,
decline with a reason, upload the letter (checked against the ERAS portal's rules), confirm its
submission to ERAS, and open the versions they uploaded. Every change goes through the services in
the author's role, which also refuse anyone who is not the author.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import ListView, TemplateView

from amo.errors import DomainError
from amo.forms import add_domain_error
from applicants import selectors as applicant_selectors
from applicants.files import file_download
from applicants.forms import LetterAuthorConfirmForm, LetterAuthorDeclineForm, LetterAuthorUploadForm
from applicants.letter_author_views import LORP_RULES
from applicants.lor_workflow import ActorRole, actor_holds_role, targets_from
from applicants.models import LetterRequest
from applicants.services.letter_requests import (
    letter_accept,
    letter_confirm_submitted,
    letter_decline,
    letter_file_open,
    letter_upload,
)
from hosts.tenancy import EVERY_ROLE, OrganizationMixin
from hosts.views.common import PAGE_SIZE, fail

L = LetterRequest.Status
# The statuses in which the author may upload (again): a new upload is a new version.
UPLOADABLE = frozenset({L.ACCEPTED, L.UPLOADED})


class LetterScopeMixin(OrganizationMixin):
    """Every letter page: any member; the letters the member sees (a preceptor's own only)."""

    allowed_roles = EVERY_ROLE

    def letters(self):
        return applicant_selectors.letters_for_member(self.membership)

    def get_letter(self) -> LetterRequest:
        return get_object_or_404(self.letters(), pk=self.kwargs["pk"])


class LetterListView(LetterScopeMixin, ListView):
    template_name = "hosts/letters.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        status = self.request.GET.get("status", "")
        self.status = status if status in L.values else ""
        letters = self.letters()
        if self.status:
            letters = letters.filter(status=self.status)
        return applicant_selectors.letters_with_receipt(letters)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            statuses=L.choices,
            status=self.status,
            query=urlencode({"status": self.status}) if self.status else "",
            **kwargs,
        )


class LetterDetailView(LetterScopeMixin, TemplateView):
    """One request: what the applicant asked, its history and, for its author, the actions."""

    template_name = "hosts/letter_detail.html"

    def get_context_data(self, **kwargs):
        letter = kwargs.pop("letter", None) or self.get_letter()
        forms = kwargs.pop("forms", {})
        is_author = actor_holds_role(letter, self.request.user, ActorRole.AUTHOR)
        targets = targets_from(letter.status, ActorRole.AUTHOR) if is_author else []
        return super().get_context_data(
            letter=letter,
            is_author=is_author,
            transitions=list(letter.transitions.all()),
            # Only the author sees the letter's versions; others learn that one was received.
            versions=list(letter.versions.order_by("-number")) if is_author else [],
            received=letter.versions.exists(),
            can_accept=L.ACCEPTED in targets,
            lorp_rules=LORP_RULES,
            decline_form=forms.get("decline")
            or (LetterAuthorDeclineForm() if L.DECLINED in targets else None),
            upload_form=forms.get("upload")
            or (LetterAuthorUploadForm() if is_author and letter.status in UPLOADABLE else None),
            confirm_form=forms.get("confirm")
            or (LetterAuthorConfirmForm() if L.SUBMITTED in targets else None),
            **kwargs,
        )


class LetterActionView(LetterScopeMixin, View):
    """Accept, decline, upload or confirm the submission, as the letter's author."""

    # The forms of the author's emailed-link page (applicants/letter_author_views.py): the same answer.
    FORMS = {
        "decline": LetterAuthorDeclineForm,
        "upload": LetterAuthorUploadForm,
        "confirm": LetterAuthorConfirmForm,
    }
    DONE = {
        "accept": "Letter request accepted; the applicant is told.",
        "decline": "Letter request declined; the applicant is told why.",
        "upload": "Letter received: it meets the ERAS portal's rules. Upload it to the portal with the "
        "applicant's Letter ID, then confirm the day here.",
        "confirm": "Submission to ERAS confirmed; the applicant is told.",
    }

    def post(self, request, pk, action):
        letter = self.get_letter()
        form = None
        if action in self.FORMS:
            form = self.FORMS[action](request.POST, request.FILES)
            if not form.is_valid():
                return self.render_page(letter, action, form, status=400)
        try:
            self.act(letter, action, form)
        except DomainError as error:
            if form is None:
                fail(request, error)
                return self.render_page(letter, action, form, status=error.status)
            problems = error.extra.get("problems")
            if problems:
                for problem in problems:
                    form.add_error("file", problem["message"])
            else:
                add_domain_error(form, error)
            return self.render_page(letter, action, form, status=error.status)
        messages.success(request, self.DONE[action])
        return redirect("hosts:letter_detail", pk=letter.pk)

    def act(self, letter: LetterRequest, action: str, form) -> None:
        who = {"letter": letter, "actor": self.request.user, "role": ActorRole.AUTHOR}
        if action == "accept":
            letter_accept(**who)
        elif action == "decline":
            letter_decline(**who, reason=form.cleaned_data["reason"])
        elif action == "upload":
            letter_upload(**who, file=form.cleaned_data["file"])
        else:
            letter_confirm_submitted(**who, eras_submitted_on=form.cleaned_data["eras_submitted_on"])

    def render_page(self, letter: LetterRequest, action: str, form, *, status: int):
        view = LetterDetailView(request=self.request, kwargs={"pk": letter.pk}, membership=self.membership)
        context = view.get_context_data(letter=letter, forms={action: form} if form else {})
        return render(self.request, view.template_name, context, status=status)


class LetterVersionFileView(LetterScopeMixin, View):
    """A version of the letter, for its author only (the opening is logged by the service)."""

    def get(self, request, pk, number):
        letter = self.get_letter()
        version = get_object_or_404(letter.versions, number=number)
        try:
            opened = letter_file_open(version=version, actor=request.user, page=request.path)
        except DomainError as error:
            raise PermissionDenied(error.message) from error
        return file_download(opened, content_type="application/pdf", filename=version.filename)
