"""The application fee's state, owned by payments: what it is when an application is sent, and how
it moves with the application's status. Paying it (payments.services) and refunding it
(payments.refunds) set the rest; the application services only apply what these say."""

from applicants.models import Application
from applicants.workflow import FINAL
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
