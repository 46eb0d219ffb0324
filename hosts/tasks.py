"""Celery entry points of the hosts app."""

from celery import shared_task

from amo.tasks import EMAIL_TASK_OPTIONS
from hosts import services


@shared_task(**EMAIL_TASK_OPTIONS)
def email_invitation(invitation_id: int) -> bool:
    return services.invitation_email(invitation_id=invitation_id)
