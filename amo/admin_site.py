"""The staff admin's site: staff sign in through allauth and must use two-factor authentication.

Staff see every applicant's documents, so, like host owners (hosts.tenancy), they set up an
authenticator app before the admin opens. This module is the admin app's `default_site`
(amo.apps.AdminConfig); it imports no admin modules, which register themselves on it.
"""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from amo.selectors import user_has_totp

SET_UP_TOTP = (
    "Staff see every applicant's documents: set up two-factor authentication with an authenticator "
    "app to use the staff admin."
)


class StaffAdminSite(admin.AdminSite):
    index_template = "admin/amo_index.html"

    def index(self, request, extra_context=None):
        """The admin's index with the operations dashboard above the list of models."""
        from amo.operations import operations_dashboard  # the models are not ready when this loads

        extra_context = {**(extra_context or {}), "operations": operations_dashboard(user=request.user)}
        return super().index(request, extra_context)

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and user_has_totp(user=request.user)

    def login(self, request, extra_context=None):
        """allauth's login page for everyone (its rate limits, email verification and second factor
        apply); a signed-in staff member without a second factor is sent to set one up."""
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff and not user_has_totp(user=user):
            messages.info(request, SET_UP_TOTP)
            return redirect("mfa_activate_totp")
        return secure_admin_login(super().login)(request, extra_context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """History written only by the services: staff read it, never change it here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def admin_form_page(model_admin, request, template: str, *, title: str, form, **context):
    """One of our admin pages that asks for something through a form: the admin's frame around it,
    answered 400 while the form shows errors (a refusal included) so nothing reads it as done."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
        **context,
    }
    status = 400 if form.is_bound and form.errors else 200
    return TemplateResponse(request, template, context, status=status)
