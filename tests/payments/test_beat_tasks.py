"""The payments' daily tasks as beat runs them: called on committed data, outside any transaction of
the test's, against the real localstripe."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from applicants.models import Application
from payments.models import Payment
from payments.services import payment_start
from payments.tasks import balances_charge, reconcile
from tests.factories import ApplicationFactory, BlockFactory, RotationFactory
from tests.payments.stripe_helpers import booked_with_deposit, pay

pytestmark = pytest.mark.django_db(transaction=True)
S = Application.Status
P = Payment.Purpose


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def test_the_daily_reconciliation_confirms_a_payment_whose_webhook_was_lost_on_committed_data():
    application = ApplicationFactory(status=S.AWAITING_PAYMENT)
    payment = payment_start(application=application, purpose=P.DEPOSIT, actor=application.applicant.user)
    pay(payment)  # Stripe took the money; its webhook never arrived
    assert reconcile()["payments"] >= 1
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCEEDED
    assert status_of(application) == S.CONFIRMED


def test_the_daily_balance_charge_charges_a_balance_due_once_on_committed_data():
    block = BlockFactory(
        rotation=RotationFactory(balance_due_days_before_start=45),
        start_date=date.today() + timedelta(days=55),
    )
    application, _ = booked_with_deposit(block)
    balances_charge()
    assert not Payment.objects.filter(application=application, purpose=P.BALANCE).exists()  # not due yet
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        balances_charge()
        balances_charge()
    balance = Payment.objects.get(application=application, purpose=P.BALANCE)
    assert (balance.status, balance.off_session) == (Payment.Status.SUCCEEDED, True)
    assert status_of(application) == S.CONFIRMED
