"""The applicant's reminders (applicants/reminders.py): planned by the services that change what they
depend on, cancelled or planned again when it changes, and sent by the reminders sweep only while
they still apply. State changes go through the real services; the clock moves with time-machine."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from amo.models import Notification, Reminder
from amo.reminders import reminders_send_due
from amo.text import day_label
from applicants.models import Application, Document
from applicants.reminders import DAY_REMINDER_AT, balance_charged_at
from applicants.services import (
    applicant_delete,
    application_accept,
    application_apply,
    application_book_now,
    application_cancel,
    application_decline,
    application_documents_send,
    application_draft_save,
    application_offer,
    application_submit,
    application_withdraw,
    block_change_decide,
    block_change_request,
    booking_advisor_assign,
    document_delete,
    document_reject,
    document_upload,
)
from applicants.workflow import ActorRole
from payments.models import Payment
from payments.services import BALANCE_GRACE, balances_due_charge
from rotations.models import DocumentKind, Rotation, SeatHold
from rotations.services import first_day_update
from tests.applicants.test_apply import STATEMENT, _ready_applicant_and_block
from tests.factories import (
    PDF_BYTES,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    MembershipFactory,
    RotationFactory,
    StaffFactory,
)
from tests.payments.stripe_helpers import ALWAYS_AUTHENTICATES, booked_with_deposit, paid

pytestmark = pytest.mark.django_db
K = Reminder.Kind
S = Application.Status


def rows(kind: str, **filters) -> list[Reminder]:
    return list(Reminder.objects.filter(kind=kind, **filters).order_by("due_at", "id"))


def to_come(kind: str, **filters) -> list[Reminder]:
    return rows(kind, sent_at__isnull=True, cancelled_at__isnull=True, **filters)


def about(application: Application) -> dict:
    return {"about_id": application.pk, "about_type__model": "application"}


def sweep_at(moment: datetime) -> int:
    """Run the reminders sweep at `moment`; returns how many it sent."""
    with time_machine.travel(moment, tick=False):
        return reminders_send_due()


def subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


def at_day_hour(day: date) -> datetime:
    return datetime.combine(day, DAY_REMINDER_AT)


def host_of(application: Application):
    return MembershipFactory(organization=application.block.rotation.organization).user


def later(**delta):
    return time_machine.travel(timezone.now() + timedelta(**delta), tick=False)


def booked(**fields) -> Application:
    """A booking confirmed through the services: an offer accepted, with nothing to pay (no
    balance to remind of either, unless a program fee is given)."""
    block = BlockFactory(**{"rotation__deposit_cents": 0, "rotation__program_fee_cents": 0, **fields})
    application = ApplicationFactory(block=block, status=S.SUBMITTED, submitted_at=timezone.now())
    application_offer(application=application, actor=host_of(application))
    application_accept(application=application, actor=application.applicant.user)
    application.refresh_from_db()
    assert application.status == S.CONFIRMED
    return application


# --- A draft left for 3 days ----------------------------------------------------------------------


def test_a_draft_left_three_days_is_reminded_once_and_each_edit_moves_the_reminder():
    applicant, block, documents = _ready_applicant_and_block()
    draft = application_draft_save(
        applicant=applicant, block=block, personal_statement="First lines.", documents=documents
    )
    first = to_come(K.DRAFT_LEFT, **about(draft))
    assert [row.due_at for row in first] == [draft.updated_at + timedelta(days=3)]
    with later(days=1):
        edited = application_draft_save(
            applicant=applicant,
            block=block,
            personal_statement=STATEMENT,
            documents=documents,
            application=draft,
        )
    (moved,) = to_come(K.DRAFT_LEFT, **about(draft))
    assert moved.due_at == edited.updated_at + timedelta(days=3)
    first[0].refresh_from_db()
    assert first[0].cancel_reason == "The draft was changed."
    assert sweep_at(first[0].due_at + timedelta(minutes=1)) == 0
    assert sweep_at(moved.due_at + timedelta(minutes=1)) == 1
    assert sweep_at(moved.due_at + timedelta(days=1)) == 0
    (email,) = mail.outbox
    assert "still a draft" in email.subject and str(block.rotation) in email.subject
    assert day_label(block.apply_by) in email.body
    assert Notification.objects.get(key=f"reminder:{moved.key}").link == reverse(
        "applicants:application_detail", kwargs={"pk": draft.pk}
    )


def test_a_draft_sent_or_withdrawn_is_not_reminded():
    applicant, block, documents = _ready_applicant_and_block()
    sent = application_draft_save(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    application_submit(application=sent, actor=applicant.user)
    (cancelled,) = rows(K.DRAFT_LEFT, **about(sent))
    assert (cancelled.cancel_reason, cancelled.sent_at) == ("The application was sent.", None)

    other_block = BlockFactory(rotation=block.rotation)
    withdrawn = application_draft_save(
        applicant=applicant, block=other_block, personal_statement=STATEMENT, documents=documents
    )
    application_withdraw(application=withdrawn, actor=applicant.user)
    assert rows(K.DRAFT_LEFT, **about(withdrawn))[0].cancel_reason == "This application was withdrawn."

    assert sweep_at(timezone.now() + timedelta(days=4)) == 0
    assert mail.outbox == []


def test_a_deleted_profile_leaves_no_draft_reminder_to_come():
    applicant, block, documents = _ready_applicant_and_block()
    draft = application_draft_save(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    applicant_delete(applicant=applicant)
    (cancelled,) = rows(K.DRAFT_LEFT, about_id=draft.pk)
    assert (cancelled.cancel_reason, cancelled.sent_at) == ("The profile was deleted.", None)


def test_applying_in_one_go_plans_no_draft_reminder():
    applicant, block, documents = _ready_applicant_and_block()
    application = application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    assert application.status == S.SUBMITTED
    assert rows(K.DRAFT_LEFT, **about(application)) == []


# --- An offer or a held seat expiring within 24 hours -------------------------------------------------


def offered(deadline_in: timedelta = timedelta(days=3), **rotation_fields) -> tuple[Application, datetime]:
    application = ApplicationFactory(
        block=BlockFactory(**{f"rotation__{name}": value for name, value in rotation_fields.items()}),
        status=S.SUBMITTED,
        submitted_at=timezone.now(),
    )
    deadline = timezone.now() + deadline_in
    application_offer(application=application, actor=host_of(application), expires_at=deadline)
    return application, deadline


def test_an_offer_is_reminded_a_day_before_its_deadline_once():
    application, deadline = offered()
    hold = SeatHold.objects.unreleased().get(application=application)
    (reminder,) = to_come(K.HOLD_EXPIRING, **about(application))
    assert reminder.due_at == deadline - timedelta(hours=24)
    assert (
        reminder.key == f"hold_expiring:application:{application.pk}:hold:{hold.pk}:{deadline:%Y%m%dT%H%M%SZ}"
    )
    assert reminder.recipient == application.applicant.user
    assert sweep_at(reminder.due_at - timedelta(minutes=1)) == 0
    assert sweep_at(reminder.due_at + timedelta(minutes=1)) == 1
    assert sweep_at(reminder.due_at + timedelta(hours=2)) == 0
    (email,) = mail.outbox
    assert email.subject.endswith(f"Your offer ends {day_label(deadline)}: {application.block.rotation}")
    assert "accept or decline it" in email.body and "UTC" in email.body


def test_an_accepted_offers_expiry_reminder_is_never_sent():
    application, deadline = offered(deposit_cents=0, program_fee_cents=0)
    application_accept(application=application, actor=application.applicant.user)
    (reminder,) = rows(K.HOLD_EXPIRING, **about(application))
    assert (reminder.cancel_reason, reminder.sent_at) == ("This booking is confirmed.", None)
    sweep_at(deadline - timedelta(hours=1))
    reminder.refresh_from_db()
    assert reminder.sent_at is None
    assert not Notification.objects.filter(key=f"reminder:{reminder.key}").exists()
    assert not [subject for subject in subjects() if "offer" in subject.lower()]


def test_an_offer_accepted_with_a_deposit_is_reminded_to_pay_by_the_same_deadline():
    application, deadline = offered(deposit_cents=50_000)
    (planned,) = to_come(K.HOLD_EXPIRING, **about(application))
    application_accept(application=application, actor=application.applicant.user)
    assert to_come(K.HOLD_EXPIRING, **about(application)) == [planned]
    assert sweep_at(planned.due_at + timedelta(minutes=1)) == 1
    (email,) = mail.outbox
    assert f"Pay the deposit by {day_label(deadline)}" in email.subject and "$500.00" in email.body
    assert Notification.objects.get(key=f"reminder:{planned.key}").link == reverse(
        "applicants:application_pay", kwargs={"pk": application.pk, "purpose": "deposit"}
    )


def test_a_declined_offer_is_not_reminded():
    application, deadline = offered()
    application_decline(application=application, actor=application.applicant.user)
    assert (
        rows(K.HOLD_EXPIRING, **about(application))[0].cancel_reason
        == "This application's offer was declined."
    )
    assert sweep_at(deadline - timedelta(hours=1)) == 0


def test_an_offer_changed_without_its_planner_is_cancelled_when_due_not_sent():
    """Defence in depth: the renderer re-reads the state, and a reminder it no longer wants is cancelled."""
    application, deadline = offered()
    (reminder,) = to_come(K.HOLD_EXPIRING, **about(application))
    SeatHold.objects.filter(application=application).update(expires_at=deadline + timedelta(days=2))
    assert sweep_at(reminder.due_at + timedelta(minutes=1)) == 0
    reminder.refresh_from_db()
    assert (reminder.sent_at, reminder.cancel_reason) == (None, "It no longer applies.")


def test_a_thirty_minute_checkout_gets_no_expiry_reminder():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW
    )
    application = application_book_now(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    assert application.status == S.AWAITING_PAYMENT
    assert rows(K.HOLD_EXPIRING, **about(application)) == []


# --- Documents due on a book-now booking ------------------------------------------------------------------


def test_missing_documents_are_reminded_three_days_and_one_day_before_they_are_due_until_sent():
    applicant, block, (cv, tb) = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, rotation__deposit_cents=0
    )
    application = application_book_now(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=[cv]
    )
    due = application.documents_due_at
    three, one = to_come(K.DOCUMENTS_DUE, **about(application))
    assert (three.due_at, one.due_at) == (due - timedelta(days=3), due - timedelta(days=1))
    assert sweep_at(three.due_at + timedelta(minutes=1)) == 1
    (email,) = mail.outbox
    assert email.subject.endswith(f"Documents due {day_label(due)}: {block.rotation}")
    assert "still needs: TB test" in email.body
    with time_machine.travel(three.due_at + timedelta(hours=1), tick=False):
        application_documents_send(application=application, actor=applicant.user, documents=[tb])
    one.refresh_from_db()
    assert (one.sent_at, one.cancel_reason) == (None, "The documents are in.")
    assert sweep_at(one.due_at + timedelta(minutes=1)) == 0


# --- The balance -------------------------------------------------------------------------------------------

BALANCE_DUE_IN_DAYS = 10


def balance_block(**fields):
    rotation = RotationFactory(balance_due_days_before_start=45)
    return BlockFactory(
        rotation=rotation, start_date=date.today() + timedelta(days=45 + BALANCE_DUE_IN_DAYS), **fields
    )


def test_the_balance_is_reminded_seven_days_before_the_daily_charge_takes_it():
    application, _ = booked_with_deposit(balance_block())
    due_on = date.today() + timedelta(days=BALANCE_DUE_IN_DAYS)
    (reminder,) = to_come(K.BALANCE_DUE, **about(application))
    assert reminder.due_at == datetime.combine(due_on - timedelta(days=7), balance_charged_at())
    assert balance_charged_at().hour == 6  # payments.tasks.balances_charge's hour (amo/settings.py)
    assert sweep_at(reminder.due_at + timedelta(minutes=1)) == 1
    (email,) = mail.outbox
    assert email.subject.endswith(f"Your balance is due {day_label(due_on)}: {application.block.rotation}")
    assert "$2,000.00" in email.body and "card you saved with your deposit" in email.body
    assert Notification.objects.get(key=f"reminder:{reminder.key}").link == reverse(
        "applicants:application_pay", kwargs={"pk": application.pk, "purpose": "balance"}
    )


def test_a_balance_paid_early_cancels_its_reminder():
    application, _ = booked_with_deposit(balance_block())
    (reminder,) = to_come(K.BALANCE_DUE, **about(application))
    paid(application, Payment.Purpose.BALANCE)
    reminder.refresh_from_db()
    assert (reminder.sent_at, reminder.cancel_reason) == (None, "The balance is paid.")
    assert sweep_at(reminder.due_at + timedelta(minutes=1)) == 0


def test_a_balance_the_saved_card_did_not_pay_is_reminded_a_day_before_its_deadline_until_paid():
    application, _ = booked_with_deposit(balance_block(), card=ALWAYS_AUTHENTICATES)
    with later(days=BALANCE_DUE_IN_DAYS):
        assert balances_due_charge()["failed"] == 1
        deadline = timezone.now() + BALANCE_GRACE
    failed = Payment.objects.get(application=application, purpose=Payment.Purpose.BALANCE)
    assert failed.balance_deadline == deadline
    # The day's result is told at once (payments.services._balance_unpaid), with the pay link.
    assert Notification.objects.filter(key=f"payment:{failed.pk}:balance_unpaid").exists()
    (reminder,) = to_come(K.BALANCE_DUE, **about(application))
    assert reminder.due_at == deadline - timedelta(hours=24)
    assert sweep_at(reminder.due_at + timedelta(minutes=1)) == 1
    (email,) = mail.outbox
    assert "Last day to pay your balance" in email.subject
    assert "cancelled under the cancellation policy" in email.body


def test_a_balance_paid_through_the_link_cancels_its_deadline_reminder():
    application, _ = booked_with_deposit(balance_block(), card=ALWAYS_AUTHENTICATES)
    with later(days=BALANCE_DUE_IN_DAYS):
        balances_due_charge()
    (reminder,) = to_come(K.BALANCE_DUE, **about(application))
    with later(days=BALANCE_DUE_IN_DAYS + 1):
        paid(application, Payment.Purpose.BALANCE)
    reminder.refresh_from_db()
    assert reminder.cancel_reason == "The balance is paid."
    assert sweep_at(reminder.due_at + timedelta(minutes=1)) == 0


# --- The rotation starting in 14, 7 and 1 days ---------------------------------------------------------


def test_a_confirmed_booking_is_reminded_14_7_and_1_days_before_the_start_with_where_to_go():
    application = booked(start_date=date.today() + timedelta(days=30))
    start = application.block.start_date
    reminders = to_come(K.ROTATION_STARTING, **about(application))
    assert [row.due_at for row in reminders] == [
        at_day_hour(start - timedelta(days=days)) for days in (14, 7, 1)
    ]
    for reminder in reminders:
        assert sweep_at(reminder.due_at + timedelta(minutes=1)) == 1
    rotation = application.block.rotation
    assert [subject.split("] ", 1)[1] for subject in subjects()] == [
        f"Your rotation starts in 14 days: {rotation}",
        f"Your rotation starts in 7 days: {rotation}",
        f"Your rotation starts tomorrow: {rotation}",
    ]
    body = mail.outbox[-1].body
    assert f"on {day_label(start)}, and runs until {day_label(application.block.end_date)}" in body
    assert "Where: 100 Main Street, Chicago, IL 60601" in body
    assert f"Your preceptor: {rotation.preceptor}" in body
    assert reverse("applicants:application_detail", kwargs={"pk": application.pk}) in body
    assert "The host has not written the first-day plan yet" in body


def test_the_start_reminder_carries_the_first_day_plan_and_the_advisor_as_they_stand_when_it_is_sent():
    application = booked(start_date=date.today() + timedelta(days=30))
    rotation = application.block.rotation
    (first, *_) = to_come(K.ROTATION_STARTING, **about(application))
    # Written after the reminder was planned: the reminder says what stands when it is sent.
    first_day_update(
        rotation=rotation,
        arrival_time=time(7, 30),
        where_to_go="Main lobby, then the third-floor clinic desk.",
        ask_for="Dr. Rivera's coordinator",
        dress_code="Business casual with a white coat.",
        what_to_bring="Your passport and your badge letter.",
    )
    staff = StaffFactory(full_name="Ada Advisor")
    booking_advisor_assign(application=application, advisor=staff, actor=staff)

    assert sweep_at(first.due_at + timedelta(minutes=1)) == 1
    body = mail.outbox[-1].body
    for line in (
        "Arrive at: 07:30 (local time)",
        "Where to go: Main lobby, then the third-floor clinic desk.",
        "Ask for: Dr. Rivera's coordinator",
        "Dress code: Business casual with a white coat.",
        "What to bring: Your passport and your badge letter.",
        f"Your advisor at AMO: Ada Advisor ({staff.email}).",
        f"Map: {rotation.organization.map_url}",
    ):
        assert line in body
    assert "has not written the first-day plan" not in body


def test_a_booking_made_five_days_before_the_start_gets_only_the_one_day_reminder():
    application = booked(start_date=date.today() + timedelta(days=5))
    (reminder,) = rows(K.ROTATION_STARTING, **about(application))
    assert reminder.due_at == at_day_hour(application.block.start_date - timedelta(days=1))


def test_a_moved_booking_is_reminded_of_its_new_dates_and_not_the_old_ones():
    application = booked(
        start_date=date.today() + timedelta(days=30),
        rotation__program_fee_cents=250_000,
        rotation__balance_due_days_before_start=20,
    )
    old = to_come(K.ROTATION_STARTING, **about(application))
    (old_balance,) = to_come(K.BALANCE_DUE, **about(application))
    later_block = BlockFactory(
        rotation=application.block.rotation, start_date=application.block.start_date + timedelta(days=28)
    )
    change = block_change_request(
        application=application, actor=application.applicant.user, to_block=later_block
    )
    block_change_decide(block_change=change, actor=host_of(application), approve=True)
    for reminder in [*old, old_balance]:
        reminder.refresh_from_db()
        assert reminder.cancel_reason == "The booking moved to another block."
    new = to_come(K.ROTATION_STARTING, **about(application))
    assert [row.due_at for row in new] == [
        at_day_hour(later_block.start_date - timedelta(days=days)) for days in (14, 7, 1)
    ]
    assert all(f":block:{later_block.pk}:" in row.key for row in new)
    (new_balance,) = to_come(K.BALANCE_DUE, **about(application))
    assert new_balance.due_at.date() == later_block.start_date - timedelta(days=20 + 7)
    assert sweep_at(old[-1].due_at + timedelta(minutes=1)) == 0
    assert mail.outbox == []
    assert sweep_at(new_balance.due_at + timedelta(minutes=1)) == 1
    (email,) = mail.outbox
    assert f"due on {day_label(later_block.start_date - timedelta(days=20))}" in email.body
    assert "No card is saved to charge it" in email.body  # nothing was paid by card


def test_a_cancelled_booking_is_not_reminded_of_its_start():
    application = booked(start_date=date.today() + timedelta(days=30))
    application_cancel(application=application, actor=application.applicant.user, role=ActorRole.APPLICANT)
    assert to_come(K.ROTATION_STARTING, **about(application)) == []
    assert {row.cancel_reason for row in rows(K.ROTATION_STARTING, **about(application))} == {
        "This booking was cancelled."
    }
    assert sweep_at(at_day_hour(application.block.start_date)) == 0


# --- A required document expiring before the rotation ends -------------------------------------------------


def tb_test_expiring(applicant, on: date) -> Document:
    return DocumentFactory(applicant=applicant, kind=DocumentKind.TB_TEST, expires_on=on)


def upload_tb_test(applicant, expires_on: date) -> Document:
    return document_upload(
        applicant=applicant,
        kind=DocumentKind.TB_TEST,
        uploaded_file=SimpleUploadedFile("tb.pdf", PDF_BYTES, content_type="application/pdf"),
        expires_on=expires_on,
    )


def booked_needing_a_tb_test(expires_after_start: int) -> tuple[Application, Document]:
    block = BlockFactory(
        start_date=date.today() + timedelta(days=60),
        rotation__deposit_cents=0,
        rotation__program_fee_cents=0,
        rotation__required_document_kinds=[DocumentKind.TB_TEST],
    )
    application = ApplicationFactory(block=block, status=S.SUBMITTED, submitted_at=timezone.now())
    document = tb_test_expiring(application.applicant, block.start_date + timedelta(days=expires_after_start))
    application_offer(application=application, actor=host_of(application))
    application_accept(application=application, actor=application.applicant.user)
    return application, document


def document_about(document: Document) -> dict:
    return {"about_id": document.pk, "about_type__model": "document"}


def test_a_document_expiring_before_the_rotation_ends_is_reminded_4_and_2_weeks_before_and_on_the_day():
    application, tb = booked_needing_a_tb_test(expires_after_start=10)
    reminders = to_come(K.DOCUMENT_EXPIRING, **document_about(tb))
    assert [row.due_at for row in reminders] == [
        at_day_hour(tb.expires_on - timedelta(days=days)) for days in (28, 14, 0)
    ]
    for reminder in reminders:
        sweep_at(reminder.due_at + timedelta(minutes=1))
        reminder.refresh_from_db()
        assert reminder.sent_at is not None
    # The rotation's own start reminders fall due in between.
    first, _, last = [message for message in mail.outbox if "TB test" in message.subject]
    assert first.subject.endswith(f"Your TB test expires {day_label(tb.expires_on)}")
    assert f"ends {day_label(application.block.end_date)}" in first.body
    assert last.subject.endswith("Your TB test expires today")
    assert Notification.objects.get(key=f"reminder:{reminders[0].key}").link == reverse(
        "applicants:documents"
    )


def test_a_document_valid_for_the_whole_rotation_is_not_reminded():
    application, tb = booked_needing_a_tb_test(expires_after_start=60)
    assert rows(K.DOCUMENT_EXPIRING) == []


def test_a_newer_document_covering_the_rotation_cancels_the_old_reminders_and_deleting_it_restores_them():
    application, tb = booked_needing_a_tb_test(expires_after_start=10)
    planned = to_come(K.DOCUMENT_EXPIRING, **document_about(tb))
    newer = upload_tb_test(application.applicant, application.block.end_date + timedelta(days=90))
    assert to_come(K.DOCUMENT_EXPIRING) == []
    assert {row.cancel_reason for row in rows(K.DOCUMENT_EXPIRING)} == {"A newer TB test was uploaded."}
    sweep_at(at_day_hour(tb.expires_on))  # the rotation's start reminders are sent meanwhile
    assert rows(K.DOCUMENT_EXPIRING, sent_at__isnull=False) == []
    assert not [subject for subject in subjects() if "TB test" in subject]

    document_delete(document=newer, actor=application.applicant.user)
    assert to_come(K.DOCUMENT_EXPIRING, **document_about(tb)) == planned


def test_a_rejected_replacement_does_not_cancel_the_reminders():
    application, tb = booked_needing_a_tb_test(expires_after_start=10)
    planned = to_come(K.DOCUMENT_EXPIRING, **document_about(tb))
    newer = upload_tb_test(application.applicant, application.block.end_date + timedelta(days=90))
    document_reject(document=newer, actor=StaffFactory(), reason="The scan is unreadable.")
    assert to_come(K.DOCUMENT_EXPIRING, **document_about(tb)) == planned


def test_a_newer_document_that_still_expires_too_soon_takes_over_the_reminders():
    application, tb = booked_needing_a_tb_test(expires_after_start=10)
    newer = upload_tb_test(application.applicant, application.block.start_date + timedelta(days=20))
    assert to_come(K.DOCUMENT_EXPIRING, **document_about(tb)) == []
    assert [row.due_at for row in to_come(K.DOCUMENT_EXPIRING, **document_about(newer))] == [
        at_day_hour(newer.expires_on - timedelta(days=days)) for days in (28, 14, 0)
    ]


def test_a_cancelled_booking_cancels_its_document_reminders():
    application, tb = booked_needing_a_tb_test(expires_after_start=10)
    application_cancel(application=application, actor=application.applicant.user, role=ActorRole.APPLICANT)
    assert to_come(K.DOCUMENT_EXPIRING) == []
    assert {row.cancel_reason for row in rows(K.DOCUMENT_EXPIRING)} == {"This booking was cancelled."}


# --- On committed data ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_on_committed_data_an_accepted_offer_is_never_reminded_but_its_booking_is():
    application, deadline = offered(deposit_cents=0, program_fee_cents=0)
    application_accept(application=application, actor=application.applicant.user)
    start = application.block.start_date
    assert sweep_at(deadline - timedelta(hours=1)) == 0
    assert sweep_at(at_day_hour(start - timedelta(days=1)) + timedelta(minutes=1)) == 3
    sent = Reminder.objects.filter(sent_at__isnull=False)
    assert {row.kind for row in sent} == {K.ROTATION_STARTING}
    assert Reminder.objects.get(kind=K.HOLD_EXPIRING).cancel_reason == "This booking is confirmed."
    assert len(mail.outbox) == 3
