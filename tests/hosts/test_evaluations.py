"""The host's side of the evaluation: the booking page says "Evaluation to write" once a booking is
completed; the evaluation page's form (radio 1 to 5 per competency) submits it through the service;
a preceptor member reaches only their own rotations' bookings; the API reads and submits it."""

import pytest
from django.urls import reverse

from applicants.models import COMPETENCIES, CompletionCertificate, Evaluation
from applicants.services import evaluation_submit
from hosts.models import Membership
from tests.applicants.test_evaluations import answers
from tests.factories import MembershipFactory, RotationFactory, completed_booking
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    return completed_booking(weeks=4, applicant__legal_name="Amina Okafor")


def member(booking, role=Membership.Role.PRECEPTOR, preceptor="own") -> Membership:
    rotation = booking.block.rotation
    if preceptor == "own":
        preceptor = rotation.preceptor
    elif preceptor == "other":
        preceptor = RotationFactory(organization=rotation.organization).preceptor
    return MembershipFactory(organization=rotation.organization, role=role, preceptor=preceptor)


def form_data(**overrides) -> dict:
    data = {field: "4" for field, _, _ in COMPETENCIES}
    data.update({f"{field}_comment": f"Good {name.lower()}." for field, name, _ in COMPETENCIES})
    data.update(
        hours_completed="150", attendance="every_day", days_missed="", overall_comment="Ready for residency."
    )
    data.update(overrides)
    return data


def evaluation_url(booking) -> str:
    return reverse("hosts:application_evaluation", args=[booking.pk])


def test_the_booking_page_says_evaluation_to_write_with_a_link_for_the_preceptor(client, booking):
    login(client, member(booking))
    page = client.get(reverse("hosts:application_detail", args=[booking.pk])).content.decode()
    assert "Evaluation to write." in page
    assert evaluation_url(booking) in page


def test_the_booking_page_says_when_it_was_submitted_once_it_is(client, booking):
    coordinator = member(booking, role=Membership.Role.COORDINATOR, preceptor=None)
    evaluation_submit(application=booking, actor=coordinator.user, **answers())
    login(client, coordinator)
    page = client.get(reverse("hosts:application_detail", args=[booking.pk])).content.decode()
    assert "Evaluation to write" not in page
    assert "Evaluation submitted on" in page


def test_the_form_shows_a_radio_from_1_to_5_with_its_words_for_each_competency(client, booking):
    login(client, member(booking))
    response = client.get(evaluation_url(booking))
    assert response.status_code == 200
    page = response.content.decode()
    for field, name, _ in COMPETENCIES:
        assert f'<legend class="fs-6 fw-semibold mb-1">{name}</legend>' in page
        assert page.count(f'type="radio" name="{field}"') == 5
    assert "1: Well below expectations" in page and "5: Well above expectations" in page
    assert 'name="hours_completed"' in page and 'max="320"' in page
    assert "Attended every scheduled day" in page and "Missed some days" in page


def test_the_preceptor_submits_the_form_and_the_applicant_gets_the_certificate(client, booking):
    preceptor = member(booking)
    login(client, preceptor)
    response = client.post(evaluation_url(booking), form_data(professionalism="5"))
    assert response.status_code == 302
    assert response.url == reverse("hosts:application_detail", args=[booking.pk])
    evaluation = Evaluation.objects.get(application=booking)
    assert (evaluation.submitted_by, evaluation.professionalism, evaluation.patient_care) == (
        preceptor.user,
        5,
        4,
    )
    assert evaluation.professionalism_comment == "Good professionalism."
    assert CompletionCertificate.objects.filter(application=booking).exists()
    # Afterwards the page shows what was submitted, and no form.
    page = client.get(evaluation_url(booking)).content.decode()
    assert 'id="evaluation-fixed"' in page and "<form" not in page.split("</nav>")[-1]


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"patient_care": "6"}, "Rate patient care from 1 to 5."),
        ({"patient_care": ""}, "Rate patient care."),
        ({"hours_completed": "321"}, "less than or equal to 320"),
        ({"attendance": "missed_some", "days_missed": ""}, "Give the number of days missed"),
        ({"overall_comment": ""}, "This field is required."),
    ],
)
def test_a_wrong_answer_is_shown_on_the_form_in_words_and_nothing_is_saved(client, booking, overrides, words):
    login(client, member(booking))
    response = client.post(evaluation_url(booking), form_data(**overrides))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Evaluation.objects.filter(application=booking).exists()


def test_a_second_submission_is_refused_on_the_form(client, booking):
    coordinator = member(booking, role=Membership.Role.COORDINATOR, preceptor=None)
    evaluation_submit(application=booking, actor=coordinator.user, **answers())
    login(client, coordinator)
    response = client.post(evaluation_url(booking), form_data(hours_completed="10"))
    assert response.status_code == 409
    assert "once submitted it cannot be changed" in response.content.decode()
    assert Evaluation.objects.get(application=booking).hours_completed == 150


def test_another_rotations_preceptor_gets_a_404_on_the_page_and_the_api(client, booking):
    login(client, member(booking, preceptor="other"))
    assert client.get(evaluation_url(booking)).status_code == 404
    assert client.post(evaluation_url(booking), form_data()).status_code == 404
    url = reverse("hosts_api:application-evaluation", args=[booking.pk])
    assert client.post(url, api_data(), content_type="application/json").status_code == 404
    assert not Evaluation.objects.filter(application=booking).exists()


def test_a_preceptor_member_not_linked_to_a_preceptor_sees_no_booking_to_evaluate(client, booking):
    login(client, member(booking, preceptor=None))
    assert client.post(evaluation_url(booking), form_data()).status_code == 404
    assert not Evaluation.objects.filter(application=booking).exists()


def api_data(**overrides) -> dict:
    data = {field: 4 for field, _, _ in COMPETENCIES}
    data.update(patient_care_comment="Thorough histories.", hours_completed=150, attendance="missed_some")
    data.update(days_missed=2, overall_comment="Ready for residency.")
    data.update(overrides)
    return data


def test_the_api_submits_and_then_reads_the_evaluation_as_the_preceptor(client, booking):
    login(client, member(booking))
    url = reverse("hosts_api:application-evaluation", args=[booking.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, api_data(), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ratings"][0]["comment"] == "Thorough histories."
    assert (body["attendance"], body["days_missed"], body["hours_completed"]) == ("missed_some", 2, 150)
    assert client.get(url).json() == body


def test_the_api_refuses_a_rating_of_6_in_words_and_saves_nothing(client, booking):
    login(client, member(booking))
    url = reverse("hosts_api:application-evaluation", args=[booking.pk])
    response = client.post(url, api_data(patient_care=6), content_type="application/json")
    assert response.status_code == 400
    assert "Patient care" in response.json()["message"]
    assert list(response.json()["extra"]["fields"]) == ["patient_care"]
    assert not Evaluation.objects.filter(application=booking).exists()


def test_the_api_refuses_a_booking_not_completed_with_a_409(client, tenant_a):
    login(client, tenant_a.coordinator)
    url = reverse("hosts_api:application-evaluation", args=[tenant_a.application.pk])
    response = client.post(url, api_data(), content_type="application/json")
    assert response.status_code == 409
    assert response.json()["message"].startswith("A rotation is evaluated once it is completed.")
