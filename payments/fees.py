"""The application fee's state, owned by payments: what it is when an application is sent, and how
it moves with the application's status; and what an application that ends does to its payments
still open. Paying it (payments.services) and refunding it (payments.refunds) set the rest; the
application services only apply what these say."""

from functools import partial

from django.db import transaction

from applicants.models import Application
from applicants.workflow import FINAL
from payments import tasks
from payments.models import Payment
from rotations.models import Rotation

Fee = Application.FeeStatus
S = Application.Status


def application_fee_on_sending(rotation: Rotation, *, waitlisted: bool = False) -> dict:
    """The fee fields of an application sent to `rotation` (submitted, booked, or waitlisted): due at
    once (charged at submission), not due until a seat is offered for a waitlist, or waived when
    the rotation has none."""
    status = Fee.WAIVED if not rotation.application_fee_cents else Fee.NOT_DUE if waitlisted else Fee.DUE
    return {
        "application_fee_cents": rotation.application_fee_cents,
        "currency": rotation.currency,
        "application_fee_status": status,
    }


def application_fee_on_move(application: Application, to: str) -> dict:
    """How the fee moves with the status: an offer makes due a fee that waited for a seat; an
    application that ends owes nothing it never paid."""
    if to == S.OFFERED and application.application_fee_status == Fee.NOT_DUE:
        return {"application_fee_status": Fee.DUE}
    if to in FINAL and application.application_fee_status in (Fee.DUE, Fee.NOT_DUE):
        return {"application_fee_status": Fee.WAIVED}
    return {}


def open_payments_on_move(application_id: int, to: str) -> None:
    """An application that ends owes nothing more: once its move commits, its payments still open
    are cancelled at Stripe (payments.services.payments_open_cancel), so none can take money after.
    Inside the move's transaction; a broker that is down leaves it to reconciliation."""
    if (
        to in FINAL
        and Payment.objects.filter(application_id=application_id, status__in=Payment.OPEN).exists()
    ):
        transaction.on_commit(partial(tasks.payments_open_cancel.delay, application_id), robust=True)
