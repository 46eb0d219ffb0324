from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction

from amo.admin_site import each_through_service
from amo.audit_admin import AuditEventAdmin
from amo.calendar import calendar_feed_revoke
from amo.models import ApiToken, AuditEvent, CalendarFeed, Notification, User
from amo.services import api_token_revoke, notification_resend
from amo.text import pluralize
from applicants.admin import DocumentsGoWithTheirOwner
from applicants.services import account_delete


@admin.register(User)
class UserAdmin(DocumentsGoWithTheirOwner, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_applicant", "is_host_member", "is_staff", "is_active"]
    list_filter = ["is_applicant", "is_host_member", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name"]}),
        ("Roles", {"fields": ["is_applicant", "is_host_member", "is_staff", "is_superuser", "is_active"]}),
        ("Permissions", {"fields": ["groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    # Who is staff, a superuser, in which group, or active: changed by the founders (superusers) only.
    ROLE_FIELDS = ["is_staff", "is_superuser", "is_active", "groups", "user_permissions"]
    # Set by the services, never by hand: signing up as an applicant (applicant_create), joining or
    # leaving a host (invitation_accept, membership_remove), and the address the person verified
    # through allauth. Editable only on the form that adds a member of staff.
    SERVICE_FIELDS = ["email", "is_applicant", "is_host_member"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += self.SERVICE_FIELDS
        if not request.user.is_superuser:
            fields += self.ROLE_FIELDS
        return fields

    # Deleting goes through account_delete, so an applicant's documents leave the disk too.
    def delete_model(self, request, obj):
        account_delete(user=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for user in queryset:
                account_delete(user=user)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "emailed_at", "read_at"]
    list_filter = ["emailed_at", "read_at"]
    search_fields = ["key", "subject", "recipient__email"]
    list_select_related = ["recipient"]
    readonly_fields = ["key", "recipient", "subject", "body", "link", "created_at", "emailed_at", "read_at"]
    actions = ["resend"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_resend_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("amo.change_notification")

    @admin.action(description="Email the selected notifications again", permissions=["resend"])
    def resend(self, request, queryset):
        each_through_service(
            self,
            request,
            queryset,
            lambda notification: notification_resend(notification_id=notification.pk),
            done=lambda sent: f"{pluralize(sent, 'notification')} emailed again.",
            name=lambda notification: notification.subject,
        )


class RevokeOnlyAdmin(admin.ModelAdmin):
    """A secret's admin (API tokens, calendar feeds): rows are made by their owner, and the one change
    staff make is revoking, allowed to those who may change the model."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the revoke action is the only change

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")


@admin.register(ApiToken)
class ApiTokenAdmin(RevokeOnlyAdmin):
    """Staff see who holds which API token and revoke a leaked one; tokens are made on the account page."""

    list_display = ["name", "user", "last_four", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "name", "last_four"]
    list_select_related = ["user"]
    fields = readonly_fields = [
        "user",
        "name",
        "last_four",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected API tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(user=token.user, token_id=token.pk)
        self.message_user(request, f"{pluralize(queryset.count(), 'API token')} revoked.", messages.SUCCESS)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(RevokeOnlyAdmin):
    """Staff see who has a calendar feed and turn off one whose address leaked; feeds are made on
    the account page."""

    list_display = ["user", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = readonly_fields = ["user", "created_at", "revoked_at"]
    actions = ["revoke"]

    @admin.action(description="Turn off the selected calendar feeds", permissions=["revoke"])
    def revoke(self, request, queryset):
        feeds = list(queryset.filter(revoked_at__isnull=True).select_related("user"))
        for feed in feeds:
            calendar_feed_revoke(user=feed.user)
        self.message_user(request, f"{pluralize(len(feeds), 'calendar feed')} turned off.", messages.SUCCESS)


admin.site.register(AuditEvent, AuditEventAdmin)

# Evaluations, the access log and reminders register themselves on the same site.
from amo import admin_access  # noqa: E402, F401
