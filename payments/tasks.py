"""Celery entry points of the payments app: thin, by id, idempotent."""

from celery import shared_task

# A call to Stripe that failed is tried again with backoff; what still fails, reconciliation repairs.
RETRIED_WITH_BACKOFF = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "time_limit": 120,
    "soft_time_limit": 100,
}


@shared_task(**RETRIED_WITH_BACKOFF)
def stripe_event_process(event_id: str) -> None:
    """Process one stored Stripe event (payments.services.stripe_event_process); a failure retries
    with backoff, and the daily reconciliation picks up whatever is still unprocessed."""
    from payments.services import stripe_event_process as process

    process(event_id=event_id)


@shared_task(**RETRIED_WITH_BACKOFF)
def payments_open_cancel(application_id: int) -> None:
    """Cancel at Stripe the application's open payments that nothing is due for any more
    (payments.services.payments_open_cancel); reconciliation repeats it for whatever is left."""
    from payments.services import payments_open_cancel as cancel

    cancel(application_id=application_id)


class RefundPending(Exception):
    """Stripe did not take the refund yet (unreachable, or refused for now): retried with backoff."""


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(RefundPending,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=6,
    time_limit=120,
    soft_time_limit=100,
)
def refund_send(refund_id: int) -> None:
    """Send one refund written by a cancellation, an expiry, a resale or a date change to Stripe
    (payments.services.refund_send, idempotent); still pending, it retries for a few hours, and
    the daily reconciliation sends whatever is left."""
    from payments.services import refund_send as send

    if send(refund_id=refund_id).status == "pending":
        raise RefundPending(f"Refund {refund_id} is still pending.")


@shared_task(acks_late=True, ignore_result=True, time_limit=1800, soft_time_limit=1700)
def reconcile() -> dict:
    """Daily (beat): re-read open payments and pending refunds from Stripe, process stored events."""
    from payments.services import payments_reconcile

    return payments_reconcile()


@shared_task(acks_late=True, ignore_result=True, time_limit=1800, soft_time_limit=1700)
def balances_charge() -> dict:
    """Daily (beat): charge the balances due to the saved cards, once; send the pay link when that
    fails; cancel the bookings still unpaid 7 days later."""
    from payments.services import balances_due_charge

    return balances_due_charge()


@shared_task(acks_late=True, ignore_result=True, time_limit=300, soft_time_limit=240)
def balance_charge(application_id: int) -> None:
    """Charge what a booking owes now to its saved card, once per amount due (a date change to a
    dearer block); the daily balances task charges whatever this one did not."""
    from payments.services import balance_charge as charge

    charge(application_id=application_id)
