"""What follows from a change of an application or of an applicant's documents, planned again by
every service that makes one, inside its transaction: the reminders (applicants.reminders)."""

from __future__ import annotations

from applicants.models import Applicant, Application
from applicants.reminders import application_reminders_plan, document_reminders_plan
from applicants.workflow import STANDING


def application_follow_up(application: Application | int, *, reason: str | None = None) -> None:
    """Plan again the reminders about `application` and its applicant's documents (a booking
    confirmed, cancelled or moved changes which documents must last). What is no longer wanted is
    cancelled with `reason`, by default where the application now stands ("This booking is
    confirmed.")."""
    pk = application if isinstance(application, int) else application.pk
    status, applicant_id = Application.objects.values_list("status", "applicant_id").get(pk=pk)
    reason = reason or f"{STANDING[status]}."
    application_reminders_plan(pk, reason=reason)
    document_reminders_plan(applicant_id, reason=reason)


def applicant_follow_up(applicant: Applicant | int, *, reason: str) -> None:
    """Plan again the expiry reminders of the applicant's documents after one was uploaded,
    reviewed or deleted; those no longer wanted are cancelled with `reason`."""
    document_reminders_plan(applicant, reason=reason)
