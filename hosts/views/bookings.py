"""Host pages: the date changes applicants ask for on their bookings, and the host's answer; the
evaluation of a completed booking."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import ListView, TemplateView

from amo.errors import DomainError
from amo.forms import add_domain_error
from applicants import selectors as applicant_selectors
from applicants.models import Application, BlockChange
from applicants.services import block_change_decide, evaluation_submit
from hosts import selectors
from hosts.forms import BlockChangeDeclineForm, EvaluationForm
from hosts.tenancy import EVERY_ROLE, OrganizationMixin
from hosts.views.common import PAGE_SIZE, fail
from hosts.views.review import ApplicationDetailView, ApplicationReviewMixin
from payments.selectors import block_change_price_difference

# Where a decision was asked from, so the answer (or a form error) is shown on that same page.
FROM_APPLICATION = "application"


class BlockChangeListView(OrganizationMixin, ListView):
    """Every date change of the organization's bookings: open ones first, then the decided."""

    template_name = "hosts/block_changes.html"
    allowed_roles = EVERY_ROLE
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        status = self.request.GET.get("status", "")
        self.status = status if status in BlockChange.Status.values else ""
        return selectors.block_changes(self.scoped(BlockChange.objects.all()), status=self.status)

    def get_context_data(self, **kwargs):
        decline_forms = kwargs.pop("decline_forms", {})
        context = super().get_context_data(
            statuses=BlockChange.Status.choices,
            status=self.status,
            query=urlencode({"status": self.status}) if self.status else "",
            can_decide=self.is_manager,
            **kwargs,
        )
        for change in context["object_list"]:
            change.price_difference = block_change_price_difference(change)
            change.decline_form = decline_forms.get(change.pk) or BlockChangeDeclineForm(
                block_change_id=change.pk
            )
        return context


class BlockChangeDecideView(OrganizationMixin, View):
    """Approve (the booking moves to the other block) or decline (with a reason) a date change."""

    def post(self, request, pk, action):
        change = self.scoped_get(BlockChange.objects.all(), pk=pk)
        approve = action == "approve"
        form = None if approve else BlockChangeDeclineForm(request.POST, block_change_id=change.pk)
        if form is not None and not form.is_valid():
            return self.render_page(change, form, status=400)
        try:
            block_change_decide(
                block_change=change,
                actor=request.user,
                approve=approve,
                answer="" if form is None else form.cleaned_data["answer"],
            )
        except DomainError as error:
            if form is not None and "answer" in error.extra.get("fields", {}):
                add_domain_error(form, error)
                return self.render_page(change, form, status=error.status)
            fail(request, error)
            return self.back(change)
        if approve:
            messages.success(request, f"Date change approved: the booking moved to {change.to_block}.")
        else:
            messages.success(request, "Date change declined; the applicant is told why.")
        return self.back(change)

    def came_from_application(self) -> bool:
        return self.request.POST.get("from") == FROM_APPLICATION

    def back(self, change: BlockChange):
        if self.came_from_application():
            return redirect("hosts:application_detail", pk=change.application_id)
        return redirect("hosts:block_changes")

    def render_page(self, change: BlockChange, form: BlockChangeDeclineForm, *, status: int):
        if self.came_from_application():
            view = ApplicationDetailView(
                request=self.request, kwargs={"pk": change.application_id}, membership=self.membership
            )
            context = view.get_context_data(decline_forms={change.pk: form})
        else:
            view = BlockChangeListView(request=self.request, kwargs={}, membership=self.membership)
            view.object_list = view.get_queryset()
            context = view.get_context_data(decline_forms={change.pk: form})
        return render(self.request, view.template_name, context, status=status)


class EvaluationView(ApplicationReviewMixin, TemplateView):
    """The evaluation of a completed booking: the form for the rotation's preceptor (or a manager of
    the host) until it is submitted, then what was submitted, fixed. A preceptor member reaches only
    their own rotations' bookings (hosts.tenancy); anyone else's is a 404."""

    allowed_roles = EVERY_ROLE
    template_name = "hosts/evaluation_form.html"

    def post(self, request, pk):
        self.application = self.get_application()
        form = EvaluationForm(request.POST, weeks=self.application.block.weeks)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            evaluation_submit(application=self.application, actor=request.user, **form.submission())
        except DomainError as error:
            add_domain_error(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        messages.success(
            request,
            "Evaluation submitted: the applicant reads it and downloads their certificate of completion.",
        )
        return redirect("hosts:application_detail", pk=pk)

    def get_context_data(self, **kwargs):
        application = getattr(self, "application", None) or self.get_application()
        return super().get_context_data(
            application=application,
            applicant=application.applicant,
            evaluation=applicant_selectors.evaluation_of(application),
            can_evaluate=application.status == Application.Status.COMPLETED
            and applicant_selectors.may_evaluate(user=self.request.user, application=application),
            form=kwargs.pop("form", None) or EvaluationForm(weeks=application.block.weeks),
            **kwargs,
        )
