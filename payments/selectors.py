"""Reads of money: what an application owes now, and its payments."""

from django.db.models import Prefetch, QuerySet

from applicants.models import Application
from payments.models import Payment, Refund

P = Payment.Purpose
S = Application.Status


def _paid(application: Application) -> dict[str, int]:
    """The amount of each purpose's succeeded payment (a purpose succeeds at most once)."""
    return dict(
        Payment.objects.filter(application=application, status=Payment.Status.SUCCEEDED).values_list(
            "purpose", "amount_cents"
        )
    )


def amount_due(application: Application, purpose: str) -> int:
    """What `application` owes for `purpose` now, in its currency's cents; 0 when nothing is due.

    The application fee while its status is due; the deposit or the whole program fee while the
    application awaits payment and neither was paid; the balance (program fee minus the deposit
    paid) once the booking is confirmed and until the balance is paid.
    """
    rotation = application.block.rotation
    if purpose == P.APPLICATION_FEE:
        due = application.application_fee_status == Application.FeeStatus.DUE
        return application.application_fee_cents if due else 0
    paid = _paid(application)
    if purpose in (P.DEPOSIT, P.FULL):
        if application.status != S.AWAITING_PAYMENT or P.DEPOSIT in paid or P.FULL in paid:
            return 0
        return rotation.deposit_cents if purpose == P.DEPOSIT else rotation.program_fee_cents
    if purpose == P.BALANCE:
        if application.status not in (S.CONFIRMED, S.IN_PROGRESS) or P.BALANCE in paid or P.FULL in paid:
            return 0
        return max(rotation.program_fee_cents - paid.get(P.DEPOSIT, 0), 0)
    return 0


def application_payments(*, application: Application) -> QuerySet[Payment]:
    """The application's payments, newest first, with their refunds (two queries for any number)."""
    return Payment.objects.filter(application=application).prefetch_related(
        Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id"))
    )
