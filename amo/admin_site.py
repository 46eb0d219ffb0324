"""The staff admin's site: staff sign in through allauth and must use two-factor authentication.

Staff see every applicant's documents, so, like host owners (hosts.tenancy), they set up an
authenticator app before the admin opens. This module is the admin app's `default_site`
(amo.apps.AdminConfig); it imports no admin modules, which register themselves on it.
"""

import re
from types import MethodType

from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from amo.errors import DomainError
from amo.money import format_cents
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


def money_column(description: str, cents_field: str, currency_of=lambda row: row.currency):
    """A list column or read-only field that reads an amount as money ("$1,250.00"), sorted by its cents."""

    @admin.display(description=description, ordering=cents_field)
    def column(self, row) -> str | None:
        cents = getattr(row, cents_field)
        return None if cents is None else format_cents(cents, currency_of(row))

    return column


class MoneyAdminMixin:
    """Every `*_cents` field of the model reads as money, never as raw cents: on the change page a
    read-only "Amount" ("$1,234.56") stands where "Amount cents" would, the form never edits it, and a
    `*_cents` list column reads as money too. `currency_of(row)` says a row's currency."""

    def currency_of(self, row) -> str:
        return row.currency

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.money_names = {}
        for field in self.model._meta.concrete_fields:
            if not field.name.endswith("_cents"):
                continue
            name = field.name.removesuffix("_cents")
            # An amount the admin already shows its own way (a column with its own words) keeps it; a
            # name the admin uses for something else (its `form`, say) is left alone.
            if not hasattr(getattr(self, name, None), "short_description"):
                model_fields = {each.name for each in self.model._meta.get_fields()}
                name = f"{name}_money" if hasattr(self, name) or name in model_fields else name
                label = re.sub(r"\s*\bcents\b", "", str(field.verbose_name)).strip()
                column = money_column(label, field.name, self.currency_of)
                setattr(self, name, MethodType(column, self))
            self.money_names[field.name] = name

    def _as_money(self, names):
        shown = []
        for name in names:
            if isinstance(name, list | tuple):
                name = type(name)(self._as_money(name))
            else:
                name = self.money_names.get(name, name)
            if name not in shown:
                shown.append(name)
        return shown

    def get_exclude(self, request, obj=None):
        excluded = super().get_exclude(request, obj)
        if excluded is None and hasattr(self.form, "_meta"):
            excluded = self.form._meta.exclude
        return [*(excluded or []), *self.money_names]

    def get_readonly_fields(self, request, obj=None):
        hidden = set(self.exclude or [])
        amounts = [name for cents, name in self.money_names.items() if cents not in hidden]
        return self._as_money([*super().get_readonly_fields(request, obj), *amounts])

    def get_fields(self, request, obj=None):
        shown = self._as_money(super().get_fields(request, obj))
        if self.fields is not None:
            return shown
        # Django lists the read-only fields after the form's: each amount goes back where its field is.
        order = self._as_money([field.name for field in self.model._meta.get_fields()])
        return sorted(shown, key=lambda name: order.index(name) if name in order else len(order))

    def get_fieldsets(self, request, obj=None):
        return [
            (title, {**options, "fields": self._as_money(options["fields"])})
            for title, options in super().get_fieldsets(request, obj)
        ]

    def get_list_display(self, request):
        return self._as_money(super().get_list_display(request))


def each_through_service(model_admin, request, rows, change, *, done, name=str) -> None:
    """Run `change` (a call to a service) on each selected row: a refusal is reported with the row's
    name and stops only that row; then one message says how many changed (`done(count)`)."""
    changed = 0
    for row in rows:
        try:
            change(row)
        except DomainError as error:
            model_admin.message_user(request, f"{name(row)}: {error.message}", messages.ERROR)
        else:
            changed += 1
    if changed:
        model_admin.message_user(request, done(changed), messages.SUCCESS)
