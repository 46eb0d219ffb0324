"""The host's side of a booking: cancelling it, a no-show, an early end, answering date changes,
and the roster and calendar showing everyone who holds a seat."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import Notification
from applicants.models import Application, BlockChange
from applicants.services import (
    application_accept,
    application_cancel,
    application_record_no_show,
    block_change_decide,
    block_change_request,
)
from applicants.workflow import ActorRole
from rotations.models import Block, SeatHold
from tests.factories import ApplicationFactory, BlockFactory, take_seat
from tests.hosts.conftest import login
from tests.hosts.test_queue import count_queries

S = Application.Status
pytestmark = pytest.mark.django_db


def booked(block: Block, status: str = S.CONFIRMED, **fields) -> Application:
    return take_seat(block, status=status, **fields)


def started_block(tenant, **fields) -> Block:
    today = timezone.now().date()
    return BlockFactory(
        rotation=tenant.rotation, start_date=today, apply_by=today - timedelta(days=7), **fields
    )


def status_of(application: Application) -> str:
    return Application.objects.get(pk=application.pk).status


def unreleased_holds(application: Application) -> int:
    return SeatHold.objects.filter(application=application, released_at__isnull=True).count()


def told(application: Application, event: str) -> Notification:
    return Notification.objects.get(
        key__startswith=f"application:{application.pk}:{event}", recipient=application.applicant.user
    )


def api_post(client, name: str, pk: int, data: dict | None = None):
    return client.post(reverse(name, args=[pk]), data or {}, content_type="application/json")


# --- Cancel ---------------------------------------------------------------------------------------


def test_the_host_cancels_a_booking_with_a_reason_and_the_seat_goes_to_the_waitlist(client, tenant_a):
    block = BlockFactory(rotation=tenant_a.rotation, capacity=1)
    booking = booked(block)
    waiting = ApplicationFactory(block=block, status=S.WAITLISTED, submitted_at=timezone.now())
    login(client, tenant_a.coordinator)

    response = client.post(
        reverse("hosts:application_cancel", args=[booking.pk]), {"reason": "The preceptor is away."}
    )

    assert response.status_code == 302
    assert status_of(booking) == S.CANCELLED
    assert unreleased_holds(booking) == 0
    assert status_of(waiting) == S.OFFERED
    note = told(booking, "cancelled")
    assert note.recipient == booking.applicant.user
    assert "The preceptor is away." in note.body
    assert told(waiting, "offered").recipient == waiting.applicant.user


def test_cancelling_without_a_reason_is_refused_on_the_page_and_the_api_and_changes_nothing(client, tenant_a):
    booking = booked(tenant_a.block)
    login(client, tenant_a.coordinator)

    page = client.post(reverse("hosts:application_cancel", args=[booking.pk]), {"reason": "  "})
    api = api_post(client, "hosts_api:application-cancel", booking.pk, {})

    assert page.status_code == 400
    assert 'id="cancel-reason"' in page.content.decode()
    assert api.status_code == 400 and "reason" in api.json()["extra"]["fields"]
    assert status_of(booking) == S.CONFIRMED and unreleased_holds(booking) == 1
    assert not Notification.objects.filter(key__contains=":cancelled:").exists()


def test_a_preceptor_member_may_not_cancel_a_booking_on_the_page_the_api_or_the_service(client, tenant_a):
    booking = booked(tenant_a.block)  # on the rotation the preceptor supervises: they see it
    login(client, tenant_a.preceptor_member)
    assert client.get(reverse("hosts:application_detail", args=[booking.pk])).status_code == 200

    page = client.post(reverse("hosts:application_cancel", args=[booking.pk]), {"reason": "No."})
    api = api_post(client, "hosts_api:application-cancel", booking.pk, {"reason": "No."})
    with pytest.raises(DomainError) as refused:
        application_cancel(
            application=booking, actor=tenant_a.preceptor_member.user, role=ActorRole.HOST, reason="No."
        )

    assert page.status_code == 403 and api.status_code == 403 and refused.value.status == 403
    assert status_of(booking) == S.CONFIRMED and unreleased_holds(booking) == 1


def test_a_member_of_another_organization_gets_404_for_a_booking_and_the_service_refuses_them(
    client, tenant_a, tenant_b
):
    booking = booked(tenant_a.block)
    login(client, tenant_b.coordinator)
    assert (
        client.post(reverse("hosts:application_cancel", args=[booking.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert api_post(client, "hosts_api:application-cancel", booking.pk, {"reason": "x"}).status_code == 404
    with pytest.raises(DomainError):
        application_cancel(
            application=booking, actor=tenant_b.coordinator.user, role=ActorRole.HOST, reason="Mine now."
        )
    assert status_of(booking) == S.CONFIRMED


def test_only_a_confirmed_booking_can_be_cancelled_by_the_host(client, tenant_a):
    offered = booked(tenant_a.block, status=S.OFFERED)
    login(client, tenant_a.coordinator)
    response = api_post(client, "hosts_api:application-cancel", offered.pk, {"reason": "Changed plans."})
    assert response.status_code == 409
    assert status_of(offered) == S.OFFERED and unreleased_holds(offered) == 1


# --- No-show and early end -------------------------------------------------------------------------


def test_a_no_show_before_the_blocks_first_day_is_refused_with_409(client, tenant_a):
    booking = booked(tenant_a.block)  # starts in 90 days
    login(client, tenant_a.coordinator)

    page = client.post(reverse("hosts:application_no_show", args=[booking.pk]), {"reason": ""})
    api = api_post(client, "hosts_api:application-no-show", booking.pk)

    assert page.status_code == 409
    assert "from the block&#x27;s first day" in page.content.decode()
    assert api.status_code == 409 and set(api.json()) == {"message", "extra"}
    assert status_of(booking) == S.CONFIRMED
    # The page does not offer what would be refused.
    detail = client.get(reverse("hosts:application_detail", args=[booking.pk])).content.decode()
    assert "Record no-show" not in detail and "Cancel booking" in detail


def test_a_no_show_from_the_first_day_releases_the_seat_and_tells_the_applicant(client, tenant_a):
    booking = booked(started_block(tenant_a))
    login(client, tenant_a.coordinator)
    detail = client.get(reverse("hosts:application_detail", args=[booking.pk])).content.decode()
    assert "Record no-show" in detail

    response = client.post(reverse("hosts:application_no_show", args=[booking.pk]), {"reason": ""})

    assert response.status_code == 302
    assert status_of(booking) == S.NO_SHOW and unreleased_holds(booking) == 0
    assert told(booking, "no_show").recipient == booking.applicant.user


def test_the_api_records_a_no_show_with_an_optional_note(client, tenant_a):
    booking = booked(started_block(tenant_a))
    login(client, tenant_a.owner)
    response = api_post(client, "hosts_api:application-no-show", booking.pk, {"reason": "Never arrived."})
    assert response.status_code == 200 and response.json()["status"] == "no_show"
    assert "Never arrived." in told(booking, "no_show").body


def test_an_early_end_needs_a_reason_and_tells_the_applicant(client, tenant_a):
    booking = booked(started_block(tenant_a), status=S.IN_PROGRESS)
    login(client, tenant_a.coordinator)
    detail = client.get(reverse("hosts:application_detail", args=[booking.pk])).content.decode()
    assert "Ended early" in detail and "Cancel booking" not in detail

    page = client.post(reverse("hosts:application_end_early", args=[booking.pk]), {"reason": ""})
    api = api_post(client, "hosts_api:application-end-early", booking.pk, {"reason": ""})
    assert page.status_code == 400 and api.status_code == 400
    assert status_of(booking) == S.IN_PROGRESS

    ok = api_post(client, "hosts_api:application-end-early", booking.pk, {"reason": "Family emergency."})
    assert ok.status_code == 200 and ok.json()["status"] == "ended_early"
    assert unreleased_holds(booking) == 0
    assert "Family emergency." in told(booking, "ended_early").body


def test_an_early_end_of_a_booking_not_yet_under_way_is_refused(client, tenant_a):
    booking = booked(tenant_a.block)
    login(client, tenant_a.coordinator)
    response = api_post(client, "hosts_api:application-end-early", booking.pk, {"reason": "Too soon."})
    assert response.status_code == 409
    assert status_of(booking) == S.CONFIRMED


def test_the_cancel_no_show_and_end_early_service_refuses_an_applicant_posing_as_host(tenant_a):
    booking = booked(started_block(tenant_a))
    with pytest.raises(DomainError) as refused:
        application_record_no_show(application=booking, actor=booking.applicant.user)
    assert refused.value.status == 403
    assert status_of(booking) == S.CONFIRMED


# --- Date changes ---------------------------------------------------------------------------------


def requested_change(tenant, *, to_block: Block | None = None) -> BlockChange:
    booking = booked(tenant.other_block)
    return block_change_request(
        application=booking,
        actor=booking.applicant.user,
        to_block=to_block or tenant.block,
        reason="My exam moved.",
    )


def test_the_date_changes_page_lists_the_organizations_requests_with_a_nav_badge(client, tenant_a, tenant_b):
    change = requested_change(tenant_a)
    theirs = requested_change(tenant_b)
    login(client, tenant_a.coordinator)

    response = client.get(reverse("hosts:block_changes"))

    assert response.status_code == 200
    assert [c.pk for c in response.context["object_list"]] == [change.pk]
    assert response.context["open_block_changes"] == 1
    text = response.content.decode()
    assert change.application.applicant.legal_name in text and "My exam moved." in text
    assert theirs.application.applicant.legal_name not in text
    assert reverse("hosts:block_change_approve", args=[change.pk]) in text


def test_approving_a_date_change_on_the_page_moves_the_booking_and_its_hold(client, tenant_a):
    change = requested_change(tenant_a)
    booking = change.application
    login(client, tenant_a.coordinator)

    response = client.post(reverse("hosts:block_change_approve", args=[change.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("hosts:block_changes")
    change.refresh_from_db()
    assert change.status == BlockChange.Status.APPROVED and change.decided_by == tenant_a.coordinator.user
    booking.refresh_from_db()
    assert booking.block_id == tenant_a.block.pk and booking.status == S.CONFIRMED
    assert SeatHold.objects.get(application=booking, released_at__isnull=True).block_id == tenant_a.block.pk
    assert Block.objects.get(pk=tenant_a.other_block.pk).seats_taken == 0
    assert Block.objects.get(pk=tenant_a.block.pk).seats_taken == 1
    assert told(booking, f"block-change:{change.pk}:approved").recipient == booking.applicant.user


def test_declining_a_date_change_needs_an_answer_the_applicant_reads(client, tenant_a):
    change = requested_change(tenant_a)
    booking = change.application
    login(client, tenant_a.coordinator)
    url = reverse("hosts:block_change_decline", args=[change.pk])

    refused = client.post(url, {"answer": ""})
    assert refused.status_code == 400
    assert f'id="change-{change.pk}-answer"' in refused.content.decode()
    # Asked from the application's page, the refusal is shown there.
    on_application = client.post(url, {"answer": "", "from": "application"})
    assert on_application.status_code == 400
    assert on_application.context["application"].pk == booking.pk
    change.refresh_from_db()
    assert change.status == BlockChange.Status.REQUESTED

    done = client.post(url, {"answer": "That block is full of exams.", "from": "application"})
    assert done["Location"] == reverse("hosts:application_detail", args=[booking.pk])
    change.refresh_from_db()
    assert change.status == BlockChange.Status.DECLINED
    assert Application.objects.get(pk=booking.pk).block_id == tenant_a.other_block.pk
    assert "That block is full of exams." in told(booking, f"block-change:{change.pk}:declined").body


def test_the_application_page_shows_its_date_change_with_the_decision_forms(client, tenant_a):
    change = requested_change(tenant_a)
    login(client, tenant_a.coordinator)
    text = client.get(reverse("hosts:application_detail", args=[change.application_id])).content.decode()
    assert 'id="changes-heading"' in text
    assert reverse("hosts:block_change_decline", args=[change.pk]) in text
    assert 'name="from" value="application"' in text


def test_a_preceptor_sees_date_changes_but_may_not_decide_them(client, tenant_a):
    change = requested_change(tenant_a, to_block=BlockFactory(rotation=tenant_a.other_rotation))
    # The booking is on the other rotation: the preceptor of `rotation` does not see it.
    mine = requested_change_on_preceptors_rotation(tenant_a)
    login(client, tenant_a.preceptor_member)
    page = client.get(reverse("hosts:block_changes"))
    assert [c.pk for c in page.context["object_list"]] == [mine.pk]
    assert reverse("hosts:block_change_approve", args=[mine.pk]) not in page.content.decode()
    assert client.post(reverse("hosts:block_change_approve", args=[mine.pk])).status_code == 403
    assert api_post(client, "hosts_api:block-change-approve", mine.pk).status_code == 403
    with pytest.raises(DomainError) as refused:
        block_change_decide(block_change=mine, actor=tenant_a.preceptor_member.user, approve=True)
    assert refused.value.status == 403
    assert BlockChange.objects.get(pk=mine.pk).status == BlockChange.Status.REQUESTED
    assert BlockChange.objects.get(pk=change.pk).status == BlockChange.Status.REQUESTED


def requested_change_on_preceptors_rotation(tenant) -> BlockChange:
    later = BlockFactory(rotation=tenant.rotation, start_date=tenant.block.start_date + timedelta(weeks=8))
    booking = booked(tenant.block)
    return block_change_request(application=booking, actor=booking.applicant.user, to_block=later)


def test_the_api_lists_approves_and_declines_date_changes(client, tenant_a):
    first = requested_change(tenant_a)
    second = requested_change(tenant_a)
    login(client, tenant_a.coordinator)

    listed = client.get(reverse("hosts_api:block-change-list"), {"status": "requested"})
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert [row["id"] for row in rows] == [first.pk, second.pk]
    assert (
        rows[0]["from_block"]["id"] == tenant_a.other_block.pk
        and rows[0]["to_block"]["id"] == tenant_a.block.pk
    )
    assert client.get(reverse("hosts_api:block-change-list"), {"status": "nope"}).status_code == 400

    no_answer = api_post(client, "hosts_api:block-change-decline", second.pk, {})
    assert no_answer.status_code == 400 and "answer" in no_answer.json()["extra"]["fields"]
    declined = api_post(client, "hosts_api:block-change-decline", second.pk, {"answer": "No room."})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    approved = api_post(client, "hosts_api:block-change-approve", first.pk)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = api_post(client, "hosts_api:block-change-approve", first.pk)
    assert again.status_code == 409 and "already approved" in again.json()["message"]


def test_approving_a_move_to_a_full_block_is_refused_and_nothing_moves(client, tenant_a):
    full = BlockFactory(
        rotation=tenant_a.rotation, capacity=1, start_date=tenant_a.block.start_date + timedelta(weeks=6)
    )
    change = requested_change(tenant_a, to_block=full)
    take_seat(full)  # filled while the request waited for the host
    login(client, tenant_a.coordinator)
    response = api_post(client, "hosts_api:block-change-approve", change.pk)
    assert response.status_code == 409
    assert BlockChange.objects.get(pk=change.pk).status == BlockChange.Status.REQUESTED
    assert Application.objects.get(pk=change.application_id).block_id == tenant_a.other_block.pk


def roomy(*blocks: Block) -> None:
    Block.objects.filter(pk__in=[block.pk for block in blocks]).update(capacity=50)


def test_the_date_change_lists_cost_the_same_queries_for_few_or_many(
    client, tenant_a, django_assert_max_num_queries
):
    roomy(tenant_a.block, tenant_a.other_block)
    requested_change(tenant_a)
    login(client, tenant_a.coordinator)
    page = reverse("hosts:block_changes")
    api = reverse("hosts_api:block-change-list")
    few_page, few_api = count_queries(client, page), count_queries(client, api)
    for _ in range(8):
        requested_change(tenant_a)
    with django_assert_max_num_queries(few_page):
        assert len(client.get(page).context["object_list"]) == 9
    with django_assert_max_num_queries(few_api):
        assert len(client.get(api).json()["results"]) == 9


# --- Roster, calendar, overview ------------------------------------------------------------------


def seated_everyone(tenant) -> dict[str, Application]:
    block = tenant.block
    deadline = timezone.now() + timedelta(days=3)
    return {
        S.OFFERED: booked(block, status=S.OFFERED, seat=deadline),
        S.AWAITING_PAYMENT: booked(block, status=S.AWAITING_PAYMENT, seat=deadline),
        S.CONFIRMED: booked(block, documents_due_at=timezone.now() - timedelta(days=1)),
    }


@pytest.mark.parametrize("name", ["hosts:roster", "hosts:calendar"])
def test_the_roster_and_calendar_show_every_seated_application_with_its_deadlines(client, tenant_a, name):
    seated = seated_everyone(tenant_a)
    running = booked(started_block(tenant_a), status=S.IN_PROGRESS)
    login(client, tenant_a.coordinator)

    response = client.get(reverse(name))

    text = response.content.decode()
    for application in [*seated.values(), running]:
        assert application.applicant.legal_name in text
    assert "Awaiting payment" in text and "In progress" in text
    offer = Application.objects.with_hold().get(pk=seated[S.OFFERED].pk)
    assert f"held until {offer.hold_expires_at:%b} {offer.hold_expires_at.day}" in text
    assert "documents due" in text and "Overdue" in text
    # Not seated: the submitted applications of the fixture.
    assert tenant_a.application.applicant.legal_name not in text


def test_the_roster_costs_the_same_queries_for_few_or_many_seated(
    client, tenant_a, django_assert_max_num_queries
):
    roomy(tenant_a.block, tenant_a.other_block)
    seated_everyone(tenant_a)
    login(client, tenant_a.coordinator)
    url = reverse("hosts:roster")
    few = count_queries(client, url)
    for _ in range(3):
        seated_everyone(tenant_a)
        booked(tenant_a.other_block)
    with django_assert_max_num_queries(few):
        client.get(url)


def test_the_application_page_shows_the_hold_and_overdue_documents(client, tenant_a):
    seated = seated_everyone(tenant_a)
    login(client, tenant_a.coordinator)
    offer = client.get(reverse("hosts:application_detail", args=[seated[S.OFFERED].pk])).content.decode()
    assert "offer hold until" in offer and "accepts or declines" in offer
    checkout = client.get(
        reverse("hosts:application_detail", args=[seated[S.AWAITING_PAYMENT].pk])
    ).content.decode()
    assert "checkout hold until" in checkout
    booking = client.get(reverse("hosts:application_detail", args=[seated[S.CONFIRMED].pk])).content.decode()
    assert "booking hold, no deadline" in booking
    assert "Documents due:" in booking and "Overdue" in booking


def test_the_overview_counts_payments_awaited_bookings_and_open_date_changes(client, tenant_a):
    requested_change(tenant_a)  # asked while the block still had a seat
    seated_everyone(tenant_a)
    login(client, tenant_a.coordinator)
    response = client.get(reverse("hosts:dashboard"))
    counts = response.context["counts"]
    assert counts.offers_pending == 1 and counts.awaiting_payment == 1
    assert counts.confirmed == 2  # the seated one and the booking asking to move
    assert response.context["open_block_changes"] == 1


def test_the_offer_form_shows_its_default_deadline_in_the_one_date_format(client, tenant_a):
    login(client, tenant_a.coordinator)
    text = client.get(reverse("hosts:application_detail", args=[tenant_a.application.pk])).content.decode()
    default = timezone.now() + timedelta(days=7)
    assert f"Leave empty for {default:%b} {default.day}, {default.year}" in text, [
        line for line in text.splitlines() if "Leave empty" in line or "expires_at" in line
    ]


def test_an_accepted_offer_awaiting_its_deposit_reads_as_waiting_for_the_payment(client, tenant_a):
    block = BlockFactory(rotation=tenant_a.rotation, capacity=2)
    tenant_a.rotation.deposit_cents = 30_000
    tenant_a.rotation.save(update_fields=["deposit_cents"])
    application = ApplicationFactory(block=block, status=S.OFFERED, submitted_at=timezone.now())
    application_accept(application=application, actor=application.applicant.user)
    login(client, tenant_a.coordinator)

    page = client.get(reverse("hosts:application_detail", args=[application.pk])).content.decode()

    assert "(while the applicant pays)" in page
    assert "accepts or declines" not in page
