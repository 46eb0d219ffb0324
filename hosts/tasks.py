"""Celery entry points of the hosts app."""

from celery import shared_task

from amo.tasks import EMAIL_TASK_OPTIONS
from hosts import services


@shared_task(**EMAIL_TASK_OPTIONS)
def email_invitation(invitation_id: int) -> bool:
    return services.invitation_email(invitation_id=invitation_id)


@shared_task(acks_late=True, ignore_result=True, time_limit=55, soft_time_limit=50)
def invitations_relay() -> int:
    """Every minute (beat): email the live invitations whose own task never did (amo.services.emails_relay).
    Idempotent: an invitation is emailed once, whoever sends it."""
    return services.invitations_relay()
