"""Staff admin of the catalog. Seats are changed only by rotations.services, never here."""

from django.contrib import admin

from amo.admin_site import ReadOnlyAdmin
from rotations.models import Block, Rotation, SearchSynonym, SeatHold, Specialty


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class BlockInline(admin.TabularInline):
    model = Block
    extra = 0
    fields = ["start_date", "weeks", "capacity", "seats_taken", "apply_by"]
    readonly_fields = ["seats_taken"]


@admin.register(Rotation)
class RotationAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "specialty", "rotation_type", "status", "total_price_cents"]
    list_filter = ["status", "rotation_type", "setting", "offers_lor", "specialty"]
    search_fields = ["title", "slug", "organization__name"]
    list_select_related = ["organization", "specialty"]
    raw_id_fields = ["organization", "preceptor"]
    readonly_fields = ["total_price_cents", "next_start_date", "open_seats_until", "created_at", "updated_at"]
    inlines = [BlockInline]


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    """The catalog search reads the table in each query: an edit applies to the next search."""

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
