"""The end-of-rotation evaluation: who may submit it (the rotation's preceptor member, the host's
owners and coordinators, our staff; never another rotation's preceptor, another organization or the
applicant), only for a completed booking, once, with each answer checked in words and nothing
saved on a refusal; the database's own constraints behind it; the applicant told and shown it."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from amo.errors import DomainError
from amo.models import Notification
from applicants.models import COMPETENCIES, Application, CompletionCertificate, Evaluation
from applicants.services import evaluation_submit
from hosts.models import Membership
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OwnerFactory,
    RotationFactory,
    StaffFactory,
    UserFactory,
    completed_booking,
)

pytestmark = pytest.mark.django_db
S = Application.Status


def answers(**overrides) -> dict:
    """A full evaluation as a preceptor fills it: every competency rated, hours, attendance."""
    data = {
        "ratings": {field: 4 for field, _, _ in COMPETENCIES},
        "comments": {field: f"Solid {name.lower()}." for field, name, _ in COMPETENCIES},
        "hours_completed": 150,
        "attendance": Evaluation.Attendance.EVERY_DAY,
        "days_missed": 0,
        "overall_comment": "A careful, kind student; I would gladly write her a letter.",
    }
    data.update(overrides)
    return data


def preceptor_member(application: Application) -> Membership:
    rotation = application.block.rotation
    return MembershipFactory(
        organization=rotation.organization, role=Membership.Role.PRECEPTOR, preceptor=rotation.preceptor
    )


def submit(application: Application, actor, **overrides) -> Evaluation:
    return evaluation_submit(application=application, actor=actor, **answers(**overrides))


def nothing_saved(application: Application) -> bool:
    return (
        not Evaluation.objects.filter(application=application).exists()
        and not CompletionCertificate.objects.filter(application=application).exists()
    )


# --- Who may submit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["preceptor", "owner", "coordinator", "staff"])
def test_the_rotations_preceptor_its_managers_and_staff_each_submit_an_evaluation(who):
    booking = completed_booking()
    organization = booking.block.rotation.organization
    actor = {
        "preceptor": lambda: preceptor_member(booking).user,
        "owner": lambda: OwnerFactory(organization=organization).user,
        "coordinator": lambda: MembershipFactory(organization=organization).user,
        "staff": lambda: StaffFactory(),
    }[who]()
    evaluation = submit(booking, actor)
    assert (evaluation.submitted_by, evaluation.preceptor) == (actor, booking.block.rotation.preceptor)
    assert evaluation.patient_care == 4 and evaluation.hours_completed == 150
    assert CompletionCertificate.objects.filter(application=booking).count() == 1


def _another_rotations_preceptor(booking):
    organization = booking.block.rotation.organization
    other = RotationFactory(organization=organization)
    return MembershipFactory(
        organization=organization, role=Membership.Role.PRECEPTOR, preceptor=other.preceptor
    ).user


OTHERS = {
    "the applicant": lambda booking: booking.applicant.user,
    "another rotation's preceptor": _another_rotations_preceptor,
    "a preceptor member not linked to a preceptor": lambda booking: (
        MembershipFactory(
            organization=booking.block.rotation.organization, role=Membership.Role.PRECEPTOR
        ).user
    ),
    "another organization's owner": lambda booking: OwnerFactory().user,
    "a person with no role": lambda booking: UserFactory(),
}


@pytest.mark.parametrize("who", list(OTHERS))
def test_anyone_else_is_refused_in_words_and_nothing_is_saved(who):
    booking = completed_booking()
    with pytest.raises(DomainError) as refused:
        submit(booking, OTHERS[who](booking))
    assert refused.value.status == 403
    assert "Only the rotation's preceptor" in refused.value.message
    assert nothing_saved(booking)


# --- When ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [S.CONFIRMED, S.IN_PROGRESS, S.ENDED_EARLY, S.NO_SHOW, S.CANCELLED], ids=str
)
def test_a_booking_that_is_not_completed_is_refused_in_words(status):
    booking = ApplicationFactory(status=status)
    with pytest.raises(DomainError) as refused:
        submit(booking, StaffFactory())
    assert refused.value.status == 409
    assert refused.value.message.startswith("A rotation is evaluated once it is completed.")
    assert nothing_saved(booking)


def test_a_second_evaluation_or_a_correction_is_refused_and_the_first_stands():
    booking = completed_booking()
    member = preceptor_member(booking).user
    first = submit(booking, member)
    with pytest.raises(DomainError) as refused:
        submit(booking, StaffFactory(), hours_completed=10, overall_comment="Changed my mind.")
    assert refused.value.status == 409
    assert "once submitted it cannot be changed" in refused.value.message
    assert list(Evaluation.objects.filter(application=booking)) == [first]
    assert Evaluation.objects.get(application=booking).hours_completed == 150
    assert CompletionCertificate.objects.filter(application=booking).count() == 1


def test_a_rotation_without_a_preceptor_is_refused_until_one_is_named():
    booking = completed_booking(block__rotation__preceptor=None)
    with pytest.raises(DomainError) as refused:
        submit(booking, StaffFactory())
    assert "name its preceptor first" in refused.value.message
    assert nothing_saved(booking)


# --- What each answer may be -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        (
            {"ratings": {**answers()["ratings"], "patient_care": 6}},
            "patient_care",
            "Rate patient care from 1",
        ),
        ({"ratings": {**answers()["ratings"], "professionalism": 0}}, "professionalism", "from 1"),
        ({"ratings": {**answers()["ratings"], "medical_knowledge": True}}, "medical_knowledge", "from 1"),
        ({"ratings": {"patient_care": 4}}, "medical_knowledge", "Rate medical knowledge"),
        ({"hours_completed": 0}, "hours_completed", "a whole number from 1"),
        ({"hours_completed": 321}, "hours_completed", "at most 320 hours"),
        ({"attendance": "sometimes"}, "attendance", "Say whether the applicant attended every"),
        ({"attendance": "missed_some", "days_missed": 0}, "days_missed", "from 1 to 28"),
        ({"attendance": "missed_some", "days_missed": 29}, "days_missed", "from 1 to 28"),
        ({"overall_comment": "   "}, "overall_comment", "Write an overall comment"),
        ({"comments": {"patient_care": "x" * 1001}}, "patient_care_comment", "1000 characters"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_answer_out_of_bounds_is_refused_in_words_and_nothing_is_saved(overrides, field, words):
    booking = completed_booking(weeks=4)
    with pytest.raises(DomainError) as refused:
        submit(booking, StaffFactory(), **overrides)
    assert words in refused.value.message
    assert list(refused.value.extra["fields"]) == [field]
    assert nothing_saved(booking)


def test_every_scheduled_day_counts_no_day_missed_whatever_was_sent():
    booking = completed_booking()
    evaluation = submit(booking, StaffFactory(), attendance="every_day", days_missed=3)
    assert evaluation.days_missed == 0
    assert evaluation.attendance_line == "Attended every scheduled day"


def test_days_missed_are_kept_with_the_attendance_that_says_so():
    evaluation = submit(completed_booking(), StaffFactory(), attendance="missed_some", days_missed=2)
    assert (evaluation.attendance, evaluation.days_missed) == ("missed_some", 2)
    assert evaluation.attendance_line == "Missed 2 scheduled days"


# --- The database behind the service ----------------------------------------------------------------


def _row(booking, **fields) -> Evaluation:
    values = {field: 3 for field, _, _ in COMPETENCIES}
    values.update(hours_completed=100, attendance="every_day", days_missed=0, overall_comment="Good.")
    values.update(fields)
    return Evaluation(
        application=booking,
        preceptor=booking.block.rotation.preceptor,
        submitted_by=StaffFactory(),
        submitted_at=booking.created_at,
        **values,
    )


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"patient_care": 6}, "evaluation_patient_care_rating_1_to_5"),
        ({"systems_based_practice": 0}, "evaluation_systems_based_practice_rating_1_to_5"),
        ({"hours_completed": 0}, "evaluation_hours_range"),
        ({"hours_completed": 4161}, "evaluation_hours_range"),
        ({"attendance": "missed_some", "days_missed": 0}, "evaluation_attendance_days_missed"),
        ({"attendance": "every_day", "days_missed": 2}, "evaluation_attendance_days_missed"),
        ({"overall_comment": ""}, "evaluation_overall_comment"),
    ],
)
def test_the_database_refuses_an_evaluation_out_of_bounds(fields, constraint):
    booking = completed_booking()
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        _row(booking, **fields).save()


def test_the_database_refuses_to_change_or_remove_a_submitted_evaluation():
    booking = completed_booking()
    evaluation = submit(booking, StaffFactory())
    with pytest.raises(Exception, match="fixed once submitted"), transaction.atomic():
        Evaluation.objects.filter(pk=evaluation.pk).update(patient_care=5)
    with pytest.raises(Exception, match="fixed once submitted"), transaction.atomic():
        CompletionCertificate.objects.filter(application=booking).update(hours_completed=1)
    with pytest.raises(Exception, match="fixed once submitted"), transaction.atomic():
        Evaluation.objects.filter(pk=evaluation.pk).delete()
    assert Evaluation.objects.get(pk=evaluation.pk).patient_care == 4


def test_a_second_evaluation_row_for_one_booking_is_refused_by_the_database():
    booking = completed_booking()
    submit(booking, StaffFactory())
    with pytest.raises(IntegrityError, match="application_id"), transaction.atomic():
        _row(booking).save()


# --- The applicant told and shown -------------------------------------------------------------------


def test_the_applicant_is_told_once_with_the_certificates_code():
    booking = completed_booking(block__rotation__title="Cardiology Ward Clerkship")
    submit(booking, StaffFactory())
    certificate = CompletionCertificate.objects.get(application=booking)
    told = Notification.objects.get(
        recipient=booking.applicant.user, key=f"application:{booking.pk}:evaluation"
    )
    assert "Cardiology Ward Clerkship" in told.subject
    assert certificate.code_display in told.body
    assert told.link == reverse("applicants:application_detail", args=[booking.pk])


def test_the_booking_page_says_the_evaluation_is_awaited_before_it_is_submitted(client):
    booking = completed_booking()
    client.force_login(booking.applicant.user)
    page = client.get(reverse("applicants:application_detail", args=[booking.pk])).content.decode()
    assert 'id="evaluation-awaited"' in page
    assert "certificate.pdf" not in page


def test_the_booking_page_shows_the_ratings_comments_hours_attendance_and_certificate(client):
    booking = completed_booking()
    submit(
        booking,
        StaffFactory(),
        ratings={**answers()["ratings"], "professionalism": 5},
        attendance="missed_some",
        days_missed=1,
        hours_completed=152,
    )
    certificate = CompletionCertificate.objects.get(application=booking)
    client.force_login(booking.applicant.user)
    page = client.get(reverse("applicants:application_detail", args=[booking.pk])).content.decode()
    for _, name, _ in COMPETENCIES:
        assert name in page
    assert "Solid professionalism." in page and "5 of 5" in page and "Well above expectations" in page
    assert "152" in page and "Missed 1 scheduled day" in page
    assert "I would gladly write her a letter." in page
    assert reverse("applicants:application_certificate", args=[booking.pk]) in page
    assert certificate.code_display in page
    assert 'id="evaluation-awaited"' not in page


def test_no_evaluation_section_before_the_rotation_is_completed(client):
    booking = ApplicationFactory(status=S.IN_PROGRESS)
    client.force_login(booking.applicant.user)
    page = client.get(reverse("applicants:application_detail", args=[booking.pk])).content.decode()
    assert "evaluation-heading" not in page
