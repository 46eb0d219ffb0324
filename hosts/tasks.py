"""Celery entry points of the hosts app."""

from smtplib import SMTPException

from celery import shared_task

from hosts import services


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def email_invitation(invitation_id: int) -> bool:
    return services.invitation_email(invitation_id=invitation_id)
