"""Refunds against the real localstripe: a cancellation refunds the policy's tier of the day from the
program fee paid (shown first, the same amount), a host's everything, an undecided application its
fee, a seat re-sold from the waitlist the rest of the program fee (once); staff refund any amount up
to what is left. Refunds are written with the cancellation and sent by the worker after commit; a
Stripe outage leaves them pending for reconciliation. Time is moved, not slept."""

import functools
from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from amo.models import Notification
from applicants.models import Application, ApplicationTransition
from applicants.services import application_accept, application_cancel, application_offer, holds_sweep
from applicants.workflow import ActorRole
from payments import tasks
from payments.models import LedgerEntry, Payment, Refund
from payments.selectors import organization_balance
from payments.services import payment_start, payment_sync, payments_reconcile, refund_create
from rotations.models import Rotation
from tests.factories import ApplicationFactory, BlockFactory, MembershipFactory, StaffFactory
from tests.hosts.conftest import login
from tests.payments.stripe_helpers import confirmed_booking, paid, pay
from tests.waiting import wait_until

S = Application.Status
P = Payment.Purpose
R = Refund.Reason
Policy = Rotation.CancellationPolicy


def enqueued_refunds(callbacks) -> list[int]:
    """The refunds a committed transaction handed to the worker: each callback of
    enqueue_on_commit(tasks.refund_send, refund_id) carries the task and its arguments."""
    return [
        callback.args[1][0]
        for callback in callbacks
        if isinstance(callback, functools.partial) and callback.args[0] is tasks.refund_send
    ]


def worker_sends(refund_ids: list[int]) -> None:
    """What the worker does with them: the task's own code, run here."""
    for refund_id in refund_ids:
        tasks.refund_send(refund_id)


def refunds_of(application: Application, reason: str | None = None) -> list[tuple[str, int, str]]:
    """(payment purpose, amount, status) of the application's refunds, oldest first."""
    refunds = Refund.objects.filter(payment__application=application).order_by("created_at", "pk")
    if reason:
        refunds = refunds.filter(reason=reason)
    return [(r.payment.purpose, r.amount_cents, r.status) for r in refunds.select_related("payment")]


def refunded(application: Application) -> int:
    return Payment.objects.filter(application=application).aggregate(s=Sum("refunded_cents"))["s"] or 0


def ledger(application: Application) -> dict[str, int]:
    entries = LedgerEntry.objects.filter(payment__application=application).values_list("kind", "amount_cents")
    totals = dict.fromkeys(LedgerEntry.Kind.values, 0)
    for kind, amount in entries:
        totals[kind] += amount
    return totals


def cancel_as_applicant(application: Application, capture) -> list[int]:
    with capture() as callbacks:
        application_cancel(
            application=application, actor=application.applicant.user, role=ActorRole.APPLICANT
        )
    return enqueued_refunds(callbacks)


# --- The policy's tier, shown first, written with the cancellation ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("policy", "days_before_start", "percent"),
    [
        (Policy.MODERATE, 75, 100),
        (Policy.MODERATE, 45, 50),
        (Policy.MODERATE, 10, 0),
        (Policy.FLEXIBLE, 20, 50),
        (Policy.STRICT, 100, 50),
        (Policy.STRICT, 60, 0),
    ],
)
def test_cancelling_refunds_the_policy_tier_of_the_day_of_the_deposit_paid_as_the_preview_showed(
    policy, days_before_start, percent, django_capture_on_commit_callbacks
):
    application = confirmed_booking(
        days_before_start=days_before_start, rotation__cancellation_policy=policy, application_fee=True
    )
    api = APIClient()
    api.force_authenticate(application.applicant.user)
    url = f"/api/v1/applications/{application.pk}/cancel/"
    preview = api.post(f"{url}?preview=1").json()
    expected = 50_000 * percent // 100
    assert (preview["refund_percent"], preview["program_fee_paid_cents"]) == (percent, 50_000)
    assert (preview["program_fee_refund_cents"], preview["refund_total_cents"]) == (expected, expected)
    assert (preview["application_fee_paid_cents"], preview["application_fee_refund_cents"]) == (10_000, 0)
    assert not Refund.objects.exists() and application.refresh_from_db() is None
    assert application.status == S.CONFIRMED

    with django_capture_on_commit_callbacks() as callbacks:
        assert api.post(url, {"reason": ""}, format="json").status_code == 200
    written = list(Refund.objects.filter(payment__application=application))
    assert sorted(enqueued_refunds(callbacks)) == [refund.pk for refund in written]
    assert refunds_of(application) == ([("deposit", expected, "pending")] if expected else [])
    worker_sends(enqueued_refunds(callbacks))
    assert refunds_of(application) == ([("deposit", expected, "succeeded")] if expected else [])
    assert all(refund.reason == R.CANCELLATION for refund in written)
    application.refresh_from_db()
    assert application.application_fee_status == Application.FeeStatus.PAID  # not refunded
    told = Notification.objects.get(key__startswith=f"application:{application.pk}:cancelled:")
    assert "The application fee ($100.00) is not refunded." in told.body
    # The host keeps what was not refunded, less the commission on it: 15% of the $600 charged
    # (fee and deposit), given back in proportion to the refund.
    totals = ledger(application)
    assert totals["charge"] == 60_000 and totals["refund"] == -expected
    assert totals["commission"] == -9_000 and totals["commission_reversal"] == expected * 15 // 100
    assert sum(totals.values()) == (60_000 - expected) * 85 // 100


@pytest.mark.django_db
def test_the_cancel_page_shows_the_real_refund_from_the_payments_before_the_applicant_confirms(client):
    application = confirmed_booking(days_before_start=45, application_fee=True, balance=True)
    client.force_login(application.applicant.user)
    url = reverse("applicants:application_cancel", args=[application.pk])
    page = client.get(url).content.decode()
    assert 'Program fee paid so far</dt><dd class="col-4 text-end">$2,500.00' in page
    assert 'from your balance</dt><dd class="col-4 text-end">$1,250.00' in page
    assert "Application fee ($100.00 paid): not refunded" in page
    assert 'id="refund-total">$1,250.00' in page
    assert not Refund.objects.exists()

    assert client.post(url, {"reason": "Plans changed."}).status_code == 302
    assert refunds_of(application) == [("balance", 125_000, "pending")]
    detail = client.get(reverse("applicants:application_detail", args=[application.pk])).content.decode()
    assert "Refunds" in detail and "$1,250.00" in detail and "Pending" in detail


@pytest.mark.django_db
def test_a_refund_is_split_newest_first_and_never_above_what_is_left_of_each_payment(
    django_capture_on_commit_callbacks,
):
    application = confirmed_booking(days_before_start=75, balance=True)  # 100% by the moderate policy
    balance = Payment.objects.get(application=application, purpose=P.BALANCE)
    refund_create(payment=balance, amount_cents=1_000, reason=R.STAFF)  # given back earlier by staff
    with django_capture_on_commit_callbacks() as callbacks:
        application_cancel(
            application=application, actor=application.applicant.user, role=ActorRole.APPLICANT
        )
    worker_sends(enqueued_refunds(callbacks))
    assert refunds_of(application, R.CANCELLATION) == [
        ("balance", 199_000, "succeeded"),
        ("deposit", 50_000, "succeeded"),
    ]
    for payment in Payment.objects.filter(application=application):
        assert payment.refunded_cents == payment.amount_cents
    assert sum(ledger(application).values()) == 0  # everything back, the commission too


@pytest.mark.django_db
def test_the_database_refuses_a_second_refund_for_the_same_cancellation():
    application = confirmed_booking(days_before_start=75)
    application_cancel(application=application, actor=application.applicant.user, role=ActorRole.APPLICANT)
    deposit = Payment.objects.get(application=application, purpose=P.DEPOSIT)
    Payment.objects.filter(pk=deposit.pk).update(refunded_cents=0)  # as if the first were forgotten
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(payment=deposit, amount_cents=1, reason=R.CANCELLATION)


# --- Host and system cancellations ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_host_cancelling_refunds_everything_paid_the_application_fee_included(
    django_capture_on_commit_callbacks,
):
    application = confirmed_booking(days_before_start=10, application_fee=True)  # the policy gives 0%
    coordinator = MembershipFactory(organization=application.block.rotation.organization).user
    with django_capture_on_commit_callbacks() as callbacks:
        application_cancel(
            application=application, actor=coordinator, role=ActorRole.HOST, reason="The preceptor is away."
        )
    worker_sends(enqueued_refunds(callbacks))
    assert sorted(refunds_of(application, R.HOST_CANCELLATION)) == [
        ("application_fee", 10_000, "succeeded"),
        ("deposit", 50_000, "succeeded"),
    ]
    application.refresh_from_db()
    assert application.application_fee_status == Application.FeeStatus.REFUNDED
    told = Notification.objects.get(key__startswith=f"application:{application.pk}:cancelled:")
    assert "$600.00 is refunded to your card: everything you paid, the application fee included." in told.body
    assert sum(ledger(application).values()) == 0
    assert organization_balance(organization=application.block.rotation.organization) == 0


@pytest.mark.django_db
def test_the_hosts_application_page_shows_what_was_paid_and_refunded(
    client, django_capture_on_commit_callbacks
):
    application = confirmed_booking(days_before_start=45, application_fee=True)
    membership = MembershipFactory(organization=application.block.rotation.organization)
    with django_capture_on_commit_callbacks() as callbacks:
        application_cancel(
            application=application, actor=application.applicant.user, role=ActorRole.APPLICANT
        )
    worker_sends(enqueued_refunds(callbacks))
    login(client, membership)

    page = client.get(reverse("hosts:application_detail", args=[application.pk])).content.decode()

    paid = page[page.index('id="paid-heading"') : page.index('id="refunds-heading"')]
    assert "Application fee" in paid and "$100.00" in paid
    assert "Deposit" in paid and "$500.00" in paid and "$250.00" in paid  # refunded of the deposit
    refunds = page[page.index('id="refunds-heading"') :]
    assert "$250.00" in refunds and "Succeeded" in refunds
    other = MembershipFactory()  # another organization's member: not theirs to see
    login(client, other)
    assert client.get(reverse("hosts:application_detail", args=[application.pk])).status_code == 404


@pytest.mark.django_db
def test_the_system_cancelling_for_an_unpaid_balance_refunds_by_the_policy_like_the_applicant():
    application = confirmed_booking(days_before_start=45)
    application_cancel(
        application=application, actor=None, role=ActorRole.SYSTEM, reason="The balance was not paid."
    )
    assert refunds_of(application, R.CANCELLATION) == [("deposit", 25_000, "pending")]


@pytest.mark.django_db
def test_a_balance_paid_after_the_booking_was_cancelled_goes_back_in_full():
    application = confirmed_booking(days_before_start=45)
    balance = payment_start(application=application, purpose=P.BALANCE, actor=application.applicant.user)
    application_cancel(application=application, actor=application.applicant.user, role=ActorRole.APPLICANT)
    assert pay(balance) == "succeeded"  # the pay page was still open
    assert payment_sync(payment_id=balance.pk).status == Payment.Status.SUCCEEDED
    assert refunds_of(application, R.APPLICATION_ENDED) == [("balance", 200_000, "succeeded")]
    assert refunds_of(application, R.CANCELLATION) == [("deposit", 25_000, "pending")]


# --- The host did not decide within 10 days ------------------------------------------------------------


@pytest.mark.django_db
def test_an_application_left_undecided_gets_its_application_fee_back_once(django_capture_on_commit_callbacks):
    application = ApplicationFactory(status=S.SUBMITTED, submitted_at=timezone.now())
    paid(application, P.APPLICATION_FEE)
    unpaid = ApplicationFactory(status=S.SUBMITTED, submitted_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(days=10, minutes=1), tick=False):
        with django_capture_on_commit_callbacks() as callbacks:
            assert holds_sweep().undecided == 2
        assert holds_sweep().undecided == 0
    worker_sends(enqueued_refunds(callbacks))
    assert refunds_of(application) == [("application_fee", 10_000, "succeeded")]
    assert Refund.objects.get(payment__application=application).reason == R.UNDECIDED
    application.refresh_from_db()
    unpaid.refresh_from_db()
    assert (application.status, application.application_fee_status) == (S.EXPIRED, "refunded")
    assert (unpaid.application_fee_status, refunds_of(unpaid)) == ("waived", [])
    told = Notification.objects.get(key__startswith=f"application:{application.pk}:expired:")
    assert "$100.00 is refunded to your card: your application fee." in told.body
    assert sum(ledger(application).values()) == 0
    fee = Payment.objects.get(application=application)
    Payment.objects.filter(pk=fee.pk).update(refunded_cents=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(payment=fee, amount_cents=1, reason=R.UNDECIDED)


@pytest.mark.django_db
def test_an_application_fee_paid_after_the_application_ended_goes_back_in_full():
    application = ApplicationFactory(status=S.SUBMITTED, submitted_at=timezone.now())
    fee = payment_start(application=application, purpose=P.APPLICATION_FEE, actor=application.applicant.user)
    with time_machine.travel(timezone.now() + timedelta(days=10, minutes=1), tick=False):
        assert holds_sweep().undecided == 1  # expired undecided: the unpaid fee is waived
    assert pay(fee) == "succeeded"  # the pay page was still open

    fee = payment_sync(payment_id=fee.pk)

    assert fee.status == Payment.Status.SUCCEEDED and fee.refunded_cents == 10_000
    assert refunds_of(application) == [("application_fee", 10_000, "succeeded")]
    assert Refund.objects.get(payment=fee).reason == R.APPLICATION_ENDED
    application.refresh_from_db()
    assert (application.status, application.application_fee_status) == (S.EXPIRED, "waived")
    told = Notification.objects.get(key=f"payment:{fee.pk}:refunded_in_full")
    assert "arrived after your application had ended, so it is refunded" in told.body
    assert sum(ledger(application).values()) == 0


# --- A cancelled seat re-sold from the waitlist --------------------------------------------------------


def booked_from_the_waitlist(application: Application) -> Application:
    """The waitlisted applicant the cancellation offered the seat to accepts it and pays the deposit."""
    application.refresh_from_db()
    assert application.status == S.OFFERED
    application_accept(application=application, actor=application.applicant.user)
    paid(application, P.DEPOSIT)
    application.refresh_from_db()
    assert application.status == S.CONFIRMED
    return application


@pytest.mark.django_db
def test_a_cancelled_seat_booked_again_from_the_waitlist_refunds_the_rest_of_the_program_fee_once():
    block = BlockFactory(start_date=date.today() + timedelta(days=45), capacity=1)  # moderate: 50%
    cancelled = confirmed_booking(block, balance=True)
    waiting = ApplicationFactory(block=block, status=S.WAITLISTED, submitted_at=timezone.now())
    after = ApplicationFactory(block=block, status=S.WAITLISTED, submitted_at=timezone.now())
    application_cancel(application=cancelled, actor=cancelled.applicant.user, role=ActorRole.APPLICANT)
    assert refunds_of(cancelled) == [("balance", 125_000, "pending")]

    rebooked = booked_from_the_waitlist(waiting)
    # The rest of the $2,500 paid, newest payment first: never more than was paid.
    assert refunds_of(cancelled, R.RESALE) == [("balance", 75_000, "pending"), ("deposit", 50_000, "pending")]
    assert refunded(cancelled) == 250_000
    cancelled.refresh_from_db()
    assert cancelled.resold_to_id == rebooked.pk
    told = Notification.objects.get(key=f"application:{cancelled.pk}:resold")
    assert "$1,250.00 is refunded to your card: the rest of the program fee you paid." in told.body

    # The re-booked seat is cancelled in turn and re-sold again: that cancellation is made good,
    # the first one is not refunded twice.
    application_cancel(application=rebooked, actor=rebooked.applicant.user, role=ActorRole.APPLICANT)
    booked_from_the_waitlist(after)
    assert refunds_of(rebooked) == [("deposit", 25_000, "pending"), ("deposit", 25_000, "pending")]
    assert len(refunds_of(cancelled, R.RESALE)) == 2 and refunded(cancelled) == 250_000
    with pytest.raises(IntegrityError), transaction.atomic():
        # A booking makes good one cancelled seat: the first cancellation's re-booking cannot count twice.
        Application.objects.filter(pk=rebooked.pk).update(resold_to=cancelled.resold_to_id)
    deposit = Payment.objects.get(application=cancelled, purpose=P.DEPOSIT)
    Payment.objects.filter(pk=deposit.pk).update(refunded_cents=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(payment=deposit, amount_cents=1, reason=R.RESALE)


@pytest.mark.django_db
def test_a_seat_booked_again_outside_the_waitlist_is_no_resale():
    block = BlockFactory(start_date=date.today() + timedelta(days=45), capacity=1)
    cancelled = confirmed_booking(block)
    application_cancel(application=cancelled, actor=cancelled.applicant.user, role=ActorRole.APPLICANT)
    newcomer = ApplicationFactory(block=block, status=S.SUBMITTED, submitted_at=timezone.now())
    application_offer(
        application=newcomer, actor=MembershipFactory(organization=block.rotation.organization).user
    )
    application_accept(application=newcomer, actor=newcomer.applicant.user)
    paid(newcomer, P.DEPOSIT)
    assert refunds_of(cancelled, R.RESALE) == []
    cancelled.refresh_from_db()
    assert cancelled.resold_to_id is None


# --- Staff refunds ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_refund_an_exact_amount_in_the_admin_never_above_what_is_left(client):
    application = confirmed_booking()
    deposit = Payment.objects.get(application=application, purpose=P.DEPOSIT)
    refund_create(payment=deposit, amount_cents=10_000, reason=R.STAFF)
    client.force_login(StaffFactory())
    url = reverse("admin:payments_payment_refund", args=[deposit.pk])
    page = client.get(url)
    assert page.status_code == 200 and "$400.00" in page.content.decode()

    for amount, error in [
        ("400.01", "at most $400.00"),
        ("0.005", "Ensure that there are no more than 2 decimal places."),
        ("0", "Ensure this value is greater than or equal to 0.01."),
    ]:
        refused = client.post(url, {"amount": amount, "note": "Goodwill."})
        assert refused.status_code == 400
        assert error in refused.content.decode()
    assert client.post(url, {"amount": "1.00", "note": "  "}).status_code == 400
    deposit.refresh_from_db()
    assert deposit.refunded_cents == 10_000 and Refund.objects.count() == 1

    done = client.post(url, {"amount": "123.45", "note": "The first week was cut short."})
    assert done.status_code == 302
    refund = Refund.objects.latest("pk")
    assert (refund.amount_cents, refund.reason, refund.status) == (12_345, R.STAFF, "succeeded")
    assert refund.note == "The first week was cut short."
    told = Notification.objects.get(key=f"refund:{refund.pk}")
    assert "$123.45" in told.body and "The first week was cut short." in told.body
    assert (
        "Refund…" in client.get(reverse("admin:payments_payment_change", args=[deposit.pk])).content.decode()
    )


@pytest.mark.django_db
def test_the_admin_action_refunds_one_payment_at_a_time(client):
    first, second = confirmed_booking(), confirmed_booking()
    client.force_login(StaffFactory())
    changelist = reverse("admin:payments_payment_changelist")
    both = Payment.objects.filter(application__in=[first, second]).values_list("pk", flat=True)
    answer = client.post(changelist, {"action": "refund", "_selected_action": list(both)}, follow=True)
    assert "Choose exactly one payment to refund." in answer.content.decode()
    one = client.post(changelist, {"action": "refund", "_selected_action": [both[0]]})
    assert one.url == reverse("admin:payments_payment_refund", args=[both[0]])


# --- Stripe unreachable, and the real worker ----------------------------------------------------------


@pytest.mark.django_db
def test_a_refund_stripe_could_not_take_stays_pending_and_reconciliation_sends_it_once(
    settings, django_capture_on_commit_callbacks
):
    application = confirmed_booking(days_before_start=75)
    api_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    callbacks = cancel_as_applicant(application, django_capture_on_commit_callbacks)
    with pytest.raises(tasks.RefundPending):
        worker_sends(callbacks)  # the task retries later
    assert refunds_of(application) == [("deposit", 50_000, "pending")]
    assert ledger(application)["refund"] == 0
    settings.STRIPE_API_BASE = api_base
    assert payments_reconcile()["refunds"] == 1
    assert payments_reconcile()["refunds"] == 0
    assert refunds_of(application) == [("deposit", 50_000, "succeeded")]
    assert LedgerEntry.objects.filter(payment__application=application, kind="refund").count() == 1
    assert sum(ledger(application).values()) == 0


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_refund_once_the_cancellation_commits(celery_worker):
    application = confirmed_booking(days_before_start=75)
    api = APIClient()
    api.force_authenticate(application.applicant.user)
    assert api.post(f"/api/v1/applications/{application.pk}/cancel/", {}, format="json").status_code == 200
    refund = wait_until(
        lambda: Refund.objects.filter(payment__application=application, status="succeeded").first(),
        what="the worker sending the refund to Stripe",
    )
    assert refund.stripe_refund_id.startswith("re_") and refund.amount_cents == 50_000
    assert ApplicationTransition.objects.filter(application=application, to_status=S.CANCELLED).exists()
