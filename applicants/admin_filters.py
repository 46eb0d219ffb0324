"""The placement list's own filters (ApplicationAdmin): the month a placement starts and its advisor.
Ordinary list filters, so whatever reads the list's filtering (its CSV export) filters alike."""

import re
from datetime import date, timedelta

from django.contrib import admin

from applicants import selectors


class StartMonthFilter(admin.SimpleListFilter):
    """The month the application's block starts, among the months that have one."""

    title = "start month"
    parameter_name = "start_month"

    def lookups(self, request, model_admin):
        return [(f"{month:%Y-%m}", f"{month:%B %Y}") for month in selectors.placement_start_months()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        match = re.fullmatch(r"(\d{4})-(\d{2})", self.value())
        try:
            first = date(int(match[1]), int(match[2]), 1) if match else None
        except ValueError:
            first = None
        if first is None:
            return queryset.none()
        after = (first + timedelta(days=31)).replace(day=1)
        # A range rather than __month: the block's start_date index answers it.
        return queryset.filter(block__start_date__gte=first, block__start_date__lt=after)


class AdvisorFilter(admin.SimpleListFilter):
    """Which staff member advises the booking, or none yet."""

    title = "advisor"
    parameter_name = "advisor"
    NONE = "none"

    def lookups(self, request, model_admin):
        advisors = [
            (str(user.pk), user.get_full_name() or user.email) for user in selectors.placement_advisors()
        ]
        return [*advisors, (self.NONE, "No advisor")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() == self.NONE:
            return queryset.filter(advisor__isnull=True)
        if not self.value().isdigit():
            return queryset.none()
        return queryset.filter(advisor_id=int(self.value()))
