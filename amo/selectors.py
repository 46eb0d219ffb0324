"""Platform reads shared by every app: a person's notifications and reminders to come, their second
factor."""

from __future__ import annotations

from django.db.models import QuerySet

from amo.models import Notification, Reminder, User


def recent_notifications(*, user: User, limit: int = 10) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user)[:limit])


def reminders_upcoming(*, user: User) -> QuerySet[Reminder]:
    """The person's reminders still to come (neither sent nor cancelled), soonest first; what each is
    about is named by its content type, loaded with it."""
    return (
        Reminder.objects.filter(recipient=user, sent_at__isnull=True, cancelled_at__isnull=True)
        .select_related("about_type")
        .order_by("due_at", "id")
    )


def user_has_totp(*, user: User) -> bool:
    """Whether the person set up an authenticator app (owners and staff must)."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
