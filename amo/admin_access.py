"""Staff admin of what is private about applicants and of the records behind the operations
dashboard: evaluations (opened only by staff holding the permission view_evaluation, each opening
logged), the log of those openings, and the reminders (read-only: the sweep sends them)."""

from django.contrib import admin

from amo.admin_site import ReadOnlyAdmin
from amo.models import Reminder, StaffAccess
from amo.services import staff_access_record
from applicants.models import Evaluation


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    """Preceptors' evaluations, as submitted (fixed for good). The list names them; the page that
    shows the ratings and comments opens only for the placement coordinators, and each opening is
    logged (amo.models.StaffAccess)."""

    # What the preceptor answered is read on the page, whose opening is logged: the list names them.
    list_display = ["__str__", "preceptor", "submitted_at"]
    list_filter = [("submitted_at", admin.DateFieldListFilter)]
    search_fields = ["application__applicant__legal_name", "application__applicant__user__email"]
    list_select_related = ["preceptor", "application"]
    readonly_fields = [f.name for f in Evaluation._meta.fields]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # Logged only once the page was shown: a refused or missing one raised above, or redirected.
        evaluation = response.context_data.get("original") if response.status_code == 200 else None
        if evaluation is not None:
            staff_access_record(user=request.user, obj=evaluation, page=request.path)
        return response


@admin.register(StaffAccess)
class StaffAccessAdmin(ReadOnlyAdmin):
    """Who of our staff opened which applicant's document or evaluation, when, from which page."""

    list_display = ["opened_at", "user", "object_type", "object_id", "page"]
    list_filter = ["object_type", ("opened_at", admin.DateFieldListFilter), "user__email"]
    search_fields = ["user__email", "page"]
    list_select_related = ["user", "object_type"]
    date_hierarchy = "opened_at"


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    """Reminders as the sweep plans and sends them; one still unsent well past its time failed."""

    list_display = ["kind", "recipient", "to_address", "due_at", "sent_at", "cancelled_at", "cancel_reason"]
    list_filter = [
        "kind",
        ("sent_at", admin.EmptyFieldListFilter),
        ("cancelled_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["key", "recipient__email", "to_address"]
    list_select_related = ["recipient"]
