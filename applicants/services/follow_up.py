"""What follows from a change of an application or of an applicant's documents, planned again by
every service that makes one, inside its transaction: the reminders (applicants.reminders) and the
enrollment letter (applicants.services.letters)."""

from __future__ import annotations

from applicants.models import Applicant, Application
from applicants.reminders import (
    applicant_reminders_cancel,
    application_reminders_plan,
    document_reminders_plan,
)
from applicants.services.letters import enrollment_letter_follow


def application_follow_up(application: Application | int, *, reason: str | None = None) -> None:
    """Plan again the reminders about `application` and its applicant's documents, and make its
    enrollment letter agree with the booking (issued on confirming, replaced when it moves, no
    longer valid when it ends). What is no longer wanted is cancelled with `reason`, by default
    where the application now stands ("This booking is confirmed.")."""
    enrollment_letter_follow(application)
    application_reminders_plan(application, reason=reason)


def applicant_follow_up(applicant: Applicant | int, *, reason: str) -> None:
    """Plan again the expiry reminders of the applicant's documents after one was uploaded,
    reviewed or deleted; those no longer wanted are cancelled with `reason`."""
    document_reminders_plan(applicant, reason=reason)


def applicant_removed(applicant: Applicant) -> None:
    """The applicant's profile, drafts and documents are being deleted: nothing is left to remind of."""
    applicant_reminders_cancel(applicant, reason="The profile was deleted.")
