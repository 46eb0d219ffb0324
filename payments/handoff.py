"""The one way payments tell the booking code what Stripe said.

Payments never import the applicants' services and never write an application: they report a
payment Stripe took, a balance the saved card did not pay, or one left unpaid past its deadline,
to the receiver the applicants app registers in its AppConfig.ready, and act on its answer (a
payment the booking refuses is given back). As in pretix, where a payment provider reports and
the order decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from payments.models import Payment


@dataclass(frozen=True)
class BookingReceiver:
    # Inside the payment's transaction, its row locked: returns "" when the booking keeps the money,
    # else why it cannot (plain English), and payments give it all back.
    payment_received: Callable[[Payment], str]
    # The saved card did not pay a booking's balance, and a deadline to pay it through the link was
    # set (inside the payment's transaction): the booking code reminds the applicant before it.
    balance_deadline_set: Callable[[int], None]
    # A booking whose balance is unpaid past its deadline: the booking code cancels it, as the system.
    balance_unpaid: Callable[[int, str], None]


_receiver: BookingReceiver | None = None


def booking_receiver_register(receiver: BookingReceiver) -> None:
    global _receiver
    _receiver = receiver


def booking_receiver() -> BookingReceiver:
    if _receiver is None:
        raise ImproperlyConfigured("No booking receiver is registered: is the applicants app installed?")
    return _receiver
