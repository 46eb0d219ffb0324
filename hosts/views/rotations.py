"""Host pages: rotations and their blocks."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from amo.errors import DomainError
from amo.forms import add_domain_error
from hosts import selectors
from hosts.forms import BlockForm, FirstDayForm, RotationForm
from hosts.models import Preceptor
from hosts.tenancy import EVERY_ROLE, OrganizationMixin
from hosts.views.common import PAGE_SIZE, fail
from rotations import services as rotation_services
from rotations.models import Block, Rotation, Specialty
from rotations.selectors import first_day_of


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
            add_domain_error(form, error)
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
            add_domain_error(form, error)
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
            Rotation.objects.select_related("specialty", "preceptor", "organization", "first_day"),
            pk=self.kwargs["pk"],
        )
        return super().get_context_data(
            rotation=rotation,
            first_day=first_day_of(rotation),
            publish_refusal=rotation_services.rotation_publish_refusal(rotation),
            blocks=self.scoped(Block.objects.filter(rotation=rotation)).order_by("start_date"),
            block_form=kwargs.pop("block_form", None) or BlockForm(),
            **kwargs,
        )


class FirstDayUpdateView(OrganizationMixin, FormView):
    """The rotation's first-day information, which its booked applicants read as it stands."""

    template_name = "hosts/first_day_form.html"
    form_class = FirstDayForm

    @cached_property
    def rotation(self) -> Rotation:
        return self.scoped_get(Rotation.objects.select_related("first_day"), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": first_day_of(self.rotation)}

    def form_valid(self, form):
        try:
            rotation_services.first_day_update(rotation=self.rotation, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "First-day information saved; booked applicants see it now.")
        return redirect("hosts:rotation_detail", pk=self.rotation.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(rotation=self.rotation, **kwargs)


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
            fail(request, error)
        return redirect("hosts:rotation_detail", pk=pk)


class BlockCreateView(OrganizationMixin, View):
    def post(self, request, pk):
        rotation = self.scoped_get(Rotation.objects.all(), pk=pk)
        form = BlockForm(request.POST)
        if form.is_valid():
            try:
                rotation_services.block_create(rotation=rotation, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
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
            add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Block saved.")
        return redirect("hosts:rotation_detail", pk=self.block.rotation_id)

    def get_context_data(self, **kwargs):
        return super().get_context_data(edited_block=self.block, **kwargs)
