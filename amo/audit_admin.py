"""Where staff read the audit trail (amo/audit.py): each tracked object's "History" page in the
admin, and the "Audit events" list of every change, filtered by model, person, kind of actor, date
and action. Both only read: an event is never added, changed or deleted here (nor by the database,
which refuses it)."""

from __future__ import annotations

from dataclasses import replace

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from pghistory import core as pghistory_core

from amo import audit
from amo.admin_site import ReadOnlyAdmin
from amo.text import moment_label


class AuditHistoryMixin:
    """A ModelAdmin mixin: the change page's "History" shows the object's audit trail (every change
    recorded by the database, whoever made it) instead of the admin's own log of its forms."""

    object_history_template = "admin/audit/object_history.html"
    # (model, foreign key) pairs whose events belong on this object's page too: the parts edited
    # with it, such as an organization's memberships (amo.audit.object_history).
    audit_related: list = []
    # Fields of the object whose values the history page leaves out, for what it would give away to
    # anyone who may read the record (a document's stored file name, for staff who may not open it).
    audit_hidden_fields: list = []

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"History of {obj}",
            "subtitle": None,
            "entries": self.audit_entries(obj),
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def audit_entries(self, obj) -> list:
        entries = audit.object_history(obj, related=self.audit_related)
        if not self.audit_hidden_fields:
            return entries
        hidden = {str(self.opts.get_field(name).verbose_name) for name in self.audit_hidden_fields}
        return [
            replace(entry, changes=tuple(change for change in entry.changes if change.field not in hidden))
            for entry in entries
        ]


def tracked_models() -> list:
    """The models the audit trail tracks, by their verbose names."""
    models = {event_model.pgh_tracked_model for event_model in pghistory_core.event_models()}
    return sorted(models, key=lambda model: model._meta.verbose_name)


class TrackedModelFilter(admin.SimpleListFilter):
    title = "record"
    parameter_name = "record"

    def lookups(self, request, model_admin):
        return [(model._meta.label_lower, capfirst(model._meta.verbose_name)) for model in tracked_models()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        chosen = [model for model in tracked_models() if model._meta.label_lower == self.value()]
        # One event table instead of the union of all of them.
        return queryset.across(audit.event_model_of(chosen[0])) if chosen else queryset.none()


class ActorFilter(admin.SimpleListFilter):
    title = "who acted"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        return [
            ("staff", "Staff"),
            ("person", "Applicants and hosts"),
            ("task", "Background tasks"),
            ("command", "Commands (seeding)"),
            ("none", "Not recorded"),
        ]

    def queryset(self, request, queryset):
        staff = get_user_model().objects.filter(is_staff=True)
        return {
            "staff": lambda: queryset.filter(user_id__in=staff.values("pk")),
            "person": lambda: queryset.filter(user_id__isnull=False).exclude(user_id__in=staff.values("pk")),
            "task": lambda: queryset.filter(task__isnull=False),
            "command": lambda: queryset.filter(command__isnull=False),
            "none": lambda: queryset.filter(user__isnull=True, task__isnull=True, command__isnull=True),
            None: lambda: queryset,
        }.get(self.value(), queryset.none)()


class StaffMemberFilter(admin.SimpleListFilter):
    """One person's changes: a staff member chosen here, anyone by following the "who" link."""

    title = "person"
    parameter_name = "user"

    def lookups(self, request, model_admin):
        staff = get_user_model().objects.filter(is_staff=True).order_by("email").values_list("pk", "email")
        return [(str(pk), email) for pk, email in staff]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not self.value().isdigit():
            return queryset.none()
        return queryset.filter(user_id=int(self.value()))


class ActionFilter(admin.SimpleListFilter):
    title = "what"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return list(audit.ACTIONS.items())

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(pgh_label=self.value()) if self.value() in audit.ACTIONS else queryset.none()


# What the list sorts, filters and counts by. Each event's row and its diff with the event before are
# read afterwards for the page's events alone: computed for every event before sorting, they made a
# page of 100,000 events take 12 s instead of 0.3.
LIST_COLUMNS = [
    "pgh_slug",
    "pgh_model",
    "pgh_id",
    "pgh_created_at",
    "pgh_label",
    "pgh_obj_model",
    "pgh_obj_id",
]
LIST_CONTEXT = ["pgh_context", "user", "task", "command"]


class AuditEventChangeList(ChangeList):
    """The page's events, each with what changed and who acted in words: one query per event table
    on the page for the diffs, one for the people (the aggregate's `user` is computed from the
    context, and cannot be joined)."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        ids_by_table: dict[str, list[int]] = {}
        for event in self.result_list:
            ids_by_table.setdefault(event.pgh_model, []).append(event.pgh_id)
        details = {
            (table, pgh_id): (diff, data)
            for table, ids in ids_by_table.items()
            for pgh_id, diff, data in self.model.objects.across(table)
            .filter(pgh_id__in=ids)
            .values_list("pgh_id", "pgh_diff", "pgh_data")
        }
        users = audit.users_by_id(event.pgh_context for event in self.result_list)
        for event in self.result_list:
            event.diff, event.data = details.get((event.pgh_model, event.pgh_id), (None, None))
            event.actor = audit.actor_label(event.pgh_context, users)


class AuditEventAdmin(ReadOnlyAdmin):
    """Every recorded change of every tracked model, newest first."""

    list_display = ["when", "record", "action", "who", "changes"]
    list_display_links = None
    list_filter = [
        TrackedModelFilter,
        ActorFilter,
        StaffMemberFilter,
        ("pgh_created_at", admin.DateFieldListFilter),
        ActionFilter,
    ]
    ordering = ["-pgh_created_at", "-pgh_slug"]
    list_per_page = 50

    def get_queryset(self, request):
        return self.model.objects.only(*LIST_COLUMNS, *LIST_CONTEXT)

    def get_changelist(self, request, **kwargs):
        return AuditEventChangeList

    @admin.display(description="When (UTC)", ordering="pgh_created_at")
    def when(self, event):
        return moment_label(event.pgh_created_at)

    @admin.display(description="Record")
    def record(self, event):
        model = apps.get_model(event.pgh_obj_model)
        label = f"{capfirst(model._meta.verbose_name)} {event.pgh_obj_id}"
        try:
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_history", args=[event.pgh_obj_id]
            )
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="What", ordering="pgh_label")
    def action(self, event):
        return audit.ACTIONS.get(event.pgh_label, event.pgh_label)

    @admin.display(description="Who")
    def who(self, event):
        if event.user_id:
            return format_html('<a href="?user={}">{}</a>', event.user_id, event.actor)
        return event.actor

    @admin.display(description="Changes")
    def changes(self, event):
        if event.pgh_label != "update":
            return ""
        model = apps.get_model(event.pgh_obj_model)
        changes = audit.diff_in_words(model, event.diff, event.data)
        return format_html_join(
            "",
            "<div>{}: {} → {}</div>",
            ((capfirst(change.field), change.old, change.new) for change in changes),
        )
