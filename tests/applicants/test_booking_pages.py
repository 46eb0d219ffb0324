"""The applicant's booking pages: the offer's deadline, accepting and declining, the deposit step,
cancelling with the refund shown first, moving a booking, sending late documents, and book now from
the rotation's page. Every action is a POST that comes back to the application's page."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from applicants.models import Application, BlockChange
from rotations.models import Block, Rotation, SeatHold
from tests.applicants.test_apply import STATEMENT, _ready_applicant_and_block
from tests.factories import (
    ApplicationFactory,
    BlockChangeFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    take_seat,
)

pytestmark = pytest.mark.django_db
S = Application.Status


def status_of(application: Application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def seats_taken(block: Block) -> int:
    return Block.objects.values_list("seats_taken", flat=True).get(pk=block.pk)


def signed_in(client, application: Application):
    client.force_login(application.applicant.user)
    return client


def detail_url(application: Application) -> str:
    return reverse("applicants:application_detail", args=[application.pk])


def action_url(application: Application, action: str) -> str:
    return reverse(f"applicants:application_{action}", args=[application.pk])


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Offers -----------------------------------------------------------------------------------------


def test_an_offer_shows_its_deadline_and_both_answers(client):
    deadline = timezone.now().replace(microsecond=0) + timedelta(days=3)
    application = ApplicationFactory(status=S.OFFERED, seat=deadline)
    response = signed_in(client, application).get(detail_url(application))
    page = response.content.decode()
    assert "Offer held for you until" in page
    assert f"{deadline:%b} {deadline.day}, {deadline.year} {deadline:%H:%M}" in page
    assert action_url(application, "accept") in page
    assert action_url(application, "decline") in page


def test_accepting_an_offer_with_a_deposit_awaits_the_payment_and_says_the_amount(client):
    application = ApplicationFactory(status=S.OFFERED, block__rotation__deposit_cents=50_000)
    signed_in(client, application).post(action_url(application, "accept"))
    assert status_of(application) == S.AWAITING_PAYMENT
    page = client.get(detail_url(application)).content.decode()
    assert "Deposit to confirm your seat: <strong>$500.00</strong>" in page
    assert reverse("applicants:application_pay", args=[application.pk, "deposit"]) in page
    assert "Accept the offer" not in page


def test_accepting_an_offer_without_a_deposit_confirms_the_booking(client):
    application = ApplicationFactory(status=S.OFFERED, block__rotation__deposit_cents=0)
    response = signed_in(client, application).post(action_url(application, "accept"), follow=True)
    assert status_of(application) == S.CONFIRMED
    assert "Cancel booking" in response.content.decode()


def test_an_expired_offer_cannot_be_accepted_and_the_page_says_so(client):
    application = ApplicationFactory(status=S.OFFERED, seat=timezone.now() + timedelta(minutes=5))
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = signed_in(client, application).post(action_url(application, "accept"), follow=True)
    assert status_of(application) == S.OFFERED
    assert any("expired" in message for message in page_messages(response))


def test_declining_an_offer_frees_its_seat_and_keeps_the_reason(client):
    application = ApplicationFactory(status=S.OFFERED)
    block = application.block
    assert seats_taken(block) == 1
    signed_in(client, application).post(action_url(application, "decline"), {"decline-reason": "Visa delay"})
    assert status_of(application) == S.DECLINED
    assert seats_taken(block) == 0
    assert application.transitions.get(to_status=S.DECLINED).reason == "Visa delay"


def test_another_applicants_application_is_404_for_every_action(client):
    application = ApplicationFactory(status=S.OFFERED)
    intruder = ApplicationFactory(status=S.SUBMITTED)
    client.force_login(intruder.applicant.user)
    for action in ("accept", "decline", "cancel", "block_change", "documents"):
        assert client.post(action_url(application, action)).status_code == 404
    assert client.get(action_url(application, "cancel")).status_code == 404
    assert status_of(application) == S.OFFERED


def test_the_actions_take_only_posts(client):
    application = ApplicationFactory(status=S.OFFERED)
    signed_in(client, application)
    for action in ("accept", "decline", "block_change", "documents"):
        assert client.get(action_url(application, action)).status_code == 405
    assert status_of(application) == S.OFFERED


def test_accepting_what_is_no_offer_is_refused_with_a_message(client):
    application = ApplicationFactory(status=S.SUBMITTED)
    response = signed_in(client, application).post(action_url(application, "accept"), follow=True)
    assert status_of(application) == S.SUBMITTED
    assert page_messages(response)


# --- Cancelling a booking ---------------------------------------------------------------------------


def _confirmed(**fields) -> Application:
    start = date.today() + timedelta(days=45)
    return ApplicationFactory(
        status=S.CONFIRMED,
        submitted_at=timezone.now(),
        block__start_date=start,
        block__rotation__cancellation_policy=Rotation.CancellationPolicy.MODERATE,
        **fields,
    )


def test_the_cancel_page_shows_todays_refund_before_anything_changes(client):
    application = _confirmed()
    response = signed_in(client, application).get(action_url(application, "cancel"))
    assert response.status_code == 200
    quote = response.context["quote"]
    # Moderate policy, 45 days before the start: half of what was paid of the program fee.
    assert quote.refund_percent == 50
    assert quote.program_fee_refund_cents == quote.program_fee_paid_cents * 50 // 100
    assert "Refund today by the moderate policy (50%)" in response.content.decode()
    assert status_of(application) == S.CONFIRMED
    assert seats_taken(application.block) == 1


def test_confirming_the_cancellation_frees_the_seat(client):
    application = _confirmed()
    response = signed_in(client, application).post(
        action_url(application, "cancel"), {"reason": "Exam date moved"}, follow=True
    )
    assert status_of(application) == S.CANCELLED
    assert seats_taken(application.block) == 0
    assert "Booking cancelled." in page_messages(response)


def test_only_a_confirmed_booking_offers_cancellation(client):
    application = ApplicationFactory(status=S.OFFERED)
    response = signed_in(client, application).post(action_url(application, "cancel"), follow=True)
    assert status_of(application) == S.OFFERED
    assert "Only a confirmed booking can be cancelled." in page_messages(response)


def test_a_reason_too_long_is_a_form_error_and_cancels_nothing(client):
    application = _confirmed()
    response = signed_in(client, application).post(action_url(application, "cancel"), {"reason": "x" * 5000})
    assert response.status_code == 400
    assert status_of(application) == S.CONFIRMED


# --- Moving a booking -------------------------------------------------------------------------------


def test_a_booking_asks_to_move_to_another_open_block_and_shows_the_hosts_answer(client):
    application = _confirmed()
    rotation = application.block.rotation
    later = BlockFactory(rotation=rotation, start_date=application.block.start_date + timedelta(days=60))
    full = BlockFactory(rotation=rotation, capacity=1, start_date=later.start_date + timedelta(days=30))
    take_seat(full)
    page = signed_in(client, application).get(detail_url(application))
    choices = list(page.context["block_change_form"].fields["to_block"].queryset)
    assert choices == [later]
    client.post(action_url(application, "block_change"), {"to_block": later.pk, "reason": "Visa"})
    change = BlockChange.objects.get(application=application)
    assert (change.to_block, change.status) == (later, BlockChange.Status.REQUESTED)
    change.status, change.answer, change.decided_at = (
        BlockChange.Status.DECLINED,
        "No preceptor then",
        timezone.now(),
    )
    change.save()
    page = client.get(detail_url(application)).content.decode()
    assert "Declined" in page and "No preceptor then" in page


def test_moving_to_a_block_that_is_not_offered_is_refused_and_writes_nothing(client):
    application = _confirmed()
    elsewhere = BlockFactory()
    response = signed_in(client, application).post(
        action_url(application, "block_change"), {"to_block": elsewhere.pk}, follow=True
    )
    assert not BlockChange.objects.exists()
    assert page_messages(response)


# --- Documents that follow a booking ----------------------------------------------------------------


def test_documents_due_are_sent_from_the_vault_and_stop_being_due(client):
    applicant, block, documents = _ready_applicant_and_block(
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, rotation__deposit_cents=0
    )
    cv, tb = documents
    application = ApplicationFactory(
        applicant=applicant,
        block=block,
        status=S.CONFIRMED,
        submitted_at=timezone.now(),
        documents_due_at=timezone.now() + timedelta(days=7),
    )
    application.documents.set([cv])
    client.force_login(applicant.user)
    assert "Send your remaining documents" in client.get(detail_url(application)).content.decode()
    client.post(action_url(application, "documents"), {"documents": [tb.pk]})
    application.refresh_from_db()
    assert application.documents_due_at is None
    assert set(application.documents.all()) == {cv, tb}


def test_someone_elses_document_cannot_be_sent(client):
    application = _confirmed(documents_due_at=timezone.now() + timedelta(days=7))
    foreign = DocumentFactory()
    response = signed_in(client, application).post(
        action_url(application, "documents"), {"documents": [foreign.pk]}, follow=True
    )
    assert not application.documents.filter(pk=foreign.pk).exists()
    assert page_messages(response)


# --- Book now ---------------------------------------------------------------------------------------


def _book_now_block(**fields):
    return _ready_applicant_and_block(rotation__booking_mode=Rotation.BookingMode.BOOK_NOW, **fields)


def test_the_rotation_page_offers_book_now_to_applicants_and_sign_in_to_others(client):
    applicant, block, _ = _book_now_block()
    url = reverse("rotations:detail", args=[block.rotation.slug])
    book = reverse("applicants:book_now", args=[block.pk])
    anonymous = client.get(url).content.decode()
    assert "Sign in to book" in anonymous and book in anonymous
    client.force_login(applicant.user)
    page = client.get(url).content.decode()
    assert f'href="{book}"' in page and "Book now" in page


def test_a_full_book_now_block_links_to_its_waitlist(client):
    applicant, block, _ = _book_now_block(capacity=1)
    take_seat(block)
    client.force_login(applicant.user)
    page = client.get(reverse("rotations:detail", args=[block.rotation.slug])).content.decode()
    assert "Full — join the waitlist" in page
    assert reverse("applicants:apply", args=[block.pk]) in page
    assert reverse("applicants:book_now", args=[block.pk]) not in page


def test_booking_now_holds_a_seat_for_the_deposit(client):
    applicant, block, documents = _book_now_block()
    client.force_login(applicant.user)
    url = reverse("applicants:book_now", args=[block.pk])
    assert client.get(url).context["book_now"] is True
    response = client.post(
        url,
        {"personal_statement": STATEMENT, "documents": [d.pk for d in documents], "action": "book"},
        follow=True,
    )
    application = Application.objects.get(applicant=applicant, block=block)
    assert application.status == S.AWAITING_PAYMENT
    hold = SeatHold.objects.unreleased().get(application=application)
    assert hold.kind == SeatHold.Kind.CHECKOUT
    # Straight on to paying the deposit, while the checkout hold lasts.
    assert response.redirect_chain[-1][0] == reverse(
        "applicants:application_pay", args=[application.pk, "deposit"]
    )
    assert "Your seat is held until" in response.content.decode()


def test_the_book_page_says_which_documents_may_follow(client):
    applicant, block, documents = _book_now_block(rotation__deposit_cents=0)
    client.force_login(applicant.user)
    url = reverse("applicants:book_now", args=[block.pk])
    response = client.post(
        url, {"personal_statement": STATEMENT, "documents": [documents[0].pk], "action": "save"}, follow=True
    )
    page = response.content.decode()
    assert "may follow within 7 days" in page
    assert response.context["ready"] is True
    client.post(url, {"personal_statement": STATEMENT, "documents": [documents[0].pk], "action": "book"})
    application = Application.objects.get(applicant=applicant, block=block)
    assert application.status == S.CONFIRMED
    assert application.documents_due_at is not None


def test_a_block_that_fills_before_booking_sends_to_its_waitlist_with_nothing_written(client):
    applicant, block, documents = _book_now_block(capacity=1)
    client.force_login(applicant.user)
    url = reverse("applicants:book_now", args=[block.pk])
    client.get(url)
    take_seat(block)
    response = client.post(
        url, {"personal_statement": STATEMENT, "documents": [d.pk for d in documents], "action": "book"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("applicants:apply", args=[block.pk])
    assert not Application.objects.filter(applicant=applicant).exists()


def test_book_now_on_a_rotation_the_host_reviews_goes_to_the_apply_page(client):
    applicant, block, _ = _ready_applicant_and_block()
    client.force_login(applicant.user)
    response = client.get(reverse("applicants:book_now", args=[block.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("applicants:apply", args=[block.pk])


# --- Dashboard --------------------------------------------------------------------------------------


def test_the_dashboard_shows_each_seated_deadline_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    applicant = ApplicationFactory(status=S.OFFERED).applicant
    EmailAddressFactory(user=applicant.user)
    client.force_login(applicant.user)
    client.get(reverse("applicants:dashboard"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("applicants:dashboard"))
    for status in (S.OFFERED, S.AWAITING_PAYMENT, S.CONFIRMED, S.OFFERED):
        application = ApplicationFactory(applicant=applicant, status=status, submitted_at=timezone.now())
        if status == S.CONFIRMED:
            BlockChangeFactory(
                application=application, to_block=BlockFactory(rotation=application.block.rotation)
            )
    with django_assert_max_num_queries(len(few)) as many:
        response = client.get(reverse("applicants:dashboard"))
    assert len(many) == len(few)
    page = response.content.decode()
    # Three offers (the first and two more) and the seat awaiting payment show their deadline.
    assert (page.count("Offer held for you until"), page.count("Seat held for you until")) == (3, 1)
    assert "Awaiting payment" in page
