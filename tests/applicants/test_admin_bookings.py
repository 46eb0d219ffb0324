"""Staff act on bookings, letters, notifications and accounts in the admin only through the
services: cancelling with a refund, moving to another block, a letter's author link, a
notification's email again, and the role checkboxes."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from amo.models import Notification, User
from amo.staff_groups import PLACEMENT_COORDINATOR
from applicants.models import Application, BlockChange, LetterRequest
from payments import tasks
from payments.models import LedgerEntry, Refund
from rotations.models import Block
from tests.admin_pages import member_of, messages_of
from tests.factories import (
    ApplicationFactory,
    BlockFactory,
    StaffFactory,
    UserFactory,
    letter_request,
    take_seat,
    totp_activate,
)
from tests.payments.stripe_helpers import confirmed_booking

pytestmark = pytest.mark.django_db
S = Application.Status


def _refunds_sent(application: Application) -> list[tuple[int, str, str]]:
    """The worker sends the refunds the cancellation wrote; (amount, reason, status) of each."""
    for refund in Refund.objects.filter(payment__application=application, status=Refund.Status.PENDING):
        tasks.refund_send(refund.pk)
    return [
        (refund.amount_cents, refund.reason, refund.status)
        for refund in Refund.objects.filter(payment__application=application).order_by("pk")
    ]


def _ledger_refunds(application: Application) -> int:
    return sum(
        LedgerEntry.objects.filter(
            payment__application=application, kind=LedgerEntry.Kind.REFUND
        ).values_list("amount_cents", flat=True)
    )


def test_staff_cancel_a_booking_with_the_policys_refund_and_it_reaches_the_ledger(founder_client):
    application = confirmed_booking(days_before_start=75)  # $500 deposit, 100% back that early
    url = reverse("admin:applicants_application_cancel", args=[application.pk])
    assert "$500.00" in founder_client.get(url).content.decode()
    response = founder_client.post(url, {"reason": "The host closed the ward.", "refund": "policy"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == S.CANCELLED
    assert _refunds_sent(application) == [(50_000, Refund.Reason.CANCELLATION, Refund.Status.SUCCEEDED)]
    assert _ledger_refunds(application) == -50_000


def test_staff_cancel_with_an_amount_they_set_never_above_what_was_paid(founder_client):
    application = confirmed_booking(days_before_start=75)
    url = reverse("admin:applicants_application_cancel", args=[application.pk])
    refused = founder_client.post(url, {"reason": "Goodwill.", "refund": "set", "amount": "500.01"})
    assert refused.status_code == 400
    assert (
        "A refund cannot be more than was paid: $500.00 is paid and not refunded yet."
        in refused.content.decode()
    )
    application.refresh_from_db()
    assert application.status == S.CONFIRMED
    assert not Refund.objects.filter(payment__application=application).exists()

    done = founder_client.post(url, {"reason": "Goodwill.", "refund": "set", "amount": "123.45"})
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.status == S.CANCELLED
    assert _refunds_sent(application) == [(12_345, Refund.Reason.STAFF, Refund.Status.SUCCEEDED)]
    assert _ledger_refunds(application) == -12_345
    told = Notification.objects.filter(
        recipient=application.applicant.user, subject__startswith="Booking cancelled"
    )
    assert "$123.45 is refunded to your card: the amount our staff set." in told.get().body


def test_a_placement_coordinator_cancels_with_the_policys_refund_only(client):
    """Another amount is a refund decision, finance's: the coordinator is neither offered it nor can
    post it."""
    application = confirmed_booking(days_before_start=75)
    client.force_login(member_of(PLACEMENT_COORDINATOR))
    url = reverse("admin:applicants_application_cancel", args=[application.pk])
    page = client.get(url).content.decode()
    assert 'name="amount"' not in page and "Finance may refund another amount" in page

    done = client.post(url, {"reason": "Goodwill.", "refund": "set", "amount": "1.00"})

    assert done.status_code == 302
    assert _refunds_sent(application) == [(50_000, Refund.Reason.CANCELLATION, Refund.Status.SUCCEEDED)]


def test_cancelling_what_is_not_a_booking_is_refused_with_a_message_and_changes_nothing(founder_client):
    application = ApplicationFactory(status=S.SUBMITTED)
    url = reverse("admin:applicants_application_cancel", args=[application.pk])
    refused = founder_client.post(url, {"reason": "Testing.", "refund": "policy"})
    assert refused.status_code == 400
    application.refresh_from_db()
    assert application.status == S.SUBMITTED


def test_staff_move_a_booking_only_to_a_block_with_a_seat_left(founder_client):
    booking = ApplicationFactory(status=S.CONFIRMED)
    rotation = booking.block.rotation
    full = BlockFactory(
        rotation=rotation,
        capacity=1,
        start_date=booking.block.start_date + (booking.block.start_date - booking.block.apply_by),
    )
    take_seat(full)
    open_block = BlockFactory(
        rotation=rotation, start_date=full.start_date + (full.start_date - full.apply_by)
    )
    url = reverse("admin:applicants_application_move", args=[booking.pk])
    refused = founder_client.post(url, {"to_block": full.pk, "reason": "The host asked."})
    assert refused.status_code == 400  # not offered: no seat left
    booking.refresh_from_db()
    assert booking.block_id != full.pk
    full.refresh_from_db()
    assert full.seats_taken == 1

    moved = founder_client.post(url, {"to_block": open_block.pk, "reason": "The host asked."})
    assert moved.status_code == 302, moved.content.decode()[:2000]
    booking.refresh_from_db()
    assert booking.block_id == open_block.pk
    assert Block.objects.get(pk=open_block.pk).seats_taken == 1
    change = BlockChange.objects.get(application=booking)
    assert (change.status, change.decided_by.is_staff) == (BlockChange.Status.APPROVED, True)


def test_moving_what_is_not_a_confirmed_booking_is_refused_and_changes_nothing(founder_client):
    application = ApplicationFactory(status=S.SUBMITTED)
    other = BlockFactory(rotation=application.block.rotation)
    response = founder_client.post(
        reverse("admin:applicants_application_move", args=[application.pk]),
        {"to_block": other.pk, "reason": "Testing."},
    )
    assert response.status_code == 400
    assert "Only a confirmed booking can move to another block." in response.content.decode()
    application.refresh_from_db()
    assert application.block_id != other.pk


def test_a_letters_author_link_is_sent_again_once_in_ten_minutes(founder_client):
    letter = letter_request()  # its first link was emailed just now
    generation = LetterRequest.objects.get(pk=letter.pk).link_generation
    changelist = reverse("admin:applicants_letterrequest_changelist")
    action = {"action": "send_author_link", "_selected_action": [letter.pk]}
    refused = founder_client.post(changelist, action, follow=True)
    assert any("less than 10 minutes ago" in message for message in messages_of(refused))
    assert LetterRequest.objects.get(pk=letter.pk).link_generation == generation
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        sent = founder_client.post(changelist, action, follow=True)
    assert "A fresh link went to 1 author." in messages_of(sent)
    assert LetterRequest.objects.get(pk=letter.pk).link_generation == generation + 1


def test_a_notification_is_emailed_again_only_once_it_was_sent(founder_client, mailoutbox):
    user = UserFactory()
    sent = Notification.objects.create(
        key="k:sent", recipient=user, subject="Sent", body="b", emailed_at="2026-01-01T00:00Z"
    )
    waiting = Notification.objects.create(key="k:waiting", recipient=user, subject="Waiting", body="b")
    changelist = reverse("admin:amo_notification_changelist")
    response = founder_client.post(
        changelist, {"action": "resend", "_selected_action": [sent.pk, waiting.pk]}, follow=True
    )
    said = messages_of(response)
    assert "Waiting: Its email is not sent yet: it goes out shortly, so nothing more was sent." in said
    assert "1 notification emailed again." in said
    sent.refresh_from_db()
    waiting.refresh_from_db()
    assert sent.emailed_at is None and waiting.emailed_at is None and waiting.email_attempts == 0


def test_only_a_founder_changes_who_is_staff_a_superuser_or_in_a_group(client):
    coordinator = UserFactory(is_staff=True)
    totp_activate(coordinator)
    coordinator.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    target = UserFactory()
    group = Group.objects.create(name="Finance (test)")
    client.force_login(coordinator)
    url = reverse("admin:amo_user_change", args=[target.pk])
    form = client.get(url).context["adminform"].form
    for name in ["is_staff", "is_superuser", "groups", "user_permissions"]:
        assert name not in form.fields, name
    joined = timezone.localtime(target.date_joined)
    data = {
        "email": target.email,
        "full_name": "Renamed",
        "is_active": "on",
        "date_joined_0": joined.date().isoformat(),
        "date_joined_1": joined.time().strftime("%H:%M:%S"),
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [group.pk],
    }
    assert client.post(url, data).status_code == 302
    target = User.objects.get(pk=target.pk)
    assert target.full_name == "Renamed"
    assert (target.is_staff, target.is_superuser, target.groups.count()) == (False, False, 0)

    client.force_login(StaffFactory())  # a founder
    assert "is_superuser" in client.get(url).context["adminform"].form.fields


def test_an_applicants_account_cannot_be_reassigned(founder_client):
    application = ApplicationFactory()
    form = (
        founder_client.get(reverse("admin:applicants_applicant_change", args=[application.applicant_id]))
        .context["adminform"]
        .form
    )
    assert "user" not in form.fields
