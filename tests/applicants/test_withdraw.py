from datetime import date, timedelta

import pytest
from django.urls import reverse

from amo.errors import DomainError
from applicants.models import Application, ApplicationMessage
from applicants.selectors import refund_quote
from applicants.services import application_message_post, application_reject, application_withdraw
from applicants.workflow import ActorRole
from rotations.models import Block
from tests.factories import ApplicationFactory, MembershipFactory, StaffFactory, take_seat

pytestmark = pytest.mark.django_db
S = Application.Status


def test_withdrawing_an_offer_releases_the_seat():
    application = ApplicationFactory(status=S.OFFERED)

    application_withdraw(application=application, actor=application.applicant.user, reason="Visa delayed")

    assert application.status == S.WITHDRAWN
    assert Block.objects.get(pk=application.block_id).seats_taken == 0
    assert application.transitions.get().reason == "Visa delayed"


def test_withdrawing_a_submitted_application_leaves_the_seats_alone():
    application = ApplicationFactory(status=S.SUBMITTED)
    take_seat(application.block)  # someone else's booking
    application_withdraw(application=application, actor=application.applicant.user)
    assert Block.objects.get(pk=application.block_id).seats_taken == 1


@pytest.mark.parametrize(
    "status", [S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED, S.REJECTED, S.WITHDRAWN, S.EXPIRED]
)
def test_withdrawing_from_a_status_without_that_edge_is_refused(status):
    application = ApplicationFactory(status=status)
    with pytest.raises(DomainError):
        application_withdraw(application=application, actor=application.applicant.user)
    application.refresh_from_db()
    assert application.status == status


def test_the_refund_quote_follows_the_policy_tier_of_today():
    application = ApplicationFactory(
        block__start_date=date.today() + timedelta(days=45)
    )  # moderate: 30–59 days
    quote = refund_quote(application=application)
    assert quote.refund_percent == 50
    assert quote.program_fee_paid_cents == 0 and quote.program_fee_refund_cents == 0
    assert quote.application_fee_refund_cents == 0
    assert [w.refund_percent for w in quote.schedule] == [50, 0]  # the 100% window is already over


def test_the_detail_page_shows_the_refund_before_the_applicant_confirms(client):
    application = ApplicationFactory(status=S.SUBMITTED)
    client.force_login(application.applicant.user)
    url = reverse("applicants:application_detail", args=[application.pk])

    html = client.get(url).content.decode()
    assert "Refund today by the policy" in html and "Confirm withdrawal" in html
    # The fee is still due (payments come later): withdrawing means it will not be charged.
    assert "will not be charged once you withdraw" in html
    assert "The application fee is not refunded" not in html
    Application.objects.filter(pk=application.pk).update(application_fee_status=Application.FeeStatus.PAID)
    assert "The application fee is not refunded" in client.get(url).content.decode()

    response = client.post(url, {"form": "withdraw", "reason": "Found another rotation"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == S.WITHDRAWN
    assert "Confirm withdrawal" not in client.get(url).content.decode()


def test_another_applicant_gets_404_on_my_application(client):
    application = ApplicationFactory(status=S.SUBMITTED)
    client.force_login(ApplicationFactory().applicant.user)
    url = reverse("applicants:application_detail", args=[application.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"form": "withdraw"}).status_code == 404
    application.refresh_from_db()
    assert application.status == S.SUBMITTED


def test_the_applicant_and_the_host_write_on_the_thread_and_outsiders_cannot():
    application = ApplicationFactory(status=S.SUBMITTED)
    coordinator = MembershipFactory(organization=application.block.rotation.organization).user
    application_message_post(
        application=application, author=application.applicant.user, role=ActorRole.APPLICANT, body="Hello"
    )
    application_message_post(application=application, author=coordinator, role=ActorRole.HOST, body="Welcome")
    with pytest.raises(DomainError):
        application_message_post(
            application=application, author=MembershipFactory().user, role=ActorRole.HOST, body="Spam"
        )
    with pytest.raises(DomainError):
        application_message_post(application=application, author=coordinator, role=ActorRole.HOST, body="  ")
    assert list(application.messages.values_list("body", flat=True)) == ["Hello", "Welcome"]


def test_the_applicant_posts_on_the_thread_from_the_detail_page(client):
    application = ApplicationFactory(status=S.SUBMITTED)
    client.force_login(application.applicant.user)
    url = reverse("applicants:application_detail", args=[application.pk])
    client.post(url, {"form": "message", "body": "When does rounding start?"})
    assert ApplicationMessage.objects.get().body == "When does rounding start?"
    assert "When does rounding start?" in client.get(url).content.decode()


def test_staff_read_an_application_with_its_timeline_in_the_admin_and_cannot_edit_its_status(client):
    application = ApplicationFactory(status=S.SUBMITTED)
    application_withdraw(application=application, actor=application.applicant.user, reason="Exams moved")
    client.force_login(StaffFactory())
    url = reverse("admin:applicants_application_change", args=[application.pk])
    html = client.get(url).content.decode()
    assert "Exams moved" in html
    assert 'name="status"' not in html


# --- The application fee of an ended application ----------------------------------------------


def test_withdrawing_waives_an_application_fee_never_paid(client):
    application = ApplicationFactory(status=S.SUBMITTED, application_fee_status=Application.FeeStatus.DUE)
    application_withdraw(application=application, actor=application.applicant.user)
    assert application.application_fee_status == Application.FeeStatus.WAIVED

    client.force_login(application.applicant.user)
    html = client.get(reverse("applicants:application_detail", args=[application.pk])).content.decode()
    assert "Application fee: $100.00 (waived)" in html and "(due)" not in html


def test_withdrawing_keeps_a_paid_application_fee_paid():
    application = ApplicationFactory(status=S.SUBMITTED, application_fee_status=Application.FeeStatus.PAID)
    application_withdraw(application=application, actor=application.applicant.user)
    assert application.application_fee_status == Application.FeeStatus.PAID


def test_a_host_rejection_waives_an_application_fee_never_paid():
    application = ApplicationFactory(status=S.SUBMITTED, application_fee_status=Application.FeeStatus.DUE)
    coordinator = MembershipFactory(organization=application.block.rotation.organization).user
    application_reject(application=application, actor=coordinator, reason="No seats this year.")
    assert application.application_fee_status == Application.FeeStatus.WAIVED


def test_a_submitted_applicant_is_told_when_the_fee_is_collected_and_that_the_host_may_review(client):
    application = ApplicationFactory(status=S.SUBMITTED, application_fee_status=Application.FeeStatus.DUE)
    client.force_login(application.applicant.user)
    html = client.get(reverse("applicants:dashboard")).content.decode()
    assert "The host can already review your application." in html
    assert "Pay the application fee ($100.00) on the application page." in html
    assert "is now due" not in html and "fee is due" not in html


def test_a_withdrawn_applications_thread_is_closed_on_the_page_and_in_the_service(client):
    application = ApplicationFactory(status=S.SUBMITTED)
    user = application.applicant.user
    client.force_login(user)
    url = reverse("applicants:application_detail", args=[application.pk])
    assert "Send message" in client.get(url).content.decode()

    application_withdraw(application=application, actor=user)

    assert "Send message" not in client.get(url).content.decode()
    with pytest.raises(DomainError, match="its messages are closed"):
        application_message_post(application=application, author=user, role=ActorRole.APPLICANT, body="Hello")
    assert not ApplicationMessage.objects.exists()
