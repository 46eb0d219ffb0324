"""Verified reviews: only the applicant of a completed booking reviews it, once; the host answers
once, in public; our staff hide a review with a reason, and a hidden review is never shown."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from amo.errors import DomainError
from amo.models import Notification
from applicants.models import Application, Review
from applicants.services import review_answer, review_hide, review_submit, review_unhide
from hosts.models import Membership
from tests.applicants.test_refusal_words import assert_plain
from tests.factories import (
    COMPLETED_BLOCK_START,
    ApplicantFactory,
    ApplicationFactory,
    MembershipFactory,
    OwnerFactory,
    RotationFactory,
    StaffFactory,
    completed_booking,
    review_written,
)
from tests.hosts.conftest import login, make_tenant

pytestmark = pytest.mark.django_db
S = Application.Status
RATINGS = {"teaching_rating": 5, "hands_on_rating": 4, "organization_rating": 3, "value_rating": 4}


@pytest.fixture
def tenant_a():
    return make_tenant("Alpha")


@pytest.fixture
def booking():
    """A completed booking (January 6 to February 2, 2025) on a rotation with an owner."""
    rotation = RotationFactory(title="Nephrology Clerkship")
    OwnerFactory(organization=rotation.organization)
    return completed_booking(rotation, start_date=COMPLETED_BLOCK_START)


def submit(application, actor=None, **changes):
    return review_submit(
        application=application,
        actor=actor or application.applicant.user,
        **{**RATINGS, "text": "Rounds every morning.", **changes},
    )


@pytest.mark.parametrize(
    "status", [S.SUBMITTED, S.CONFIRMED, S.IN_PROGRESS, S.CANCELLED, S.NO_SHOW, S.ENDED_EARLY], ids=str
)
def test_only_a_completed_booking_can_be_reviewed(status):
    application = ApplicationFactory(status=status, submitted_at="2025-01-01T00:00Z", seat=False)
    with pytest.raises(DomainError) as refused:
        submit(application)
    assert refused.value.status == 409
    assert "only a completed rotation can be reviewed" in refused.value.message
    assert_plain(refused.value.message, status)
    assert not Review.objects.exists()


def test_only_the_applicant_of_the_booking_can_review_it(booking):
    someone_else = ApplicantFactory().user
    with pytest.raises(DomainError) as refused:
        submit(booking, actor=someone_else)
    assert refused.value.status == 403
    assert refused.value.message == "Only the applicant who completed this rotation can review it."
    assert not Review.objects.exists()


def test_a_booking_is_reviewed_once_and_the_host_is_told_once(booking):
    review = submit(booking)
    assert (review.teaching_rating, review.hands_on_rating, review.text) == (5, 4, "Rounds every morning.")
    assert review.completed_label == "Completed February 2025"
    with pytest.raises(DomainError) as refused:
        submit(booking, text="Again.")
    assert refused.value.status == 409
    assert refused.value.message == "You already reviewed this rotation: one review per booking."
    assert Review.objects.count() == 1
    owner = Membership.objects.get(organization=booking.block.rotation.organization, role="owner").user
    told = Notification.objects.filter(recipient=owner, subject__startswith="New review")
    assert told.count() == 1


def test_the_database_keeps_one_review_per_booking_and_ratings_from_1_to_5(booking):
    submit(booking)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(application=booking, text="Twice.", **RATINGS)
    other = completed_booking()
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(application=other, text="Six.", **{**RATINGS, "value_rating": 6})
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(application=other, text="", **RATINGS)


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"teaching_rating": 0}, "teaching_rating", "Rate teaching from 1 (poor) to 5 (excellent)."),
        ({"value_rating": 6}, "value_rating", "Rate value from 1 (poor) to 5 (excellent)."),
        (
            {"hands_on_rating": "5"},
            "hands_on_rating",
            "Rate hands-on involvement from 1 (poor) to 5 (excellent).",
        ),
        ({"text": "   "}, "text", "Write a few words about the rotation for future applicants."),
        ({"text": "x" * 3001}, "text", "Keep your review to 3000 characters."),
    ],
)
def test_a_review_out_of_bounds_is_refused_in_words_and_writes_nothing(booking, changes, field, message):
    with pytest.raises(DomainError) as refused:
        submit(booking, **changes)
    assert refused.value.message == message
    assert refused.value.extra["fields"] == {field: [message]}
    assert not Review.objects.exists()


def test_the_host_answers_once_in_public_and_the_applicant_is_told(booking, client):
    review = submit(booking)
    organization = booking.block.rotation.organization
    coordinator = MembershipFactory(organization=organization, role=Membership.Role.COORDINATOR)
    answered = review_answer(review=review, actor=coordinator.user, text="Thank you for joining us.")
    assert answered.answer == "Thank you for joining us." and answered.answered_by == coordinator.user
    with pytest.raises(DomainError) as refused:
        review_answer(review=review, actor=coordinator.user, text="And again.")
    assert refused.value.status == 409
    assert refused.value.message == "This review already has your answer: a host answers a review once."
    assert Review.objects.get().answer == "Thank you for joining us."
    told = Notification.objects.get(
        recipient=booking.applicant.user, subject__contains="answered your review"
    )
    assert "Thank you for joining us." in told.body
    page = client.get(reverse("rotations:detail", args=[booking.block.rotation.slug])).content.decode()
    assert "Thank you for joining us." in page and "Completed February 2025" in page


def test_a_preceptor_or_another_organization_cannot_answer(booking):
    review = submit(booking)
    rotation = booking.block.rotation
    preceptor = MembershipFactory(
        organization=rotation.organization, role=Membership.Role.PRECEPTOR, preceptor=rotation.preceptor
    )
    stranger = OwnerFactory()
    for member in (preceptor, stranger):
        with pytest.raises(DomainError) as refused:
            review_answer(review=review, actor=member.user, text="Mine.")
        assert refused.value.status == 403
    assert Review.objects.get().answered_at is None


def test_staff_hide_a_review_with_a_reason_and_it_is_never_shown(
    booking, client, django_capture_on_commit_callbacks
):
    review = submit(booking, text="The preceptor was rude.")
    staff = StaffFactory()
    with pytest.raises(DomainError) as refused:
        review_hide(review=review, actor=staff, reason=" ")
    assert refused.value.message == "Say why the review is hidden."
    with pytest.raises(DomainError):
        review_hide(review=review, actor=booking.applicant.user, reason="Mine.")
    assert not Review.objects.get().is_hidden

    hidden = review_hide(review=review, actor=staff, reason="Names a person.")
    assert (hidden.hidden_reason, hidden.hidden_by) == ("Names a person.", staff)
    assert Notification.objects.filter(
        recipient=booking.applicant.user, body__contains="Their reason: Names a person."
    ).exists()
    rotation = booking.block.rotation
    page = client.get(reverse("rotations:detail", args=[rotation.slug])).content.decode()
    assert "The preceptor was rude." not in page and "No reviews yet." in page
    api = client.get(reverse("rotations_api:rotation-detail", args=[rotation.pk])).json()
    assert api["track_record"]["ratings"]["cases"] == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(hidden_reason="")

    with django_capture_on_commit_callbacks(execute=True):
        review_unhide(review=review, actor=staff)
    page = client.get(reverse("rotations:detail", args=[rotation.slug])).content.decode()
    assert "The preceptor was rude." in page


def test_a_hidden_review_takes_no_answer(booking):
    review = submit(booking)
    review_hide(review=review, actor=StaffFactory(), reason="Spam.")
    owner = Membership.objects.get(organization=booking.block.rotation.organization, role="owner").user
    with pytest.raises(DomainError) as refused:
        review_answer(review=review, actor=owner, text="Hello.")
    assert refused.value.message == "Our staff hid this review, so it takes no answer."


def test_the_rotation_page_lists_visible_reviews_newest_first_with_their_month(client):
    rotation = RotationFactory()
    january = completed_booking(rotation, start_date=COMPLETED_BLOCK_START)
    march = completed_booking(rotation, start_date=date(2025, 3, 3))
    review_written(january, 4, text="First one.")
    review_written(march, 5, text="Second one.")
    page = client.get(reverse("rotations:detail", args=[rotation.slug])).content.decode()
    assert page.index("Second one.") < page.index("First one.")
    assert "Completed March 2025" in page and "Completed February 2025" in page


# --- The applicant's booking page and API -------------------------------------------------------


def test_the_completed_booking_page_offers_the_form_then_shows_the_review(booking, client):
    client.force_login(booking.applicant.user)
    url = reverse("applicants:application_detail", args=[booking.pk])
    page = client.get(url)
    assert page.context["review_form"] is not None and b"Publish my review" in page.content
    response = client.post(
        reverse("applicants:application_review", args=[booking.pk]), {**RATINGS, "text": "Loved it."}
    )
    assert response.status_code == 302
    page = client.get(url)
    assert page.context["review_form"] is None
    assert page.context["review"].text == "Loved it." and b"Publish my review" not in page.content


def test_a_review_form_with_a_rating_missing_says_which_and_writes_nothing(booking, client):
    client.force_login(booking.applicant.user)
    data = {**RATINGS, "text": "Loved it."}
    del data["value_rating"]
    response = client.post(reverse("applicants:application_review", args=[booking.pk]), data, follow=True)
    assert "Value: This field is required." in response.content.decode()
    assert not Review.objects.exists()


def test_a_booking_not_completed_offers_no_review_form(client):
    application = ApplicationFactory(status=S.CONFIRMED, submitted_at="2025-01-01T00:00Z")
    client.force_login(application.applicant.user)
    page = client.get(reverse("applicants:application_detail", args=[application.pk]))
    assert page.context["review_form"] is None and page.context["review"] is None


def test_the_api_reviews_ones_own_completed_booking_and_no_one_elses(booking, client):
    url = reverse("applicants_api:application_review", args=[booking.pk])
    client.force_login(booking.applicant.user)
    assert client.get(url).status_code == 404
    created = client.post(url, {**RATINGS, "text": "Loved it."}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert (body["teaching_rating"], body["completed_month"], body["hidden"]) == (5, "2025-02", False)
    assert client.get(url).json()["id"] == body["id"]
    again = client.post(url, {**RATINGS, "text": "Again."}, content_type="application/json")
    assert again.status_code == 409

    client.force_login(ApplicantFactory().user)
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {**RATINGS, "text": "Not mine."}, content_type="application/json").status_code == 404
    )
    assert Review.objects.count() == 1


def test_the_api_refuses_a_rating_out_of_range_in_words(booking, client):
    client.force_login(booking.applicant.user)
    url = reverse("applicants_api:application_review", args=[booking.pk])
    response = client.post(url, {**RATINGS, "value_rating": 9, "text": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert "value_rating" in response.json()["extra"]["fields"]
    assert not Review.objects.exists()


# --- The host's side ----------------------------------------------------------------------------


def test_the_host_reviews_page_answers_once_and_a_preceptor_sees_only_theirs(client, tenant_a):
    mine = review_written(completed_booking(tenant_a.rotation), 5, text="Mine to see.")
    other = review_written(completed_booking(tenant_a.other_rotation), 3, text="Not the preceptor's.")
    login(client, tenant_a.preceptor_member)
    page = client.get(reverse("hosts:reviews"))
    assert [review.pk for review in page.context["object_list"]] == [mine.pk]
    assert b"Publish answer" not in page.content
    assert client.post(reverse("hosts:review_answer", args=[mine.pk]), {"answer": "Hi"}).status_code == 403

    login(client, tenant_a.coordinator)
    page = client.get(reverse("hosts:reviews"))
    assert [review.pk for review in page.context["object_list"]] == [other.pk, mine.pk]
    response = client.post(reverse("hosts:review_answer", args=[mine.pk]), {"answer": "Thank you."})
    assert response.status_code == 302
    assert Review.objects.get(pk=mine.pk).answer == "Thank you."
    again = client.post(reverse("hosts:review_answer", args=[mine.pk]), {"answer": "Twice."}, follow=True)
    assert "a host answers a review once" in again.content.decode()
    empty = client.post(reverse("hosts:review_answer", args=[other.pk]), {"answer": ""})
    assert empty.status_code == 400
    assert Review.objects.get(pk=other.pk).answered_at is None


def test_the_host_api_lists_reviews_and_answers_once(client, tenant_a, django_assert_max_num_queries):
    for _ in range(3):
        review_written(completed_booking(tenant_a.rotation), 4)
    login(client, tenant_a.coordinator)
    with django_assert_max_num_queries(12):
        listed = client.get(reverse("hosts_api:review-list"))
    rows = listed.json()["results"]
    assert len(rows) == 3 and rows[0]["rotation_title"] == tenant_a.rotation.title
    for _ in range(5):
        review_written(completed_booking(tenant_a.rotation), 4)
    with django_assert_max_num_queries(12):
        assert len(client.get(reverse("hosts_api:review-list")).json()["results"]) == 8
    url = reverse("hosts_api:review-answer", args=[rows[0]["id"]])
    answered = client.post(url, {"answer": "Thanks."}, content_type="application/json")
    assert answered.status_code == 200 and answered.json()["answer"] == "Thanks."
    assert client.post(url, {"answer": "Again."}, content_type="application/json").status_code == 409
