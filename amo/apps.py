from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class AmoConfig(AppConfig):
    name = "amo"
    verbose_name = "AMO accounts"
    default = True

    def ready(self) -> None:
        from amo.services import site_sync

        # After django.contrib.sites' own handler (earlier in INSTALLED_APPS), which would make
        # example.com on an empty table (e.g. after a test flush).
        post_migrate.connect(site_sync, sender=self, dispatch_uid="amo.site_sync")


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin on our site class (staff two-factor); in INSTALLED_APPS by its path."""

    default = False
    default_site = "amo.admin_site.StaffAdminSite"
