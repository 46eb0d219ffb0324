"""Advisors: staff assign each booking a staff member as the applicant's named contact
(applicants.services.advisors), in the admin; the applicant reads who on the booking and writes to
them there, the advisor answers from the admin, and the host reads none of it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import Notification
from applicants.models import AdvisorMessage, Application, ApplicationMessage
from applicants.services import advisor_message_post, booking_advisor_assign
from tests.factories import ApplicationFactory, MembershipFactory, StaffFactory, UserFactory
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db
S = Application.Status


@pytest.fixture
def staff():
    return StaffFactory(full_name="Sam Staff")


@pytest.fixture
def advisor():
    return StaffFactory(full_name="Amara Okafor")


def booking(status: str = S.CONFIRMED) -> Application:
    return ApplicationFactory(status=status, submitted_at=timezone.now())


def advisor_of(application: Application):
    return Application.objects.select_related("advisor").get(pk=application.pk).advisor


def notifications_to(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("pk"))


def detail_url(application: Application) -> str:
    return reverse("applicants:application_detail", args=[application.pk])


# --- Assigning ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED], ids=str)
def test_staff_assign_an_advisor_to_a_booking_and_both_are_told_once(staff, advisor, status):
    application = booking(status)

    booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    assigned_at = Application.objects.get(pk=application.pk).advisor_assigned_at
    booking_advisor_assign(application=application, advisor=advisor, actor=staff)

    assert advisor_of(application) == advisor
    assert Application.objects.get(pk=application.pk).advisor_assigned_at == assigned_at
    told = notifications_to(application.applicant.user)
    assert [n.subject for n in told] == [f"Your advisor for {application.block.rotation}: Amara Okafor"]
    assert advisor.email in told[0].body
    assert told[0].link == detail_url(application)
    assert [n.subject for n in notifications_to(advisor)] == [
        f"You advise {application.applicant} on {application.block.rotation}"
    ]


def test_another_advisor_replaces_the_first_and_the_applicant_hears_of_it(staff, advisor):
    application = booking()
    booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    other = StaffFactory(full_name="Lee Chen")

    booking_advisor_assign(application=application, advisor=other, actor=staff)

    assert advisor_of(application) == other
    subjects = [n.subject for n in notifications_to(application.applicant.user)]
    assert subjects == [
        f"Your advisor for {application.block.rotation}: Amara Okafor",
        f"Your advisor for {application.block.rotation}: Lee Chen",
    ]


@pytest.mark.parametrize(
    "who",
    [
        lambda: UserFactory(),
        lambda: MembershipFactory().user,
        lambda: StaffFactory(is_active=False),
    ],
    ids=["a person without a role", "a host member", "a former staff member"],
)
def test_an_advisor_who_is_not_an_active_staff_member_is_refused(staff, who):
    application = booking()
    with pytest.raises(DomainError) as refused:
        booking_advisor_assign(application=application, advisor=who(), actor=staff)
    assert refused.value.message == "An advisor must be an active member of our staff."
    assert advisor_of(application) is None
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "status", [S.SUBMITTED, S.OFFERED, S.AWAITING_PAYMENT, S.WAITLISTED, S.CANCELLED, S.WITHDRAWN], ids=str
)
def test_an_application_that_is_not_a_booking_gets_no_advisor(staff, advisor, status):
    application = booking(status)
    with pytest.raises(DomainError) as refused:
        booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    assert refused.value.status == 409
    assert refused.value.message.endswith(": an advisor is assigned to a confirmed booking.")
    assert advisor_of(application) is None
    assert not Notification.objects.exists()


def test_only_staff_assign_advisors(advisor):
    application = booking()
    with pytest.raises(DomainError) as refused:
        booking_advisor_assign(application=application, advisor=advisor, actor=application.applicant.user)
    assert refused.value.status == 403
    assert advisor_of(application) is None


def test_staff_assign_an_advisor_with_the_admin_action_and_a_non_booking_is_named_as_refused(
    client, staff, advisor
):
    confirmed, submitted = booking(), booking(S.SUBMITTED)
    client.force_login(staff)
    changelist = reverse("admin:applicants_application_changelist")
    selected = {"action": "assign_advisor", "_selected_action": [confirmed.pk, submitted.pk]}

    asked = client.post(changelist, selected)
    assert asked.status_code == 200
    assert "Choose the advisor of these bookings" in asked.content.decode()
    assert advisor_of(confirmed) is None

    done = client.post(changelist, {**selected, "advisor": advisor.pk}, follow=True)

    assert advisor_of(confirmed) == advisor
    assert advisor_of(submitted) is None
    said = [str(message) for message in done.context["messages"]]
    assert (
        f"{submitted}: This application is waiting for the host's review: an advisor is assigned to a "
        "confirmed booking." in said
    )
    assert "Amara Okafor advises 1 booking." in said


def test_the_admin_offers_only_active_staff_as_advisors(client, staff, advisor):
    UserFactory(full_name="Not Staff")
    StaffFactory(full_name="Gone Staff", is_active=False)
    client.force_login(staff)
    asked = client.post(
        reverse("admin:applicants_application_changelist"),
        {"action": "assign_advisor", "_selected_action": [booking().pk]},
    )
    options = asked.context["form"].fields["advisor"].queryset
    assert set(options) == {staff, advisor}


# --- The booking's page and the advisor's thread -------------------------------------------------


def test_the_booking_shows_the_advisor_and_the_applicant_writes_to_them(client, staff, advisor):
    application = booking()
    booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    client.force_login(application.applicant.user)
    page = client.get(detail_url(application)).content.decode()
    assert "Your advisor" in page and "Amara Okafor" in page and f"mailto:{advisor.email}" in page

    response = client.post(
        reverse("applicants:application_advisor_message", args=[application.pk]),
        {"advisor-body": "Which bus goes to the hospital?"},
        follow=True,
    )

    assert "Message sent to your advisor." in [str(m) for m in response.context["messages"]]
    message = AdvisorMessage.objects.get()
    assert (message.author, message.recipient, message.author_role) == (
        application.applicant.user,
        advisor,
        "applicant",
    )
    assert "Which bus goes to the hospital?" in response.content.decode()
    emailed = Notification.objects.get(key=f"application:{application.pk}:advisor-message:{message.pk}")
    assert emailed.recipient == advisor
    assert "Which bus goes to the hospital?" in emailed.body
    assert emailed.link == reverse("admin:applicants_application_change", args=[application.pk])
    assert not ApplicationMessage.objects.exists()  # not the host's thread


def test_the_host_does_not_read_what_the_applicant_tells_the_advisor(client, staff, advisor):
    application = booking()
    booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    advisor_message_post(
        application=application, author=application.applicant.user, body="The preceptor is late."
    )
    coordinator = MembershipFactory(organization=application.block.rotation.organization)
    login(client, coordinator)
    page = client.get(reverse("hosts:application_detail", args=[application.pk])).content.decode()
    assert application.applicant.legal_name in page
    assert "The preceptor is late." not in page
    assert not Notification.objects.filter(recipient=coordinator.user, key__contains="advisor").exists()


def test_an_empty_message_to_the_advisor_is_refused_and_nothing_is_written(client, staff, advisor):
    application = booking()
    booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    client.force_login(application.applicant.user)
    response = client.post(
        reverse("applicants:application_advisor_message", args=[application.pk]),
        {"advisor-body": "  "},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["Message: This field is required."]
    assert not AdvisorMessage.objects.exists()
    with pytest.raises(DomainError, match="Write a message first."):
        advisor_message_post(application=application, author=application.applicant.user, body=" ")


def test_without_an_advisor_the_booking_offers_no_thread_and_a_message_is_refused(client):
    application = booking()
    client.force_login(application.applicant.user)
    assert "Your advisor" not in client.get(detail_url(application)).content.decode()
    response = client.post(
        reverse("applicants:application_advisor_message", args=[application.pk]),
        {"advisor-body": "Hello?"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "This booking has no advisor yet: our staff assign one, and you will be told who."
    ]
    assert not AdvisorMessage.objects.exists()


def test_a_cancelled_booking_closes_the_advisor_thread_but_keeps_it_readable(client, staff, advisor):
    application = booking()
    booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    advisor_message_post(application=application, author=application.applicant.user, body="Thank you.")
    Application.objects.filter(pk=application.pk).update(status=S.CANCELLED)
    with pytest.raises(DomainError) as refused:
        advisor_message_post(application=application, author=advisor, body="You are welcome.")
    assert refused.value.message == "This booking was cancelled, so its advisor's thread is closed."
    client.force_login(application.applicant.user)
    page = client.get(detail_url(application)).content.decode()
    assert "Thank you." in page
    assert reverse("applicants:application_advisor_message", args=[application.pk]) not in page


def test_another_applicants_booking_is_404_and_its_advisor_gets_nothing(client, staff, advisor):
    application = booking()
    booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    client.force_login(booking().applicant.user)
    response = client.post(
        reverse("applicants:application_advisor_message", args=[application.pk]), {"advisor-body": "Hi"}
    )
    assert response.status_code == 404
    assert not AdvisorMessage.objects.exists()


def test_only_the_applicant_and_their_advisor_write_on_the_thread(staff, advisor):
    application = booking()
    booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    for stranger in (staff, booking().applicant.user):
        with pytest.raises(DomainError) as refused:
            advisor_message_post(application=application, author=stranger, body="Hi")
        assert refused.value.status == 403
    assert not AdvisorMessage.objects.exists()


def test_the_advisor_answers_from_the_admin_and_the_applicant_reads_it(client, staff, advisor):
    application = booking()
    booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    advisor_message_post(application=application, author=application.applicant.user, body="Which bus?")
    client.force_login(advisor)
    changelist = reverse("admin:applicants_application_changelist")
    opened = client.post(changelist, {"action": "write_as_advisor", "_selected_action": [application.pk]})
    write = reverse("admin:applicants_application_advisor_message", args=[application.pk])
    assert opened["Location"] == write
    assert "Which bus?" in client.get(write).content.decode()

    refused = client.post(write, {"body": ""})
    assert refused.status_code == 400
    assert AdvisorMessage.objects.count() == 1

    assert client.post(write, {"body": "Take the 66 to Chicago Avenue."}).status_code == 302

    answer = AdvisorMessage.objects.latest("pk")
    assert (answer.author, answer.recipient, answer.author_role) == (
        advisor,
        application.applicant.user,
        "advisor",
    )
    told = Notification.objects.get(key=f"application:{application.pk}:advisor-message:{answer.pk}")
    assert told.recipient == application.applicant.user
    assert told.subject == f"New message from your advisor about {application.block.rotation}"
    client.force_login(application.applicant.user)
    page = client.get(detail_url(application)).content.decode()
    assert "Take the 66 to Chicago Avenue." in page and "Amara Okafor (advisor)" in page


def test_staff_who_are_not_the_advisor_read_the_thread_in_the_admin_but_are_refused_writing(
    client, staff, advisor
):
    application = booking()
    booking_advisor_assign(application=application, advisor=advisor, actor=staff)
    advisor_message_post(application=application, author=application.applicant.user, body="Which bus?")
    client.force_login(staff)
    change = client.get(reverse("admin:applicants_application_change", args=[application.pk]))
    assert "Which bus?" in change.content.decode()
    write = reverse("admin:applicants_application_advisor_message", args=[application.pk])
    response = client.post(write, {"body": "Hello from someone else."})
    assert response.status_code == 400
    assert "Only the applicant and their advisor write on this thread." in response.content.decode()
    assert AdvisorMessage.objects.count() == 1
