"""The booking lifecycle's rules, through the services: offers that expire, accepting and declining,
book now, the waitlist's line, cancellations, no-shows and date changes. Time is moved, never slept."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from amo.errors import DomainError
from amo.models import Notification
from applicants.models import Application, ApplicationTransition, BlockChange
from applicants.services import (
    application_accept,
    application_book_now,
    application_cancel,
    application_decline,
    application_documents_send,
    application_end_early,
    application_offer,
    application_payment_confirm,
    application_record_no_show,
    application_withdraw,
    block_change_decide,
    block_change_request,
    bookings_advance,
    holds_sweep,
)
from applicants.workflow import ActorRole
from rotations.models import Block, Rotation, SeatHold
from rotations.selectors import blocks_out_of_step
from tests.applicants.test_apply import STATEMENT, _ready_applicant_and_block
from tests.factories import (
    ApplicationFactory,
    BlockFactory,
    MembershipFactory,
    take_seat,
)

pytestmark = pytest.mark.django_db
S = Application.Status
FEE = Application.FeeStatus


def host_of(block: Block):
    return MembershipFactory(organization=block.rotation.organization).user


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def seats_taken(block: Block) -> int:
    return Block.objects.values_list("seats_taken", flat=True).get(pk=block.pk)


def unreleased_hold(application: Application) -> SeatHold | None:
    return SeatHold.objects.unreleased().filter(application=application).first()


def later(**delta):
    return time_machine.travel(timezone.now() + timedelta(**delta), tick=False)


def waitlisted(block: Block, **fields) -> Application:
    return ApplicationFactory(block=block, status=S.WAITLISTED, submitted_at=timezone.now(), **fields)


def test_an_offer_holds_its_seat_for_seven_days_by_default():
    block = BlockFactory(capacity=1)
    application = ApplicationFactory(block=block, status=S.SUBMITTED)
    application_offer(application=application, actor=host_of(block))
    hold = unreleased_hold(application)
    assert (hold.kind, seats_taken(block)) == (SeatHold.Kind.OFFER, 1)
    assert abs(hold.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


def test_an_offer_deadline_never_passes_the_start():
    block = BlockFactory(
        capacity=1, start_date=timezone.localdate() + timedelta(days=3), apply_by=timezone.localdate()
    )
    application = ApplicationFactory(block=block, status=S.SUBMITTED)
    application_offer(application=application, actor=host_of(block))
    assert unreleased_hold(application).expires_at == datetime.combine(block.start_date, time.min, UTC)
    other = ApplicationFactory(block=BlockFactory(capacity=1), status=S.SUBMITTED)
    too_late = datetime.combine(other.block.start_date, time.min, UTC) + timedelta(seconds=1)
    with pytest.raises(DomainError, match="after the block starts"):
        application_offer(application=other, actor=host_of(other.block), expires_at=too_late)
    assert (status_of(other), unreleased_hold(other)) == (S.SUBMITTED, None)


def test_accepting_an_offer_without_a_deposit_confirms_at_once():
    block = BlockFactory(capacity=1, rotation__deposit_cents=0)
    application = ApplicationFactory(block=block, status=S.OFFERED)
    application_accept(application=application, actor=application.applicant.user)
    assert status_of(application) == S.CONFIRMED
    hold = unreleased_hold(application)
    assert (hold.kind, hold.expires_at) == (SeatHold.Kind.BOOKING, None)
    assert Notification.objects.filter(
        recipient=application.applicant.user, subject__startswith="Booking confirmed"
    )


def test_accepting_an_offer_with_a_deposit_awaits_the_payment_until_the_same_deadline():
    block = BlockFactory(capacity=1, rotation__deposit_cents=50_000)
    deadline = timezone.now() + timedelta(days=2)
    application = ApplicationFactory(block=block, status=S.OFFERED, seat=deadline)
    application_accept(application=application, actor=application.applicant.user)
    assert status_of(application) == S.AWAITING_PAYMENT
    hold = unreleased_hold(application)
    assert (hold.kind, hold.expires_at) == (SeatHold.Kind.OFFER, deadline)
    application_payment_confirm(application=application)
    assert (status_of(application), unreleased_hold(application).kind) == (S.CONFIRMED, SeatHold.Kind.BOOKING)


def test_an_offer_past_its_deadline_cannot_be_accepted_even_before_the_sweep():
    block = BlockFactory(capacity=1, rotation__deposit_cents=0)
    application = ApplicationFactory(block=block, status=S.OFFERED, seat=timezone.now() + timedelta(hours=1))
    with later(hours=2), pytest.raises(DomainError, match="expired") as refused:
        application_accept(application=application, actor=application.applicant.user)
    assert refused.value.status == 409
    assert status_of(application) == S.OFFERED


def test_only_the_applicant_accepts_their_offer():
    application = ApplicationFactory(status=S.OFFERED)
    with pytest.raises(DomainError) as refused:
        application_accept(application=application, actor=host_of(application.block))
    assert refused.value.status == 403
    assert status_of(application) == S.OFFERED


def test_declining_an_offer_frees_the_seat_for_the_first_of_the_waitlist():
    block = BlockFactory(capacity=1)
    offered = ApplicationFactory(block=block, status=S.OFFERED)
    first = waitlisted(block)
    with later(minutes=1):
        second = waitlisted(block)
    application_decline(application=offered, actor=offered.applicant.user, reason="I found another rotation.")
    assert (status_of(offered), status_of(first), status_of(second)) == (S.DECLINED, S.OFFERED, S.WAITLISTED)
    assert unreleased_hold(offered) is None
    assert unreleased_hold(first).kind == SeatHold.Kind.OFFER
    assert seats_taken(block) == 1
    assert blocks_out_of_step() == []


def test_the_sweep_expires_a_lapsed_offer_and_offers_the_seat_to_the_waitlist():
    block = BlockFactory(capacity=1)
    offered = ApplicationFactory(block=block, status=S.OFFERED, seat=timezone.now() + timedelta(hours=1))
    first = waitlisted(block)
    assert holds_sweep().expired == 0
    with later(hours=1, seconds=1):
        result = holds_sweep()
        promoted_deadline = unreleased_hold(first).expires_at
        assert abs(promoted_deadline - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert (result.expired, status_of(offered), status_of(first)) == (1, S.EXPIRED, S.OFFERED)
    released = SeatHold.objects.get(application=offered)
    assert released.release_reason == SeatHold.ReleaseReason.EXPIRED
    record = ApplicationTransition.objects.filter(application=offered).latest("id")
    assert (record.to_status, record.actor_role, record.actor) == (S.EXPIRED, "system", None)
    assert Notification.objects.filter(
        recipient=offered.applicant.user, subject__startswith="Your offer expired"
    )
    assert Notification.objects.filter(recipient=first.applicant.user, subject__startswith="A seat opened up")
    # A second run changes nothing more.
    with later(hours=1, seconds=2):
        assert holds_sweep().expired == 0
    assert seats_taken(block) == 1 and blocks_out_of_step() == []


def test_an_offer_whose_seat_was_taken_after_its_deadline_is_expired_by_the_sweep():
    block = BlockFactory(capacity=1)
    offered = ApplicationFactory(block=block, status=S.OFFERED, seat=timezone.now() + timedelta(hours=1))
    with later(hours=2):
        newcomer = take_seat(block)  # seat_take released the lapsed hold itself
        assert holds_sweep().expired == 1
    assert (status_of(offered), status_of(newcomer)) == (S.EXPIRED, S.CONFIRMED)
    assert seats_taken(block) == 1


def test_a_checkout_past_its_thirty_minutes_expires():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW
    )
    application = application_book_now(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    assert status_of(application) == S.AWAITING_PAYMENT
    with later(minutes=29):
        assert holds_sweep().expired == 0
    with later(minutes=31):
        assert holds_sweep().expired == 1
    assert (status_of(application), seats_taken(block)) == (S.EXPIRED, 0)


def test_book_now_without_a_deposit_confirms_at_once():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, rotation__deposit_cents=0
    )
    application = application_book_now(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    assert (application.status, application.documents_due_at) == (S.CONFIRMED, None)
    assert unreleased_hold(application).kind == SeatHold.Kind.BOOKING
    assert application.application_fee_status == FEE.DUE


def test_book_now_lets_documents_follow_within_seven_days():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, rotation__deposit_cents=0
    )
    cv, tb = documents
    application = application_book_now(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=[cv]
    )
    assert application.status == S.CONFIRMED
    assert abs(application.documents_due_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    application_documents_send(application=application, actor=applicant.user, documents=[tb])
    application.refresh_from_db()
    assert application.documents_due_at is None
    assert set(application.documents.all()) == {cv, tb}


def test_book_now_still_requires_everything_but_documents():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, rotation__accepts_graduates=False
    )
    with pytest.raises(DomainError, match="requirements"):
        application_book_now(
            applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
        )
    assert not Application.objects.filter(applicant=applicant).exists()
    assert seats_taken(block) == 0


def test_book_now_is_refused_on_a_rotation_the_host_reviews():
    applicant, block, documents = _ready_applicant_and_block()
    with pytest.raises(DomainError, match="not booked at once"):
        application_book_now(
            applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
        )
    assert not Application.objects.filter(applicant=applicant).exists()


def test_book_now_on_a_full_block_is_refused_before_anything_is_written():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, capacity=1
    )
    take_seat(block)
    with pytest.raises(DomainError, match="No seats are left") as refused:
        application_book_now(
            applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
        )
    assert refused.value.status == 409
    assert not Application.objects.filter(applicant=applicant).exists()


def test_a_lapsed_checkout_does_not_keep_a_book_now_block_full():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, capacity=1
    )
    take_seat(block, status=S.AWAITING_PAYMENT, seat=timezone.now() + timedelta(minutes=5))
    with later(minutes=6):
        application = application_book_now(
            applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
        )
    assert status_of(application) == S.AWAITING_PAYMENT and seats_taken(block) == 1


def test_an_application_undecided_for_ten_days_expires_and_both_sides_hear():
    block = BlockFactory()
    host = host_of(block)
    application = ApplicationFactory(block=block, status=S.SUBMITTED, submitted_at=timezone.now())
    reviewed = ApplicationFactory(block=block, status=S.UNDER_REVIEW, submitted_at=timezone.now())
    with later(days=9, hours=23):
        assert holds_sweep().undecided == 0
    with later(days=10, minutes=1):
        assert holds_sweep().undecided == 2
    assert (status_of(application), status_of(reviewed)) == (S.EXPIRED, S.EXPIRED)
    assert Notification.objects.filter(recipient=host, subject__startswith="An application expired undecided")
    application.refresh_from_db()
    assert application.application_fee_status == FEE.WAIVED


def test_the_sweep_offers_a_seat_freed_any_other_way_to_the_waitlist():
    block = BlockFactory(capacity=2)
    take_seat(block)
    first = waitlisted(block)
    assert holds_sweep().promoted == 1
    assert status_of(first) == S.OFFERED


@pytest.mark.parametrize("role", [ActorRole.APPLICANT, ActorRole.HOST])
def test_cancelling_a_booking_gives_its_seat_to_the_waitlist_at_once(role):
    block = BlockFactory(capacity=1)
    booked = take_seat(block)
    first = waitlisted(block)
    host = host_of(block)
    actor, other_side = (
        (booked.applicant.user, host) if role is ActorRole.APPLICANT else (host, booked.applicant.user)
    )
    application_cancel(application=booked, actor=actor, role=role, reason="Plans changed.")
    assert (status_of(booked), status_of(first)) == (S.CANCELLED, S.OFFERED)
    assert SeatHold.objects.get(application=booked).release_reason == SeatHold.ReleaseReason.CANCELLED
    assert Notification.objects.filter(
        recipient=other_side, key__startswith=f"application:{booked.pk}:cancelled:"
    ).exists()
    assert seats_taken(block) == 1


def test_a_host_gives_a_reason_to_cancel():
    booked = take_seat(BlockFactory(capacity=1))
    with pytest.raises(DomainError, match="reason"):
        application_cancel(application=booked, actor=host_of(booked.block), role=ActorRole.HOST)
    assert status_of(booked) == S.CONFIRMED


def test_another_organizations_member_cannot_cancel():
    booked = take_seat(BlockFactory(capacity=1))
    stranger = MembershipFactory().user
    with pytest.raises(DomainError) as refused:
        application_cancel(application=booked, actor=stranger, role=ActorRole.HOST, reason="No.")
    assert refused.value.status == 403
    assert status_of(booked) == S.CONFIRMED and seats_taken(booked.block) == 1


def test_withdrawing_an_offer_frees_its_seat_for_the_waitlist():
    block = BlockFactory(capacity=1)
    offered = ApplicationFactory(block=block, status=S.OFFERED)
    first = waitlisted(block)
    application_withdraw(application=offered, actor=offered.applicant.user)
    assert (status_of(offered), status_of(first)) == (S.WITHDRAWN, S.OFFERED)
    assert seats_taken(block) == 1


def test_a_no_show_is_recorded_from_the_first_day_only():
    block = BlockFactory(capacity=1, start_date=timezone.localdate() + timedelta(days=40))
    booked = take_seat(block)
    host = host_of(block)
    with pytest.raises(DomainError, match="first day"):
        application_record_no_show(application=booked, actor=host)
    with later(days=40):
        application_record_no_show(application=booked, actor=host, reason="Never arrived.")
    assert status_of(booked) == S.NO_SHOW
    assert SeatHold.objects.get(application=booked).release_reason == SeatHold.ReleaseReason.ENDED


def test_an_early_end_needs_a_reason_and_is_recorded():
    booked = take_seat(BlockFactory(capacity=1), status=S.IN_PROGRESS)
    host = host_of(booked.block)
    with pytest.raises(DomainError, match="ended early"):
        application_end_early(application=booked, actor=host, reason="")
    application_end_early(application=booked, actor=host, reason="Family emergency.")
    assert status_of(booked) == S.ENDED_EARLY
    record = ApplicationTransition.objects.filter(application=booked).latest("id")
    assert (record.to_status, record.reason, record.actor) == (S.ENDED_EARLY, "Family emergency.", host)


def test_a_date_change_the_host_approves_moves_the_seat_and_frees_the_old_one():
    block = BlockFactory(capacity=1)
    later_block = BlockFactory(
        rotation=block.rotation, capacity=1, start_date=block.start_date + timedelta(days=60)
    )
    booked = take_seat(block)
    first = waitlisted(block)
    change = block_change_request(
        application=booked,
        actor=booked.applicant.user,
        to_block=later_block,
        reason="Visa appointment moved.",
    )
    block_change_decide(block_change=change, actor=host_of(block), approve=True)
    booked.refresh_from_db()
    assert (booked.block_id, booked.status) == (later_block.pk, S.CONFIRMED)
    assert unreleased_hold(booked).block_id == later_block.pk
    assert (seats_taken(block), seats_taken(later_block)) == (1, 1)
    assert status_of(first) == S.OFFERED  # the old seat went to the waitlist
    change.refresh_from_db()
    assert change.status == BlockChange.Status.APPROVED
    assert blocks_out_of_step() == []


def test_a_date_change_to_a_full_block_is_refused_and_the_booking_stays():
    block = BlockFactory(capacity=1)
    other = BlockFactory(rotation=block.rotation, capacity=1)
    booked = take_seat(block)
    change = block_change_request(application=booked, actor=booked.applicant.user, to_block=other)
    take_seat(other)  # filled while the host had not answered yet
    with pytest.raises(DomainError, match="No seats are left"):
        block_change_decide(block_change=change, actor=host_of(block), approve=True)
    booked.refresh_from_db()
    assert booked.block_id == block.pk and unreleased_hold(booked).block_id == block.pk
    change.refresh_from_db()
    assert change.status == BlockChange.Status.REQUESTED
    third = BlockFactory(rotation=block.rotation, capacity=1)
    take_seat(third)
    with pytest.raises(DomainError, match="no seat left") as refused:
        block_change_request(application=booked, actor=booked.applicant.user, to_block=third)
    assert refused.value.status == 409


def test_a_date_change_stays_within_the_organization_and_one_at_a_time():
    booked = take_seat(BlockFactory(capacity=1))
    elsewhere = BlockFactory()
    with pytest.raises(DomainError, match="same organization"):
        block_change_request(application=booked, actor=booked.applicant.user, to_block=elsewhere)
    sibling = BlockFactory(rotation=booked.block.rotation)
    block_change_request(application=booked, actor=booked.applicant.user, to_block=sibling)
    with pytest.raises(DomainError, match="already has a date change"):
        block_change_request(application=booked, actor=booked.applicant.user, to_block=sibling)


def test_a_declined_date_change_needs_a_reason_and_keeps_the_booking():
    booked = take_seat(BlockFactory(capacity=1))
    sibling = BlockFactory(rotation=booked.block.rotation)
    change = block_change_request(application=booked, actor=booked.applicant.user, to_block=sibling)
    host = host_of(booked.block)
    with pytest.raises(DomainError, match="reason"):
        block_change_decide(block_change=change, actor=host, approve=False)
    block_change_decide(block_change=change, actor=host, approve=False, answer="That block is for students.")
    change.refresh_from_db()
    assert (change.status, change.answer) == (BlockChange.Status.DECLINED, "That block is for students.")
    booked.refresh_from_db()
    assert booked.block_id == change.from_block_id


def test_every_seat_change_keeps_the_cache_equal_to_the_holds():
    block = BlockFactory(capacity=2, rotation__deposit_cents=0)
    one = ApplicationFactory(block=block, status=S.SUBMITTED)
    two = ApplicationFactory(block=block, status=S.SUBMITTED)
    host = host_of(block)
    application_offer(application=one, actor=host)
    application_offer(application=two, actor=host, expires_at=timezone.now() + timedelta(hours=1))
    application_accept(application=one, actor=one.applicant.user)
    with later(hours=2):
        holds_sweep()
    application_cancel(application=one, actor=one.applicant.user, role=ActorRole.APPLICANT)
    active = SeatHold.objects.active(timezone.now()).filter(block=block).count()
    assert active == seats_taken(block) == 0
    assert blocks_out_of_step() == []


def test_bookings_start_on_the_first_day_and_complete_after_the_last():
    block = BlockFactory(capacity=2, start_date=timezone.localdate() + timedelta(days=40), weeks=1)
    booked = take_seat(block)
    cancelled_early = take_seat(block)
    application_cancel(
        application=cancelled_early, actor=cancelled_early.applicant.user, role=ActorRole.APPLICANT
    )
    with later(days=39):
        assert bookings_advance() == (0, 0)
    with later(days=40):
        assert bookings_advance() == (1, 0)
        assert bookings_advance() == (0, 0)
    assert (status_of(booked), status_of(cancelled_early)) == (S.IN_PROGRESS, S.CANCELLED)
    with later(days=46):
        assert bookings_advance() == (0, 0)  # the last day is still under way
    with later(days=47):
        assert bookings_advance() == (0, 1)
    assert status_of(booked) == S.COMPLETED
    record = ApplicationTransition.objects.filter(application=booked).latest("id")
    assert (record.actor_role, record.reason) == ("system", "The rotation ended.")


def test_an_expired_reservation_is_told_to_the_host_with_the_right_article():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW
    )
    host = host_of(block)
    application_book_now(applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents)
    with later(minutes=31):
        assert holds_sweep().expired == 1
    subject = Notification.objects.get(recipient=host, key__contains=":expired:").subject
    assert subject == f"A reservation expired: {block.rotation}"


def test_only_a_booking_can_be_recorded_as_a_no_show():
    offered = ApplicationFactory(status=S.OFFERED)
    with later(days=200), pytest.raises(DomainError, match="Only a booking") as refused:
        application_record_no_show(application=offered, actor=host_of(offered.block))
    assert refused.value.status == 409
    assert status_of(offered) == S.OFFERED
