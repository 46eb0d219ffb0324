"""Staff admin of the catalog. A rotation's status, fees, currency and organization are read-only:
staff publish or unpublish it with the actions (rotations.services.rotation_publish and
rotation_unpublish), and the rest of its form is saved through rotations.services.rotation_update.
Blocks are read-only in the rotation's form; a block's dates and capacity change on its own page
through rotations.services.block_update, under the block's lock, as the host's page does. Seats are
changed only by rotations.services, never here."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html

from amo.admin_site import MoneyAdminMixin, ReadOnlyAdmin, admin_form_page, each_through_service
from amo.audit_admin import AuditHistoryMixin
from amo.errors import DomainError
from amo.forms import add_domain_error
from amo.text import pluralize
from hosts.admin import ReadOnlyInline
from hosts.forms import BlockForm
from rotations import services
from rotations.models import Block, FirstDayInformation, Rotation, SearchSynonym, SeatHold, Specialty


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    # No list filter: a specialty is a name and its slug.
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


def block_change_link(block: Block) -> str:
    """The block's own page under its rotation, where its dates and capacity change through the service."""
    url = reverse("admin:rotations_rotation_block_change", args=[block.rotation_id, block.pk])
    return format_html('<a href="{}">Change</a>', url)


class BlockInline(ReadOnlyInline, admin.TabularInline):
    """The rotation's blocks as they stand; each opens its own page to change dates or capacity."""

    model = Block
    fields = ["start_date", "weeks", "capacity", "seats_taken", "apply_by", "change"]
    readonly_fields = fields

    @admin.display(description="Dates and capacity")
    def change(self, block: Block) -> str:
        return block_change_link(block)


# What only the services change: the state machine, the money, and whose rotation it is.
ROTATION_SERVICE_FIELDS = [
    "organization",
    "preceptor",
    "slug",
    "status",
    "published_at",
    "currency",
    "application_fee_cents",
    "program_fee_cents",
    "deposit_cents",
]


@admin.register(Rotation)
class RotationAdmin(MoneyAdminMixin, AuditHistoryMixin, admin.ModelAdmin):
    audit_related = [(Block, "rotation")]
    list_display = ["title", "organization", "specialty", "rotation_type", "status", "total_price_cents"]
    list_filter = [
        "status",
        "rotation_type",
        "setting",
        "offers_lor",
        "specialty",
        "organization__state",
        ("organization", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "slug", "organization__name"]
    list_select_related = ["organization", "specialty"]
    autocomplete_fields = ["specialty"]
    readonly_fields = [
        *ROTATION_SERVICE_FIELDS,
        "total_price_cents",
        "next_start_date",
        "open_seats_until",
        "created_at",
        "updated_at",
    ]
    inlines = [BlockInline]
    actions = ["publish", "unpublish"]

    def get_urls(self):
        block = self.admin_site.admin_view(self.block_change_view)
        return [
            path("<int:pk>/blocks/<int:block_pk>/", block, name="rotations_rotation_block_change"),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False  # hosts make rotations (rotations.services.rotation_create), as drafts

    def has_delete_permission(self, request, obj=None):
        return False  # applications and payments hang on its blocks; archiving is the host's

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refusal of rotation_update (an archived rotation, students or graduates, neither)
        shows as an error and, the admin's transaction rolled back, changes nothing."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        changed = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.ROTATION_FIELDS
        }
        if changed:
            services.rotation_update(rotation=obj, **changed)

    def has_publish_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("rotations.change_rotation")

    def _each(self, request, queryset, change, done: str) -> None:
        """`change` each selected rotation through its service; a refusal is reported by name and
        stops only that one."""
        rotations = queryset.select_related("organization")
        each_through_service(
            self, request, rotations, change, done=lambda changed: f"{pluralize(changed, 'rotation')} {done}"
        )

    @admin.action(description="Publish the selected rotations", permissions=["publish"])
    def publish(self, request, queryset):
        self._each(
            request, queryset, lambda rotation: services.rotation_publish(rotation=rotation), "published."
        )

    @admin.action(description="Unpublish the selected rotations (back to draft)", permissions=["publish"])
    def unpublish(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda rotation: services.rotation_unpublish(rotation=rotation),
            "taken off the catalog; applications already made stand.",
        )

    def block_change_view(self, request, pk: int, block_pk: int):
        """A block's dates and capacity, through rotations.services.block_update: under the block's
        lock, capacity never below the seats taken, dates kept while anyone holds an offer or a seat,
        and the applicants waiting for a decision told of new dates. A refusal shows on the form and
        writes nothing."""
        if not self.has_publish_permission(request):
            raise PermissionDenied
        block = get_object_or_404(
            Block.objects.select_related("rotation__organization"), pk=block_pk, rotation_id=pk
        )
        form = BlockForm(request.POST or None, instance=block)
        if request.method == "POST" and form.is_valid():
            try:
                services.block_update(block=block, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, f"Block saved: {block}.")
                return redirect("admin:rotations_rotation_change", pk)
        return admin_form_page(
            self,
            request,
            "admin/rotations/rotation/block_change.html",
            title=f"Dates and capacity of {block}",
            rotation_block=block,
            form=form,
        )


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    """The catalog search reads the table in each query: an edit applies to the next search. No list
    filter: a synonym is two words."""

    list_display = ["term", "expands_to"]
    search_fields = ["term", "expands_to"]


@admin.register(SeatHold)
class SeatHoldAdmin(ReadOnlyAdmin):
    """Every hold, the released ones kept as history: read-only, as rotations.services writes them."""

    list_display = [
        "__str__",
        "application",
        "kind",
        "created_at",
        "expires_at",
        "released_at",
        "release_reason",
    ]
    list_filter = ["kind", ("released_at", admin.EmptyFieldListFilter), "release_reason"]
    search_fields = ["application__applicant__legal_name", "application__applicant__user__email"]
    list_select_related = ["block__rotation", "application__applicant__user", "application__block__rotation"]
    raw_id_fields = ["block", "application"]
    date_hierarchy = "created_at"


@admin.register(Block)
class BlockAdmin(AuditHistoryMixin, ReadOnlyAdmin):
    """Every block of every rotation. A block's dates and capacity change on its own page under its
    rotation (RotationAdmin.block_change_view, through the service, under the block's lock), which
    each row links to; this list has no form of its own."""

    list_display = [
        "__str__",
        "organization",
        "start_date",
        "weeks",
        "capacity",
        "seats_taken",
        "apply_by",
        "change",
    ]
    list_filter = [
        ("start_date", admin.DateFieldListFilter),
        "weeks",
        "rotation__specialty",
        "rotation__status",
        "rotation__organization__state",
        ("rotation__organization", admin.RelatedOnlyFieldListFilter),
    ]
    list_display_links = None  # each row opens its dates and capacity page, not a form of this list's
    search_fields = ["rotation__title", "rotation__organization__name"]
    list_select_related = ["rotation__organization"]
    date_hierarchy = "start_date"

    @admin.display(description="organization", ordering="rotation__organization__name")
    def organization(self, block: Block) -> str:
        return str(block.rotation.organization)

    @admin.display(description="Dates and capacity")
    def change(self, block: Block) -> str:
        return block_change_link(block)


@admin.register(FirstDayInformation)
class FirstDayInformationAdmin(ReadOnlyAdmin):
    """What each rotation tells its applicants for the first day; its host writes it
    (rotations.services.first_day_update)."""

    list_display = ["__str__", "organization", "arrival_time", "ask_for", "updated_at"]
    list_filter = [
        ("arrival_time", admin.EmptyFieldListFilter),
        "rotation__specialty",
        ("rotation__organization", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["rotation__title", "rotation__organization__name", "ask_for"]
    list_select_related = ["rotation__organization"]

    @admin.display(description="organization", ordering="rotation__organization__name")
    def organization(self, first_day: FirstDayInformation) -> str:
        return str(first_day.rotation.organization)
