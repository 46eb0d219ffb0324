"""The application fee's state, owned by payments: what it is when an application is sent, and how
it moves with the application's status (its amount is fixed with the agreed terms, applicants.terms);
and what an application that ends does to its payments still open. Paying it (payments.services)
and refunding it (payments.refunds) set the rest; the application services only apply what these
say."""

from amo.transactions import enqueue_on_commit
from applicants.models import Application
from applicants.terms import application_terms
from applicants.workflow import FINAL
from payments import tasks
from payments.models import Payment

Fee = Application.FeeStatus
S = Application.Status


def application_fee_on_sending(application: Application, *, waitlisted: bool = False) -> dict:
    """The fee status of `application` as it is sent (submitted, booked, or waitlisted), its terms
    fixed (applicants.terms): due at once (charged at submission), not due until a seat is offered
    for a waitlist, or waived when its agreed application fee is nothing."""
    fee_cents = application_terms(application).application_fee_cents
    status = Fee.WAIVED if not fee_cents else Fee.NOT_DUE if waitlisted else Fee.DUE
    return {"application_fee_status": status}


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
        enqueue_on_commit(tasks.payments_open_cancel, application_id)
