from pathlib import Path

from django import forms
from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class AmoConfig(AppConfig):
    name = "amo"
    verbose_name = "AMO accounts"
    default = True

    def ready(self) -> None:
        from amo.services import site_sync
        from amo.validators import single_line_fields_validate

        single_line_fields_validate(our_app_configs())

        # After django.contrib.sites' own handler (earlier in INSTALLED_APPS), which would make
        # example.com on an empty table (e.g. after a test flush).
        post_migrate.connect(site_sync, sender=self, dispatch_uid="amo.site_sync")


def our_app_configs() -> list[AppConfig]:
    """The apps of this project: the folders at its root (a package under .venv is not ours)."""
    return [config for config in apps.get_app_configs() if Path(config.path).parent == settings.BASE_DIR]


def refuse_choices_without_echo() -> None:
    """A refused choice is refused in words, without quoting what was sent: a query string's
    `?state=%00` would otherwise come back as "Select a valid choice. \x00 is not one of the
    available choices." on every page form and filter (the API escapes what it quotes, amo/api.py).

    Run when Django loads the app configs, before any app's models or forms are imported: a form
    field copies its class's messages when the form class is defined, so ready() would be too late.
    """
    message = "Select a valid choice."
    for field_class in (forms.ChoiceField, forms.MultipleChoiceField, forms.ModelMultipleChoiceField):
        field_class.default_error_messages["invalid_choice"] = message
    forms.ModelMultipleChoiceField.default_error_messages["invalid_pk_value"] = message


refuse_choices_without_echo()


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin on our site class (staff two-factor); in INSTALLED_APPS by its path."""

    default = False
    default_site = "amo.admin_site.StaffAdminSite"
