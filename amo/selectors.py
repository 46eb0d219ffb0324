"""Platform reads shared by every app: a person's notifications, their second factor."""

from __future__ import annotations

from amo.models import Notification, User


def recent_notifications(*, user: User, limit: int = 10) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user)[:limit])


def user_has_totp(*, user: User) -> bool:
    """Whether the person set up an authenticator app (owners and staff must)."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
