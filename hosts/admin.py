"""Read-only staff views of host organizations and preceptors (catalog, [2/8]).

Verification and editing come with staff admin ([7/8]) through hosts' services.
"""

from django.contrib import admin

from hosts.models import Organization, Preceptor


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "city", "state", "is_verified", "commission_rate_bps"]
    list_filter = ["kind", "is_verified", "state"]
    search_fields = ["name", "slug", "city"]


@admin.register(Preceptor)
class PreceptorAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "credentials", "specialty", "organization", "npi_number"]
    list_filter = ["credentials", "specialty"]
    search_fields = ["full_name", "npi_number", "organization__name"]
    list_select_related = ["organization", "specialty"]
