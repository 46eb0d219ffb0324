"""Pages of the host dashboard under /host/. Every object comes through `self.scoped` (hosts.tenancy)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from amo.errors import DomainError
from applicants.models import Application
from applicants.readiness import is_ready, readiness_checklist
from applicants.workflow import Role as WorkflowRole
from applicants.workflow import targets_from
from hosts import selectors, services
from hosts.forms import (
    BlockForm,
    BulkForm,
    InvitationForm,
    MessageForm,
    OfferForm,
    OrganizationForm,
    PreceptorForm,
    QueueFilterForm,
    RejectForm,
    RotationForm,
)
from hosts.models import Invitation, Membership, Preceptor
from hosts.tenancy import EVERY_ROLE, SESSION_KEY, OrganizationMixin, Role
from rotations import services as rotation_services
from rotations.models import Block, Rotation, Specialty

PAGE_SIZE = 25


def _fail(request, error: DomainError) -> None:
    messages.error(request, error.message)


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
            has_totp=selectors.user_has_totp(user=self.request.user),
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
            form.add_error(None, error.message)
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


# --- Members, invitations, preceptors -------------------------------------------------------------


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
                form.add_error(None, error.message)
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
            _fail(request, error)
        return redirect("hosts:members")


class MemberRemoveView(OrganizationMixin, View):
    allowed_roles = frozenset({Role.OWNER})

    def post(self, request, pk):
        membership = self.scoped_get(Membership.objects.select_related("user"), pk=pk)
        try:
            services.membership_remove(membership=membership)
            messages.success(request, f"{membership.user} no longer has access to {self.organization}.")
        except DomainError as error:
            _fail(request, error)
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
        preceptor = services.preceptor_create(organization=self.organization, **form.cleaned_data)
        messages.success(self.request, f"{preceptor} added.")
        return redirect("hosts:preceptor_create")


# --- Rotations and blocks ---------------------------------------------------------------------------


class RotationListView(OrganizationMixin, ListView):
    template_name = "hosts/rotation_list.html"
    allowed_roles = EVERY_ROLE
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.rotations_with_counts(self.scoped(Rotation.objects.all()))


class RotationFormMixin(OrganizationMixin):
    template_name = "hosts/rotation_form.html"
    form_class = RotationForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "preceptors": self.scoped(Preceptor.objects.all()),
            "specialties": Specialty.objects.all(),
        }


class RotationCreateView(RotationFormMixin, FormView):
    def form_valid(self, form):
        try:
            rotation = rotation_services.rotation_create(
                organization=self.organization, **form.service_fields()
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, f"{rotation} is saved as a draft. Add blocks, then publish it.")
        return redirect("hosts:rotation_detail", pk=rotation.pk)


class RotationUpdateView(RotationFormMixin, FormView):
    @cached_property
    def rotation(self) -> Rotation:
        return self.scoped_get(Rotation.objects.all(), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.rotation}

    def form_valid(self, form):
        try:
            rotation_services.rotation_update(rotation=self.rotation, **form.service_fields())
        except DomainError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, "Changes saved.")
        return redirect("hosts:rotation_detail", pk=self.rotation.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(rotation=self.rotation, **kwargs)


class RotationDetailView(OrganizationMixin, TemplateView):
    template_name = "hosts/rotation_detail.html"
    allowed_roles = EVERY_ROLE

    def get_context_data(self, **kwargs):
        rotation = self.scoped_get(
            Rotation.objects.select_related("specialty", "preceptor"), pk=self.kwargs["pk"]
        )
        return super().get_context_data(
            rotation=rotation,
            blocks=self.scoped(Block.objects.filter(rotation=rotation)).order_by("start_date"),
            block_form=kwargs.pop("block_form", None) or BlockForm(),
            **kwargs,
        )


ROTATION_ACTIONS = {
    "publish": (rotation_services.rotation_publish, "is published."),
    "unpublish": (rotation_services.rotation_unpublish, "is back to draft."),
    "archive": (rotation_services.rotation_archive, "is archived."),
}


class RotationStatusView(OrganizationMixin, View):
    def post(self, request, pk, action):
        rotation = self.scoped_get(Rotation.objects.all(), pk=pk)
        service, done = ROTATION_ACTIONS[action]
        try:
            service(rotation=rotation)
            messages.success(request, f"{rotation} {done}")
        except DomainError as error:
            _fail(request, error)
        return redirect("hosts:rotation_detail", pk=pk)


class BlockCreateView(OrganizationMixin, View):
    def post(self, request, pk):
        rotation = self.scoped_get(Rotation.objects.all(), pk=pk)
        form = BlockForm(request.POST)
        if form.is_valid():
            try:
                rotation_services.block_create(rotation=rotation, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Block added.")
                return redirect("hosts:rotation_detail", pk=pk)
        view = RotationDetailView(request=request, kwargs={"pk": pk}, membership=self.membership)
        return render(request, view.template_name, view.get_context_data(block_form=form), status=400)


class BlockUpdateView(OrganizationMixin, FormView):
    template_name = "hosts/block_form.html"
    form_class = BlockForm

    @cached_property
    def block(self) -> Block:
        return self.scoped_get(Block.objects.select_related("rotation"), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.block}

    def form_valid(self, form):
        try:
            rotation_services.block_update(block=self.block, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, "Block saved.")
        return redirect("hosts:rotation_detail", pk=self.block.rotation_id)

    def get_context_data(self, **kwargs):
        return super().get_context_data(edited_block=self.block, **kwargs)


# --- Review queue -----------------------------------------------------------------------------------


class ApplicationQueueView(OrganizationMixin, ListView):
    template_name = "hosts/application_queue.html"
    allowed_roles = EVERY_ROLE
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        rotations = self.scoped(Rotation.objects.all()).order_by("title")
        blocks = self.scoped(Block.objects.select_related("rotation")).order_by(
            "rotation__title", "start_date"
        )
        self.filters = QueueFilterForm(self.request.GET or None, rotations=rotations, blocks=blocks)
        criteria = self.filters.cleaned_data if self.filters.is_valid() else {}
        return selectors.application_queue(
            self.scoped(Application.objects.all()),
            rotation_id=criteria.get("rotation"),
            block_id=criteria.get("block"),
            status=criteria.get("status"),
            submitted_from=criteria.get("submitted_from"),
            submitted_to=criteria.get("submitted_to"),
        )

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            filters=self.filters, bulk_form=BulkForm(), query=query.urlencode(), **kwargs
        )


class ApplicationBulkView(OrganizationMixin, View):
    def post(self, request):
        form = BulkForm(request.POST)
        if not form.is_valid():
            for problems in form.errors.values():
                messages.error(request, problems[0])
            return redirect("hosts:applications")
        ids = form.cleaned_data["applications"]
        applications = list(
            self.scoped(
                Application.objects.filter(pk__in=ids).exclude(status=Application.Status.DRAFT)
            ).select_related("block__rotation")
        )
        if len(applications) != len(ids):
            raise Http404("Some of these applications are not yours to act on.")
        action = form.cleaned_data["action"]
        arguments = {"reason": form.cleaned_data["reason"]} if action == "reject" else {}
        try:
            results = services.applications_bulk(
                applications=applications, actor=request.user, action=action, **arguments
            )
        except DomainError as error:
            _fail(request, error)
            return redirect("hosts:applications")
        done = sum(result.ok for result in results)
        messages.success(request, f"{done} of {len(results)} applications updated.")
        for result in results:
            if not result.ok:
                messages.warning(request, f"Application #{result.application_id}: {result.message}")
        return redirect("hosts:applications")


class ApplicationReviewMixin(OrganizationMixin):
    def get_application(self) -> Application:
        return self.scoped_get(
            selectors.application_for_review(Application.objects.exclude(status=Application.Status.DRAFT)),
            pk=self.kwargs["pk"],
        )


class ApplicationDetailView(ApplicationReviewMixin, TemplateView):
    template_name = "hosts/application_detail.html"
    allowed_roles = EVERY_ROLE

    def get_context_data(self, **kwargs):
        application = self.get_application()
        documents = list(application.documents.all())
        checklist = readiness_checklist(
            applicant=application.applicant, block=application.block, documents=documents
        )
        targets = set(targets_from(application.status, WorkflowRole.HOST)) if self.is_manager else set()
        S = Application.Status
        return super().get_context_data(
            application=application,
            applicant=application.applicant,
            documents=documents,
            checklist=checklist,
            ready=is_ready(checklist),
            can_start_review=S.UNDER_REVIEW in targets,
            can_offer=S.OFFERED in targets,
            can_waitlist=S.WAITLISTED in targets,
            can_reject=S.REJECTED in targets,
            offer_form=kwargs.pop("offer_form", None) or OfferForm(),
            reject_form=kwargs.pop("reject_form", None) or RejectForm(),
            message_form=kwargs.pop("message_form", None) or MessageForm(),
            **kwargs,
        )


class ApplicationActionView(ApplicationReviewMixin, View):
    """One POST per review action; a refusal is shown on the review page and changes nothing."""

    forms = {"offer": OfferForm, "reject": RejectForm, "request_info": MessageForm}
    form_context = {"offer": "offer_form", "reject": "reject_form", "request_info": "message_form"}
    done = {
        "start_review": "Review started; the applicant is told.",
        "offer": "Offer sent; a seat is held until the deadline.",
        "reject": "Application rejected; the applicant is told why.",
        "waitlist": "Application waitlisted.",
        "request_info": "Message sent to the applicant.",
    }

    def post(self, request, pk, action):
        application = self.get_application()
        form_class = self.forms.get(action)
        form = form_class(request.POST) if form_class else None
        if form is not None and not form.is_valid():
            return self.render_page(form=form, action=action)
        data = form.cleaned_data if form is not None else {}
        try:
            if action == "start_review":
                services.application_start_review(application=application, actor=request.user)
            elif action == "offer":
                services.application_offer(
                    application=application, actor=request.user, expires_at=data["expires_at"]
                )
            elif action == "reject":
                services.application_reject(
                    application=application, actor=request.user, reason=data["reason"]
                )
            elif action == "waitlist":
                services.application_waitlist(application=application, actor=request.user)
            else:
                services.application_request_info(
                    application=application, actor=request.user, message=data["message"]
                )
        except DomainError as error:
            if form is None:
                _fail(request, error)
                return redirect("hosts:application_detail", pk=pk)
            form.add_error(None, error.message)
            return self.render_page(form=form, action=action, status=error.status, error=error.message)
        messages.success(request, self.done[action])
        return redirect("hosts:application_detail", pk=pk)

    def render_page(self, *, form, action, status=400, error=""):
        view = ApplicationDetailView(request=self.request, kwargs=self.kwargs, membership=self.membership)
        context = view.get_context_data(action_error=error, **{self.form_context[action]: form})
        return render(self.request, view.template_name, context, status=status)


class ApplicationDocumentView(ApplicationReviewMixin, View):
    """A document the applicant assigned to this application, and only such a document."""

    allowed_roles = EVERY_ROLE

    def get(self, request, pk, document_id):
        application = self.scoped_get(Application.objects.exclude(status=Application.Status.DRAFT), pk=pk)
        document = application.documents.filter(pk=document_id).first()
        if document is None:
            raise Http404("No such document on this application.")
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_filename,
            content_type=document.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# --- Roster and calendar ------------------------------------------------------------------------------


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
            months=selectors.calendar(blocks=self.scoped(Block.objects.all()), today=timezone.now().date()),
            **kwargs,
        )
