"""Host pages: the overview, onboarding, switching organization, roster and calendar."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from amo.errors import DomainError
from amo.forms import add_domain_error
from amo.selectors import recent_notifications, user_has_totp
from applicants.models import Application
from hosts import selectors, services
from hosts.forms import OrganizationForm
from hosts.tenancy import EVERY_ROLE, SESSION_KEY, OrganizationMixin
from hosts.views.common import PAGE_SIZE
from rotations.models import Block


class DashboardView(OrganizationMixin, TemplateView):
    template_name = "hosts/dashboard.html"
    allowed_roles = EVERY_ROLE

    def get_context_data(self, **kwargs):
        today = timezone.now().date()
        return super().get_context_data(
            counts=selectors.dashboard_counts(
                applications=self.scoped(Application.objects.all()),
                blocks=self.scoped(Block.objects.all()),
                today=today,
            ),
            has_totp=user_has_totp(user=self.request.user),
            notifications=recent_notifications(user=self.request.user),
            **kwargs,
        )


class OnboardingView(LoginRequiredMixin, FormView):
    """A signed-up person creates their host organization (unverified) and becomes its owner."""

    template_name = "hosts/onboarding.html"
    form_class = OrganizationForm

    def form_valid(self, form):
        try:
            organization = services.organization_create(user=self.request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        self.request.session[SESSION_KEY] = organization.pk
        messages.success(
            self.request,
            f"{organization} is created. Our staff will verify it; until then you can prepare rotations "
            "but not publish them.",
        )
        return redirect("hosts:dashboard")


class SwitchOrganizationView(OrganizationMixin, View):
    allowed_roles = EVERY_ROLE

    def post(self, request):
        membership = selectors.membership_for_user(
            user=request.user, organization_slug=request.POST.get("organization", "")
        )
        if membership is None:
            raise Http404("No such organization of yours.")
        request.session[SESSION_KEY] = membership.organization_id
        messages.info(request, f"You are now working in {membership.organization}.")
        return redirect("hosts:dashboard")


class RosterView(OrganizationMixin, ListView):
    template_name = "hosts/roster.html"
    allowed_roles = EVERY_ROLE
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.roster(
            blocks=self.scoped(Block.objects.all()),
            applications=self.scoped(Application.objects.all()),
            today=timezone.now().date(),
        )


class CalendarView(OrganizationMixin, TemplateView):
    template_name = "hosts/calendar.html"
    allowed_roles = EVERY_ROLE

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            months=selectors.calendar(
                blocks=self.scoped(Block.objects.all()),
                applications=self.scoped(Application.objects.all()),
                today=timezone.now().date(),
            ),
            **kwargs,
        )
