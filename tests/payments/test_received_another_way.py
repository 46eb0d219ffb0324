"""Money an applicant paid another way than by card (a bank transfer, cash) is recorded by staff in
the admin through the payments services: a payment with its method and reference, its charge and
commission in the ledger, and the booking confirmed through the booking's own hand-off; the balance
then asks only for what is left, and the daily balance run does not cancel a booking paid so."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import Notification
from applicants.models import Application
from applicants.services import application_cancel, application_expire
from applicants.workflow import ActorRole
from payments.models import LedgerEntry, Payment, Refund
from payments.selectors import amount_due, balance_due_on
from payments.services import (
    balances_due_charge,
    payment_record_received,
    payment_start,
    refund_paid_elsewhere,
    refund_send,
)
from rotations.models import SeatHold
from tests.admin_pages import messages_of
from tests.factories import (
    ApplicationFactory,
    BlockFactory,
    OwnerFactory,
    StaffFactory,
    UserFactory,
    take_seat,
)
from tests.payments.stripe_helpers import pay

pytestmark = pytest.mark.django_db
S = Application.Status
P = Payment.Purpose
K = LedgerEntry.Kind


def record_in_the_admin(client, application: Application, **fields):
    """Staff choose the application's action, then fill in the page it opens."""
    chosen = client.post(
        reverse("admin:applicants_application_changelist"),
        {"action": "record_payment_received", "_selected_action": [application.pk]},
    )
    page = reverse("admin:payments_payment_record_received", args=[application.pk])
    assert (chosen.status_code, chosen["Location"]) == (302, page)
    return client.post(page, fields)


def test_a_deposit_received_by_bank_transfer_is_a_payment_in_the_ledger_and_the_balance_asks_for_the_rest(
    client,
):
    staff = StaffFactory()
    application = ApplicationFactory(status=S.AWAITING_PAYMENT, submitted_at=timezone.now())
    rotation = application.block.rotation
    client.force_login(staff)
    form = client.get(reverse("admin:payments_payment_record_received", args=[application.pk]))
    assert form.status_code == 200 and "$500.00" in form.content.decode()  # the deposit due

    done = record_in_the_admin(
        client, application, purpose=P.DEPOSIT, method="bank_transfer", reference="TRF 2026-0118"
    )

    assert done.status_code == 302
    assert "Deposit of $500.00 received by bank transfer recorded (reference TRF 2026-0118)." in messages_of(
        done
    )
    application.refresh_from_db()
    assert application.status == S.CONFIRMED
    hold = SeatHold.objects.unreleased().get(application=application)
    assert (hold.kind, hold.expires_at) == (SeatHold.Kind.BOOKING, None)
    last = application.transitions.latest("created_at", "id")
    assert (last.actor, last.actor_role) == (staff, "staff")
    payment = Payment.objects.get(application=application)
    assert (payment.purpose, payment.method, payment.reference, payment.status) == (
        P.DEPOSIT,
        Payment.Method.BANK_TRANSFER,
        "TRF 2026-0118",
        Payment.Status.SUCCEEDED,
    )
    assert (payment.amount_cents, payment.payment_intent_id, payment.recorded_by) == (50_000, None, staff)
    assert sorted(LedgerEntry.objects.filter(payment=payment).values_list("kind", "amount_cents")) == [
        (K.CHARGE, 50_000),
        (K.COMMISSION, -7_500),
    ]
    assert (
        amount_due(application, P.BALANCE) == rotation.program_fee_cents - rotation.deposit_cents == 200_000
    )
    receipt = Notification.objects.get(key=f"payment:{payment.pk}:receipt")
    assert "Received by: Bank transfer, reference TRF 2026-0118" in receipt.body

    # The balance's due date: no card was saved, so the pay link asks for the rest, not the whole fee.
    due_on = balance_due_on(application)
    with time_machine.travel(datetime.combine(due_on, datetime.min.time(), tzinfo=UTC), tick=False):
        balances_due_charge()
    unpaid = Payment.objects.get(application=application, purpose=P.BALANCE, off_session=True)
    assert (unpaid.amount_cents, unpaid.status) == (200_000, Payment.Status.FAILED)
    # The applicant pays it by bank transfer too; the run a week later leaves the booking alone.
    with time_machine.travel(datetime.combine(due_on, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)):
        client.force_login(staff)  # a new session: the first one expired in the weeks since
        record_in_the_admin(client, application, purpose=P.BALANCE, method="cash", reference="Receipt 4471")
    assert amount_due(application, P.BALANCE) == 0
    with time_machine.travel(datetime.combine(due_on, datetime.min.time(), tzinfo=UTC) + timedelta(days=8)):
        assert balances_due_charge()["cancelled"] == 0
    application.refresh_from_db()
    assert application.status == S.CONFIRMED
    assert sum(LedgerEntry.objects.filter(kind=K.CHARGE).values_list("amount_cents", flat=True)) == 250_000


def test_the_whole_fee_received_another_way_leaves_no_balance_and_gives_up_the_open_card_attempt(client):
    application = ApplicationFactory(status=S.AWAITING_PAYMENT, submitted_at=timezone.now())
    card = payment_start(application=application, purpose=P.DEPOSIT, actor=application.applicant.user)
    client.force_login(StaffFactory())

    assert (
        record_in_the_admin(
            client, application, purpose=P.FULL, method="other", reference="Wire 9"
        ).status_code
        == 302
    )

    card.refresh_from_db()
    assert card.status == Payment.Status.CANCELED  # its intent is cancelled at Stripe after the commit
    application.refresh_from_db()
    assert application.status == S.CONFIRMED
    assert amount_due(application, P.BALANCE) == 0


def test_a_refused_record_shows_on_the_page_and_writes_nothing(client):
    block = BlockFactory(capacity=1)
    lapsed = ApplicationFactory(
        block=block,
        status=S.AWAITING_PAYMENT,
        submitted_at=timezone.now(),
        seat=timezone.now() + timedelta(hours=1),
    )
    SeatHold.objects.filter(application=lapsed).update(expires_at=timezone.now() - timedelta(minutes=1))
    # The sweep expired the reservation and its seat was booked by another applicant: nothing is due
    # on it any more, so staff cannot record a deposit for it.
    application_expire(application_id=lapsed.pk)
    take_seat(block)
    submitted = ApplicationFactory(block=block, status=S.SUBMITTED, submitted_at=timezone.now())
    client.force_login(StaffFactory())

    late = record_in_the_admin(client, lapsed, purpose=P.DEPOSIT, method="cash", reference="R-1")
    assert late.status_code == 400 and "No deposit is due on this application now." in late.content.decode()
    nothing_due = record_in_the_admin(client, submitted, purpose=P.DEPOSIT, method="cash", reference="R-2")
    assert nothing_due.status_code == 400 and "No deposit is due on this application now." in (
        nothing_due.content.decode()
    )
    no_reference = record_in_the_admin(client, lapsed, purpose=P.DEPOSIT, method="cash", reference=" ")
    assert no_reference.status_code == 400
    assert not Payment.objects.filter(application__in=[lapsed, submitted]).exists()
    assert not LedgerEntry.objects.exists()
    assert Application.objects.get(pk=lapsed.pk).status == S.EXPIRED

    two = client.post(
        reverse("admin:applicants_application_changelist"),
        {"action": "record_payment_received", "_selected_action": [lapsed.pk, submitted.pk]},
        follow=True,
    )
    assert "Choose exactly one application." in messages_of(two)


def test_only_staff_record_money_received_and_never_as_a_card_payment():
    application = ApplicationFactory(status=S.AWAITING_PAYMENT, submitted_at=timezone.now())
    refusals = [
        (UserFactory(), {"method": "cash", "reference": "R"}, 403),
        (StaffFactory(), {"method": "card", "reference": "R"}, None),
        (StaffFactory(), {"method": "cash", "reference": ""}, None),
    ]
    for actor, fields, status in refusals:
        with pytest.raises(DomainError) as refusal:
            payment_record_received(application=application, purpose=P.DEPOSIT, actor=actor, **fields)
        if status:
            assert refusal.value.status == status
    assert not Payment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_refund_of_money_received_another_way_is_left_to_staff_to_pay_back_the_same_way():
    application = ApplicationFactory(status=S.AWAITING_PAYMENT, submitted_at=timezone.now())
    staff = StaffFactory()
    received = payment_record_received(
        application=application, purpose=P.FULL, method="bank_transfer", reference="TRF 77", actor=staff
    )
    host = OwnerFactory(organization=application.block.rotation.organization).user
    application_cancel(application=application, actor=host, role=ActorRole.HOST, reason="The unit closed.")

    told = Notification.objects.get(
        recipient=application.applicant.user, key__startswith=f"application:{application.pk}:cancelled:"
    )
    assert "is refunded the way you paid" in told.body and "card" not in told.body
    refund = Refund.objects.get(payment=received)
    refund_send(refund_id=refund.pk)  # as the worker does after the cancellation commits
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert (
        refund.failure_message == "Received by bank transfer, not through Stripe: pay it back the same way."
    )
    refund_paid_elsewhere(refund=refund, method="bank transfer", reference="TRF 78", actor=staff)
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.SUCCEEDED
    assert LedgerEntry.objects.filter(refund=refund, kind=K.REFUND).get().amount_cents == -refund.amount_cents


@pytest.mark.django_db(transaction=True)
def test_a_card_deposit_paid_while_staff_record_the_same_deposit_is_recorded_and_refunded_as_paid_twice():
    """The applicant paid the deposit by card at Stripe (no event yet) while staff recorded it as
    received by bank transfer: the card attempt, given up, is read back from Stripe, recorded as the
    money it is, and refunded in full as paid twice; the booking is confirmed once."""
    application = ApplicationFactory(status=S.AWAITING_PAYMENT, submitted_at=timezone.now())
    card = payment_start(application=application, purpose=P.DEPOSIT, actor=application.applicant.user)
    assert pay(card) == "succeeded"

    payment_record_received(
        application=application,
        purpose=P.DEPOSIT,
        method="bank_transfer",
        reference="TRF 9",
        actor=StaffFactory(),
    )

    card.refresh_from_db()
    assert (card.status, card.refunded_cents) == (Payment.Status.SUCCEEDED, card.amount_cents)
    assert Refund.objects.get(payment=card).reason == Refund.Reason.DUPLICATE
    assert Application.objects.get(pk=application.pk).status == S.CONFIRMED
    assert Payment.objects.filter(application=application, purpose=P.DEPOSIT).paid().count() == 1
