"""Host pages: members, invitations (and accepting one) and preceptors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import FormView, ListView

from amo.errors import DomainError
from amo.forms import add_domain_error
from hosts import services
from hosts.forms import InvitationForm, PreceptorForm
from hosts.models import Invitation, Membership, Preceptor
from hosts.tenancy import SESSION_KEY, OrganizationMixin, Role
from hosts.views.common import PAGE_SIZE, fail
from rotations.models import Specialty


class MembersView(OrganizationMixin, ListView):
    template_name = "hosts/members.html"
    allowed_roles = frozenset({Role.OWNER})
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return (
            self.scoped(Membership.objects.all()).select_related("user", "preceptor").order_by("created_at")
        )

    def get_context_data(self, **kwargs):
        invitations = self.scoped(
            Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
        )
        return super().get_context_data(
            invitations=invitations.select_related("preceptor", "invited_by"),
            invitation_form=kwargs.pop("invitation_form", None) or self.invitation_form(),
            **kwargs,
        )

    def invitation_form(self, data=None) -> InvitationForm:
        return InvitationForm(data, preceptors=self.scoped(Preceptor.objects.all()))


class InvitationCreateView(MembersView):
    def post(self, request):
        form = self.invitation_form(request.POST)
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    organization=self.organization, invited_by=request.user, **form.cleaned_data
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("hosts:members")
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(invitation_form=form), status=400)

    def get(self, request):
        return redirect("hosts:members")


class InvitationRevokeView(OrganizationMixin, View):
    allowed_roles = frozenset({Role.OWNER})

    def post(self, request, pk):
        invitation = self.scoped_get(Invitation.objects.all(), pk=pk)
        try:
            services.invitation_revoke(invitation=invitation)
            messages.success(request, f"The invitation to {invitation.email} is revoked.")
        except DomainError as error:
            fail(request, error)
        return redirect("hosts:members")


class MemberRemoveView(OrganizationMixin, View):
    allowed_roles = frozenset({Role.OWNER})

    def post(self, request, pk):
        membership = self.scoped_get(Membership.objects.select_related("user"), pk=pk)
        try:
            services.membership_remove(membership=membership)
            messages.success(request, f"{membership.user} no longer has access to {self.organization}.")
        except DomainError as error:
            fail(request, error)
        return redirect("hosts:members")


class InvitationAcceptView(LoginRequiredMixin, View):
    """Opened from the emailed link; the invitee confirms with a button (a GET never changes data)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.invitation = services.invitation_from_token(kwargs["token"])
            except DomainError as error:
                raise Http404(error.message) from error
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, token):
        return render(request, "hosts/invitation_accept.html", {"invitation": self.invitation})

    def post(self, request, token):
        try:
            membership = services.invitation_accept(invitation=self.invitation, user=request.user)
        except DomainError as error:
            return render(
                request,
                "hosts/invitation_accept.html",
                {"invitation": self.invitation, "error": error.message},
                status=error.status,
            )
        request.session[SESSION_KEY] = membership.organization_id
        messages.success(request, f"Welcome to {membership.organization}.")
        return redirect("hosts:dashboard")


class PreceptorCreateView(OrganizationMixin, FormView):
    template_name = "hosts/preceptor_form.html"
    form_class = PreceptorForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "specialties": Specialty.objects.all()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            preceptors=self.scoped(Preceptor.objects.select_related("specialty")), **kwargs
        )

    def form_valid(self, form):
        try:
            preceptor = services.preceptor_create(organization=self.organization, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{preceptor} added.")
        return redirect("hosts:preceptor_create")
