from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import Notification
from amo.validators import MAX_REASON_CHARS
from applicants import services
from applicants.models import Application, ApplicationMessage, ApplicationTransition
from applicants.services import MAX_MESSAGE_CHARS
from tests.factories import ApplicationFactory, BlockFactory, MembershipFactory
from tests.hosts.conftest import login, submitted

S = Application.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(tenant_a):
    return tenant_a.coordinator.user


def hold_deadline(application) -> datetime | None:
    """The deadline of the application's unreleased seat hold (an offer's or a checkout's)."""
    return Application.objects.with_hold().get(pk=application.pk).hold_expires_at


def notification_of(application, event: str) -> Notification:
    return Notification.objects.get(key__startswith=f"application:{application.pk}:{event}")


def test_starting_review_moves_to_under_review_and_tells_the_applicant(tenant_a, coordinator):
    application = tenant_a.application
    services.application_start_review(application=application, actor=coordinator)
    assert application.status == S.UNDER_REVIEW
    transition = ApplicationTransition.objects.get(application=application)
    note = notification_of(application, "under_review")
    assert note.key == f"application:{application.pk}:under_review:{transition.pk}"
    assert note.recipient == application.applicant.user
    assert note.link == reverse("applicants:application_detail", kwargs={"pk": application.pk})


def test_an_offer_holds_a_seat_until_a_deadline_and_tells_the_applicant(tenant_a, coordinator):
    application = tenant_a.application
    block = application.block
    application = services.application_offer(application=application, actor=coordinator)
    block.refresh_from_db()
    assert application.status == S.OFFERED
    assert block.seats_taken == 1
    assert (
        timezone.now() + timedelta(days=6) < hold_deadline(application) <= timezone.now() + timedelta(days=7)
    )
    transition = ApplicationTransition.objects.get(application=application)
    assert transition.to_status == S.OFFERED and transition.actor == coordinator
    note = notification_of(application, "offered")
    assert note.key == f"application:{application.pk}:offered:{transition.pk}"
    assert "held for you until" in note.body


def test_the_default_offer_deadline_never_passes_the_block_start(tenant_a, coordinator):
    block = BlockFactory(
        rotation=tenant_a.rotation,
        start_date=timezone.now().date() + timedelta(days=3),
        apply_by=timezone.now().date(),
    )
    application = submitted(block=block)
    services.application_offer(application=application, actor=coordinator)
    assert hold_deadline(application) == datetime.combine(block.start_date, time.min, UTC)


def test_an_offer_deadline_after_the_block_starts_is_refused_and_changes_nothing(tenant_a, coordinator):
    application = tenant_a.application
    late = datetime.combine(application.block.start_date, time.min, UTC) + timedelta(hours=1)
    with pytest.raises(DomainError, match="cannot be after the block starts"):
        services.application_offer(application=application, actor=coordinator, expires_at=late)
    with pytest.raises(DomainError, match="must be in the future"):
        services.application_offer(
            application=application, actor=coordinator, expires_at=timezone.now() - timedelta(minutes=1)
        )
    application.refresh_from_db()
    application.block.refresh_from_db()
    assert application.status == S.SUBMITTED and application.block.seats_taken == 0
    assert not Notification.objects.exists()


def test_an_offer_on_a_full_block_is_refused_and_nothing_changes(tenant_a, coordinator):
    block = BlockFactory(rotation=tenant_a.rotation, capacity=1)
    first, second = submitted(block=block), submitted(block=block)
    services.application_offer(application=first, actor=coordinator)
    with pytest.raises(DomainError, match="No seats are left"):
        services.application_offer(application=second, actor=coordinator)
    second.refresh_from_db()
    block.refresh_from_db()
    assert second.status == S.SUBMITTED
    assert block.seats_taken == 1
    assert not ApplicationTransition.objects.filter(application=second).exists()
    assert not Notification.objects.filter(key__startswith=f"application:{second.pk}:").exists()


def test_rejecting_requires_a_reason_and_the_applicant_reads_it(tenant_a, coordinator):
    application = tenant_a.application
    with pytest.raises(DomainError, match="reason"):
        services.application_reject(application=application, actor=coordinator, reason="  ")
    application.refresh_from_db()
    assert application.status == S.SUBMITTED
    services.application_reject(application=application, actor=coordinator, reason="All seats are committed.")
    assert application.status == S.REJECTED
    assert ApplicationTransition.objects.get(application=application).reason == "All seats are committed."
    assert "All seats are committed." in notification_of(application, "rejected").body


def test_waitlisting_moves_to_waitlisted_and_tells_the_applicant(tenant_a, coordinator):
    application = tenant_a.application
    services.application_waitlist(application=application, actor=coordinator)
    assert application.status == S.WAITLISTED
    assert "waitlist" in notification_of(application, "waitlisted").body
    # A waitlisted applicant can still be offered the seat that opens.
    application = services.application_offer(application=application, actor=coordinator)
    assert application.status == S.OFFERED


def test_asking_for_more_information_posts_on_the_thread_and_notifies(tenant_a, coordinator):
    application = tenant_a.application
    posted = services.application_request_info(
        application=application, actor=coordinator, message="Please upload your BLS certificate."
    )
    assert ApplicationMessage.objects.get() == posted
    assert posted.author_role == "host"
    note = Notification.objects.get(key=f"application:{application.pk}:message:{posted.pk}")
    assert "BLS certificate" in note.body
    application.refresh_from_db()
    assert application.status == S.SUBMITTED
    with pytest.raises(DomainError):
        services.application_request_info(application=application, actor=coordinator, message="")


def test_a_member_of_another_organization_cannot_write_on_the_thread(tenant_a, tenant_b):
    with pytest.raises(DomainError):
        services.application_request_info(
            application=tenant_a.application, actor=tenant_b.coordinator.user, message="Hello"
        )
    assert not ApplicationMessage.objects.exists()


def test_a_preceptor_cannot_write_on_the_thread_even_through_the_service(tenant_a):
    with pytest.raises(DomainError) as error:
        services.application_request_info(
            application=tenant_a.application, actor=tenant_a.preceptor_member.user, message="Hello"
        )
    assert error.value.status == 403
    assert not ApplicationMessage.objects.exists()
    assert not Notification.objects.exists()


def test_the_host_cannot_write_on_a_draft_it_does_not_see(tenant_a, coordinator):
    draft = ApplicationFactory(block=tenant_a.block)
    with pytest.raises(DomainError, match="Submit the application first"):
        services.application_request_info(application=draft, actor=coordinator, message="Hello")
    assert not ApplicationMessage.objects.exists()
    assert not Notification.objects.exists()


def test_an_action_the_status_does_not_allow_is_refused(tenant_a, coordinator):
    application = tenant_a.application
    services.application_reject(application=application, actor=coordinator, reason="No.")
    with pytest.raises(DomainError) as error:
        services.application_offer(application=application, actor=coordinator)
    assert error.value.status == 409
    application.block.refresh_from_db()
    assert application.block.seats_taken == 0


def test_bulk_offers_report_each_result_and_one_refusal_does_not_undo_the_others(tenant_a, coordinator):
    block = BlockFactory(rotation=tenant_a.rotation, capacity=2)
    applications = [submitted(block=block) for _ in range(3)]
    results = services.applications_bulk(applications=applications, actor=coordinator, action="offer")
    assert [r.ok for r in results] == [True, True, False]
    assert "No seats are left" in results[2].message
    statuses = [
        a.status for a in Application.objects.filter(pk__in=[a.pk for a in applications]).order_by("pk")
    ]
    assert statuses == [S.OFFERED, S.OFFERED, S.SUBMITTED]
    block.refresh_from_db()
    assert block.seats_taken == 2
    assert Notification.objects.filter(key__contains=":offered:").count() == 2


def test_bulk_reject_without_a_reason_is_refused_before_touching_any_application(tenant_a, coordinator):
    with pytest.raises(DomainError, match="reason"):
        services.applications_bulk(
            applications=[tenant_a.application, tenant_a.other_application],
            actor=coordinator,
            action="reject",
        )
    assert not Application.objects.filter(status=S.REJECTED).exists()


# --- Through the pages and the API -----------------------------------------------------------------


def test_the_review_page_offers_a_seat_and_shows_refusals(client, tenant_a):
    login(client, tenant_a.coordinator)
    application = tenant_a.application
    page = client.get(reverse("hosts:application_detail", args=[application.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Readiness" in text and tenant_a.document.original_filename in text
    response = client.post(reverse("hosts:application_offer", args=[application.pk]))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == S.OFFERED
    # Offering again: the page says why, nothing changes.
    again = client.post(reverse("hosts:application_offer", args=[application.pk]))
    assert again.status_code == 409
    assert "already holds a seat" in again.content.decode()
    application.block.refresh_from_db()
    assert application.block.seats_taken == 1


@pytest.mark.parametrize(
    ("action", "field", "limit"),
    [("reject", "reason", MAX_REASON_CHARS), ("request-info", "message", MAX_MESSAGE_CHARS)],
)
def test_a_reason_or_message_past_its_bound_is_refused_on_the_page_the_api_and_the_service(
    client, tenant_a, action, field, limit
):
    login(client, tenant_a.coordinator)
    application = tenant_a.application
    too_long = "x" * (limit + 1)
    page_name = {"reject": "hosts:application_reject", "request-info": "hosts:application_request_info"}[
        action
    ]
    page = client.post(reverse(page_name, args=[application.pk]), {field: too_long})
    api = client.post(
        f"/api/v1/host/applications/{application.pk}/{action}/",
        {field: too_long},
        content_type="application/json",
    )
    assert page.status_code == 400, page.status_code
    assert api.status_code == 400 and field in api.json()["extra"]["fields"]
    service = {"reject": services.application_reject, "request-info": services.application_request_info}
    with pytest.raises(DomainError, match=f"{limit} characters"):
        service[action](application=application, actor=tenant_a.coordinator.user, **{field: too_long})
    application.refresh_from_db()
    assert application.status == S.SUBMITTED and not ApplicationMessage.objects.exists()


def test_bulk_reject_with_a_reason_past_its_bound_is_refused_before_touching_any_application(
    tenant_a, coordinator
):
    with pytest.raises(DomainError, match=f"{MAX_REASON_CHARS} characters"):
        services.applications_bulk(
            applications=[tenant_a.application], actor=coordinator, action="reject", reason="x" * 501
        )
    assert not Application.objects.filter(status=S.REJECTED).exists()


def test_the_reject_form_requires_a_reason(client, tenant_a):
    login(client, tenant_a.coordinator)
    url = reverse("hosts:application_reject", args=[tenant_a.application.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Not this year."}).status_code == 302
    tenant_a.application.refresh_from_db()
    assert tenant_a.application.status == S.REJECTED


def test_the_queue_page_waitlists_every_ticked_application(client, tenant_a):
    login(client, tenant_a.coordinator)
    ids = [tenant_a.application.pk, tenant_a.other_application.pk]
    response = client.post(reverse("hosts:applications_bulk"), {"action": "waitlist", "applications": ids})
    assert response.status_code == 302
    assert set(Application.objects.filter(pk__in=ids).values_list("status", flat=True)) == {S.WAITLISTED}


def test_the_api_actions_change_state_and_answer_errors_in_the_house_format(client, tenant_a):
    login(client, tenant_a.coordinator)
    application = tenant_a.application
    url = reverse("hosts_api:application-offer", args=[application.pk])
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "offered"
    again = client.post(url, {}, content_type="application/json")
    assert again.status_code == 409
    assert set(again.json()) == {"message", "extra"}

    other = tenant_a.other_application
    reject = reverse("hosts_api:application-reject", args=[other.pk])
    assert client.post(reject, {}, content_type="application/json").status_code == 400
    assert (
        client.post(reject, {"reason": "Full."}, content_type="application/json").json()["status"]
        == "rejected"
    )

    info = client.post(
        reverse("hosts_api:application-request-info", args=[application.pk]),
        {"message": "Any questions?"},
        content_type="application/json",
    )
    assert info.status_code == 201

    waiting = submitted(block=tenant_a.block)
    bulk = client.post(
        reverse("hosts_api:application-bulk"),
        {"action": "waitlist", "applications": [waiting.pk, application.pk]},
        content_type="application/json",
    )
    assert bulk.status_code == 200
    assert {(row["application_id"], row["ok"]) for row in bulk.json()} == {
        (waiting.pk, True),
        (application.pk, False),
    }


def test_an_owner_may_decide_like_a_coordinator(tenant_a):
    services.application_waitlist(application=tenant_a.application, actor=tenant_a.owner.user)
    assert tenant_a.application.status == S.WAITLISTED


def test_a_preceptor_cannot_decide_even_through_the_service(tenant_a):
    with pytest.raises(DomainError) as error:
        services.application_waitlist(application=tenant_a.application, actor=tenant_a.preceptor_member.user)
    assert error.value.status == 403
    coordinator_elsewhere = MembershipFactory().user
    with pytest.raises(DomainError):
        services.application_offer(application=tenant_a.application, actor=coordinator_elsewhere)
    tenant_a.block.refresh_from_db()
    assert tenant_a.block.seats_taken == 0


def test_the_offer_form_takes_a_deadline_in_utc(client, tenant_a):
    login(client, tenant_a.coordinator)
    application = tenant_a.application
    deadline = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = client.post(
        reverse("hosts:application_offer", args=[application.pk]),
        {"expires_at": deadline.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    assert hold_deadline(application) == deadline


# --- What the review page offers once decided ------------------------------------------------------


def test_the_host_cannot_write_on_the_thread_of_a_rejected_application(tenant_a, coordinator):
    application = tenant_a.application
    services.application_reject(application=application, actor=coordinator, reason="No seats.")
    Notification.objects.all().delete()
    with pytest.raises(DomainError, match="its messages are closed") as error:
        services.application_request_info(application=application, actor=coordinator, message="Hello")
    assert error.value.status == 409
    assert not ApplicationMessage.objects.exists()
    assert not Notification.objects.exists()


def _offer(application, coordinator):
    services.application_offer(application=application, actor=coordinator)


def _reject(application, coordinator):
    services.application_reject(application=application, actor=coordinator, reason="No seats.")


@pytest.mark.parametrize(("decide", "can_message"), [(_offer, True), (_reject, False)])
def test_the_review_page_shows_only_what_the_host_can_still_do(
    client, tenant_a, coordinator, decide, can_message
):
    application = tenant_a.application
    login(client, tenant_a.coordinator)
    url = reverse("hosts:application_detail", args=[application.pk])
    before = client.get(url).content.decode()
    assert 'id="decide-heading"' in before and "Send message" in before

    decide(application, coordinator)

    after = client.get(url).content.decode()
    assert 'id="decide-heading"' not in after
    assert ("Send message" in after) is can_message
    assert (reverse("hosts:application_request_info", args=[application.pk]) in after) is can_message


def test_the_applicants_email_wraps_inside_its_column(client, tenant_a):
    from django.conf import settings

    login(client, tenant_a.coordinator)
    html = client.get(reverse("hosts:application_detail", args=[tenant_a.application.pk])).content.decode()
    email = tenant_a.application.applicant.user.email
    assert f'<dd class="col-6 amo-wrap-anywhere">{email}</dd>' in html
    css = (settings.BASE_DIR / "static" / "css" / "amo.css").read_text()
    assert ".amo-wrap-anywhere { overflow-wrap: anywhere; }" in css
