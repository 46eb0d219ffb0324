"""The application fee's state, owned by payments: what it is when an application is sent, and how
it moves with the application's status (its amount is fixed with the agreed terms, applicants.terms).
Paying it (payments.services) and refunding it (payments.refunds) set the rest; the application
services only apply what these say."""

from applicants.models import Application
from applicants.terms import application_terms
from applicants.workflow import FINAL

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
