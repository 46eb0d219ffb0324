"""Host pages: the reviews applicants wrote of the organization's rotations, and the host's one
public answer to each."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import ListView

from amo.errors import DomainError
from amo.forms import add_domain_error
from applicants.models import Review
from applicants.services import review_answer
from hosts import selectors
from hosts.forms import ReviewAnswerForm
from hosts.tenancy import EVERY_ROLE, OrganizationMixin
from hosts.views.common import PAGE_SIZE, fail


class ReviewListView(OrganizationMixin, ListView):
    """Every review of the organization's rotations (a preceptor's: of theirs), newest first, with
    an answer form for owners and coordinators on each review not yet answered."""

    template_name = "hosts/reviews.html"
    allowed_roles = EVERY_ROLE
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.host_reviews(self.scoped(Review.objects.all()))

    def get_context_data(self, **kwargs):
        answer_forms = kwargs.pop("answer_forms", {})
        context = super().get_context_data(can_answer=self.is_manager, **kwargs)
        for review in context["object_list"]:
            review.answer_form = answer_forms.get(review.pk) or ReviewAnswerForm(review_id=review.pk)
        return context


class ReviewAnswerView(OrganizationMixin, View):
    """Answer a review, in public, once."""

    def post(self, request, pk):
        review = self.scoped_get(Review.objects.all(), pk=pk)
        form = ReviewAnswerForm(request.POST, review_id=review.pk)
        if form.is_valid():
            try:
                review_answer(review=review, actor=request.user, text=form.cleaned_data["answer"])
            except DomainError as error:
                if "answer" not in error.extra.get("fields", {}):
                    fail(request, error)
                    return redirect("hosts:reviews")
                add_domain_error(form, error)
            else:
                messages.success(request, "Answer published under the review; the applicant is told.")
                return redirect("hosts:reviews")
        view = ReviewListView(request=request, kwargs={}, membership=self.membership)
        view.object_list = view.get_queryset()
        context = view.get_context_data(answer_forms={review.pk: form})
        return render(request, view.template_name, context, status=400)
