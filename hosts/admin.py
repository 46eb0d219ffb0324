from django.contrib import admin, messages

from amo.text import pluralize
from hosts import services
from hosts.models import Invitation, Membership, Organization, Preceptor


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "preceptor", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["user", "preceptor"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "state", "is_verified", "created_at"]
    list_filter = ["is_verified", "kind", "state"]
    search_fields = ["name", "slug", "city"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    actions = ["verify", "unverify"]

    @admin.action(description="Verify the selected organizations (they may publish)")
    def verify(self, request, queryset):
        for organization in queryset:
            services.organization_set_verified(organization=organization, verified=True)
        messages.success(request, f"{pluralize(queryset.count(), 'organization')} verified.")

    @admin.action(description="Withdraw verification (they may no longer publish)")
    def unverify(self, request, queryset):
        for organization in queryset:
            services.organization_set_verified(organization=organization, verified=False)
        messages.success(request, f"{pluralize(queryset.count(), 'organization')} no longer verified.")


@admin.register(Preceptor)
class PreceptorAdmin(admin.ModelAdmin):
    list_display = ["full_name", "credentials", "organization", "specialty", "user"]
    list_filter = ["credentials", "specialty"]
    search_fields = ["full_name", "npi_number", "organization__name"]
    list_select_related = ["organization", "specialty", "user"]
    raw_id_fields = ["user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email", "organization__name"]
    list_select_related = ["organization"]
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
