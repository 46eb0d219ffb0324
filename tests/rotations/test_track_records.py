"""Track records against figures computed by hand from known records: average ratings (hidden
reviews left out), the host's response rate and median days to a decision, the preceptor's letter
rate and median days to a letter; each shown only from 5 cases, and said in words below that;
cached, and counted again when a case closes; the same few queries however many cases."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.lor_workflow import ActorRole as LetterRole
from applicants.lor_workflow import transition as lor_transition
from applicants.models import Application, LetterRequest, Review
from applicants.services import (
    application_expire_undecided,
    application_offer,
    application_reject,
    application_start_review,
    application_waitlist,
    application_withdraw,
    review_hide,
)
from hosts.models import Membership
from hosts.track_records import (
    TRACK_RECORD_MIN_CASES,
    organization_track_record,
    preceptor_track_record,
    rotation_track_record,
    track_records_refresh,
)
from tests.factories import (
    ApplicationFactory,
    BlockFactory,
    MembershipFactory,
    PreceptorFactory,
    RotationFactory,
    StaffFactory,
    completed_booking,
    review_written,
)

pytestmark = pytest.mark.django_db
S = Application.Status

# Five reviews, (teaching, hands-on, organization, value) each. By hand: teaching 21/5 = 4.2,
# hands-on 20/5 = 4.0, organization 18/5 = 3.6, value 21/5 = 4.2, overall 80/20 = 4.0.
FIVE = [(5, 4, 3, 5), (4, 4, 4, 4), (5, 5, 2, 3), (3, 4, 5, 4), (4, 3, 4, 5)]
FIVE_AVERAGES = {
    "teaching_rating": Decimal("4.2"),
    "hands_on_rating": Decimal("4.0"),
    "organization_rating": Decimal("3.6"),
    "value_rating": Decimal("4.2"),
}


def reviewed(rotation, ratings_list):
    return [review_written(completed_booking(rotation), *ratings) for ratings in ratings_list]


def test_five_reviews_give_their_exact_averages_and_a_hidden_one_is_left_out():
    rotation = RotationFactory()
    reviewed(rotation, FIVE)
    hidden = review_written(completed_booking(rotation), 1)
    review_hide(review=hidden, actor=StaffFactory(), reason="Spam.")
    ratings = rotation_track_record(rotation).ratings
    assert (ratings.shown, ratings.reason, ratings.cases) == (True, "", 5)
    assert ratings.averages == FIVE_AVERAGES
    assert ratings.overall == Decimal("4.0")


def test_four_reviews_are_not_enough_and_say_so_in_words():
    rotation = RotationFactory()
    reviewed(rotation, FIVE[:4])
    ratings = rotation_track_record(rotation).ratings
    assert not ratings.shown
    assert ratings.reason == "Fewer than 5 reviews so far (4 of the 5 needed)."
    assert TRACK_RECORD_MIN_CASES == 5


def test_an_average_halfway_between_tenths_rounds_up():
    """Teaching 5, 5, 4, 4, 4, 4, 4, 4: 34 / 8 = 4.25, shown as 4.3."""
    rotation = RotationFactory()
    reviewed(rotation, [(5, 3, 3, 3)] * 2 + [(4, 3, 3, 3)] * 6)
    ratings = rotation_track_record(rotation).ratings
    assert ratings.averages["teaching_rating"] == Decimal("4.3")
    # Overall: (34 + 24 * 3) / 32 = 106 / 32 = 3.3125.
    assert ratings.overall == Decimal("3.3")


def test_an_organization_counts_all_its_rotations_and_a_preceptor_only_theirs():
    rotation = RotationFactory()
    other = RotationFactory(organization=rotation.organization)  # another preceptor's
    reviewed(rotation, FIVE[:3])
    reviewed(other, FIVE[3:])
    organization = organization_track_record(rotation.organization).ratings
    assert (organization.cases, organization.averages) == (5, FIVE_AVERAGES)
    preceptor = preceptor_track_record(rotation.preceptor).ratings
    assert preceptor.cases == 3
    # By hand over the first three: teaching 14/3 = 4.67, organization 9/3 = 3.0.
    assert (preceptor.averages["teaching_rating"], preceptor.averages["organization_rating"]) == (
        Decimal("4.7"),
        Decimal("3.0"),
    )


# --- The host's response ------------------------------------------------------------------------


@pytest.fixture
def host():
    """A host-review rotation with a coordinator, and when its applications were sent."""
    rotation = RotationFactory()
    coordinator = MembershipFactory(organization=rotation.organization, role=Membership.Role.COORDINATOR)
    return rotation, coordinator.user, timezone.now().replace(microsecond=0)


def sent(rotation, at):
    block = BlockFactory(rotation=rotation, capacity=5)
    return ApplicationFactory(block=block, status=S.SUBMITTED, submitted_at=at)


def on_day(sent_at, days, action):
    with time_machine.travel(sent_at + timedelta(days=days), tick=False):
        action()


def test_the_response_rate_and_median_days_to_decide_count_only_what_the_host_decided(
    host, django_capture_on_commit_callbacks
):
    """Decided by the host after 1, 2, 4 and 7 days; one left to expire; one withdrawn and one booked
    at once (no cases); one still waiting (not closed). Response 4/5 = 80%; median of 1, 2, 4, 7 is
    (2 + 4) / 2 = 3 days, but 4 decisions are too few to show it. A fifth decision, after 5 days
    (under review first), makes the median of 1, 2, 4, 5, 7: 4 days, shown; response 5/6 = 83%."""
    rotation, coordinator, at = host
    applications = [sent(rotation, at) for _ in range(7)]
    offered, rejected, waitlisted, late, expiring, withdrawn, waiting = applications
    on_day(at, 1, lambda: application_offer(application=offered, actor=coordinator))
    on_day(at, 2, lambda: application_reject(application=rejected, actor=coordinator, reason="Full."))
    on_day(at, 4, lambda: application_waitlist(application=waitlisted, actor=coordinator))
    on_day(at, 7, lambda: application_offer(application=late, actor=coordinator))
    on_day(at, 11, lambda: application_expire_undecided(application_id=expiring.pk))
    on_day(at, 3, lambda: application_withdraw(application=withdrawn, actor=withdrawn.applicant.user))
    ApplicationFactory(block=BlockFactory(rotation=rotation), status=S.CONFIRMED, submitted_at=at)
    assert Application.objects.get(pk=waiting.pk).status == S.SUBMITTED

    record = organization_track_record(rotation.organization)
    assert (record.response_rate.cases, record.response_rate.percent, record.response_rate.shown) == (
        5,
        80,
        True,
    )
    assert (record.decision_days.cases, record.decision_days.days) == (4, Decimal("3.0"))
    assert not record.decision_days.shown
    assert (
        record.decision_days.reason
        == "Not enough decisions yet to show the time to decide (4 of the 5 needed)."
    )

    on_day(at, 1, lambda: application_start_review(application=waiting, actor=coordinator))
    on_day(at, 5, lambda: application_reject(application=waiting, actor=coordinator, reason="No."))
    with django_capture_on_commit_callbacks(execute=True):
        track_records_refresh(organization_id=rotation.organization_id)
    record = organization_track_record(rotation.organization)
    assert (record.response_rate.cases, record.response_rate.percent) == (6, 83)
    assert (record.decision_days.shown, record.decision_days.days, record.decision_days.label) == (
        True,
        Decimal("4.0"),
        "4 days",
    )


def test_half_days_to_a_decision_are_kept_to_a_tenth(host):
    """Decisions after 12, 36, 60, 84 and 108 hours: the median is 60 hours, 2.5 days."""
    rotation, coordinator, at = host
    for hours in (12, 36, 60, 84, 108):
        application = sent(rotation, at)
        with time_machine.travel(at + timedelta(hours=hours), tick=False):
            application_waitlist(application=application, actor=coordinator)
    days = organization_track_record(rotation.organization).decision_days
    assert (days.days, days.label) == (Decimal("2.5"), "2.5 days")


# --- The preceptor's letters --------------------------------------------------------------------


def letter(
    preceptor, *, requested: int = 0, accepted: int | None = None, submitted: int | None = None, **fields
):
    """A letter request to `preceptor`, its times that many days after January 1, 2025."""
    start = timezone.make_aware(timezone.datetime(2025, 1, 1))
    day = lambda n: None if n is None else start + timedelta(days=n)  # noqa: E731
    status = "submitted" if submitted is not None else "accepted" if accepted is not None else "requested"
    return LetterRequest.objects.create(
        application=completed_booking(
            RotationFactory(organization=preceptor.organization, preceptor=preceptor)
        ),
        preceptor=preceptor,
        author_name=preceptor.full_name,
        author_title="Attending physician",
        author_email="author@example.test",
        eras_letter_id=f"L{LetterRequest.objects.count() + 1000}",
        due_on=date(2025, 9, 1),
        request_form="letters/form.pdf",
        waiver_wording="I waive my right to see this letter.",
        waiver_recorded_at=start,
        requested_at=day(requested),
        status=fields.pop("status", status),
        accepted_at=day(accepted),
        submitted_at=day(submitted),
        eras_submitted_on=day(submitted).date() if submitted is not None else None,
        **fields,
    )


def test_the_letter_rate_is_letters_submitted_over_letters_accepted(django_capture_on_commit_callbacks):
    """Accepted 5, submitted 4 (after 10, 14, 20 and 30 days): 4/5 = 80%; the median of 10, 14, 20,
    30 is 17 days but rests on 4 letters. A sixth accepted and submitted after 12 days: 5/6 = 83%,
    median of 10, 12, 14, 20, 30 = 14 days. Requested and never accepted, or declined: no case."""
    preceptor = PreceptorFactory()
    for days in (10, 14, 20, 30):
        letter(preceptor, accepted=2, submitted=days)
    letter(preceptor, accepted=3)
    letter(preceptor)
    letter(preceptor, status="declined", declined_at=timezone.now(), decline_reason="Too busy.")
    record = preceptor_track_record(preceptor)
    assert (record.letter_rate.cases, record.letter_rate.percent, record.letter_rate.shown) == (5, 80, True)
    assert (record.letter_days.days, record.letter_days.shown) == (Decimal("17.0"), False)
    assert record.letter_days.reason == (
        "Not enough letters submitted yet to show the time to a letter (4 of the 5 needed)."
    )
    letter(preceptor, accepted=1, submitted=12)
    with django_capture_on_commit_callbacks(execute=True):
        track_records_refresh(preceptor_id=preceptor.pk)  # as the letters' services do when one closes
    record = preceptor_track_record(preceptor)
    assert (record.letter_rate.cases, record.letter_rate.percent) == (6, 83)
    assert (record.letter_days.days, record.letter_days.label, record.letter_days.shown) == (
        Decimal("14.0"),
        "14 days",
        True,
    )


def test_a_letter_accepted_or_submitted_refreshes_its_authors_figures_once_committed(
    django_capture_on_commit_callbacks,
):
    preceptor = PreceptorFactory()
    requested = letter(preceptor)
    assert preceptor_track_record(preceptor).letter_rate.cases == 0
    with django_capture_on_commit_callbacks(execute=True):
        lor_transition(requested, LetterRequest.Status.ACCEPTED, actor=StaffFactory(), role=LetterRole.STAFF)
    assert preceptor_track_record(preceptor).letter_rate.cases == 1


def test_too_few_letters_say_how_many_of_the_five_are_there():
    preceptor = PreceptorFactory()
    for days in (10, 14, 20):
        letter(preceptor, accepted=2, submitted=days)
    rate = preceptor_track_record(preceptor).letter_rate
    assert (rate.shown, rate.percent) == (False, 100)
    assert rate.reason == "Not enough letters yet to show a rate (3 of the 5 needed)."


# --- The cache ----------------------------------------------------------------------------------


def test_figures_come_from_the_cache_until_a_case_closes(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    rotation = RotationFactory()
    reviewed(rotation, FIVE)
    assert rotation_track_record(rotation).ratings.cases == 5
    with django_assert_num_queries(0):
        assert rotation_track_record(rotation).ratings.cases == 5
    # A row written behind the services' back is not seen: the cache answers.
    Review.objects.filter(pk=Review.objects.first().pk).update(teaching_rating=1)
    assert rotation_track_record(rotation).ratings.averages == FIVE_AVERAGES
    # A review written through the service closes a case: once committed, counted again.
    with django_capture_on_commit_callbacks(execute=True):
        review_written(completed_booking(rotation), 5)
    ratings = rotation_track_record(rotation).ratings
    assert ratings.cases == 6 and ratings.averages["teaching_rating"] != FIVE_AVERAGES["teaching_rating"]


def test_a_host_decision_refreshes_the_organizations_figures_once_committed(
    host, django_capture_on_commit_callbacks
):
    rotation, coordinator, at = host
    applications = [sent(rotation, at) for _ in range(5)]
    assert organization_track_record(rotation.organization).response_rate.cases == 0
    with django_capture_on_commit_callbacks(execute=True):
        for application in applications:
            application_waitlist(application=application, actor=coordinator)
    record = organization_track_record(rotation.organization)
    assert (record.response_rate.cases, record.response_rate.percent) == (5, 100)


def test_a_hidden_review_leaves_the_figures_once_committed(django_capture_on_commit_callbacks):
    rotation = RotationFactory()
    reviews = reviewed(rotation, FIVE)
    assert rotation_track_record(rotation).ratings.shown
    with django_capture_on_commit_callbacks(execute=True):
        review_hide(review=reviews[0], actor=StaffFactory(), reason="Spam.")
    ratings = rotation_track_record(rotation).ratings
    assert (ratings.shown, ratings.cases) == (False, 4)


def test_a_refresh_after_a_rollback_leaves_the_cache_as_it_was(django_capture_on_commit_callbacks):
    """The version changes only when the closing commits: a reader in between keeps the old figures."""
    rotation = RotationFactory()
    reviewed(rotation, FIVE[:4])
    assert rotation_track_record(rotation).ratings.cases == 4
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        review_written(completed_booking(rotation), 5)
    assert callbacks, "the refresh waits for the commit"
    assert rotation_track_record(rotation).ratings.cases == 4


# --- Pages and the API --------------------------------------------------------------------------


def test_the_pages_show_shown_figures_and_say_why_others_are_not(client):
    rotation = RotationFactory()
    reviewed(rotation, FIVE)
    page = client.get(reverse("rotations:detail", args=[rotation.slug])).content.decode()
    assert "4.0</span> out of 5 overall, from 5 reviews" in page
    assert "Not enough closed applications yet to show a response rate (0 of the 5 needed)." in page
    assert reverse("rotations:organization", args=[rotation.organization.slug]) in page
    preceptor_url = reverse("rotations:preceptor", args=[rotation.organization.slug, rotation.preceptor.pk])
    assert preceptor_url in page
    organization_page = client.get(reverse("rotations:organization", args=[rotation.organization.slug]))
    assert "from 5 reviews" in organization_page.content.decode()
    assert rotation.title in organization_page.content.decode()
    preceptor_page = client.get(preceptor_url).content.decode()
    assert "from 5 reviews" in preceptor_page
    assert "Not enough letters yet to show a rate (0 of the 5 needed)." in preceptor_page


def test_a_preceptor_without_a_published_rotation_has_no_public_page(client):
    preceptor = PreceptorFactory()
    RotationFactory(organization=preceptor.organization, preceptor=preceptor, status="draft")
    url = reverse("rotations:preceptor", args=[preceptor.organization.slug, preceptor.pk])
    assert client.get(url).status_code == 404
    other_organization = RotationFactory().organization
    rotation = RotationFactory(organization=preceptor.organization, preceptor=preceptor)
    assert client.get(url).status_code == 200 and rotation.title.encode() in client.get(url).content
    wrong = reverse("rotations:preceptor", args=[other_organization.slug, preceptor.pk])
    assert client.get(wrong).status_code == 404


def test_the_api_gives_each_figure_its_cases_and_a_value_only_when_shown(client):
    rotation = RotationFactory()
    reviewed(rotation, FIVE)
    for days in (10, 20):
        letter(rotation.preceptor, accepted=1, submitted=days)
    track = client.get(reverse("rotations_api:rotation-detail", args=[rotation.pk])).json()["track_record"]
    assert track["ratings"] == {
        "shown": True,
        "reason": "",
        "cases": 5,
        "overall": 4.0,
        "teaching": 4.2,
        "hands_on": 4.0,
        "organization": 3.6,
        "value": 4.2,
    }
    assert track["response_rate"] == {
        "shown": False,
        "reason": "Not enough closed applications yet to show a response rate (0 of the 5 needed).",
        "cases": 0,
        "percent": None,
    }
    assert track["letter_rate"]["cases"] == 2 and track["letter_rate"]["percent"] is None
    assert track["median_days_to_letter"]["days"] is None
    organization = client.get(reverse("rotations_api:organization-detail", args=[rotation.organization.slug]))
    body = organization.json()["track_record"]
    assert body["ratings"]["overall"] == 4.0 and "letter_rate" not in body


def test_a_rotation_without_a_preceptor_has_no_letter_figures(client):
    rotation = RotationFactory(preceptor=None)
    track = client.get(reverse("rotations_api:rotation-detail", args=[rotation.pk])).json()["track_record"]
    assert track["letter_rate"] is None and track["median_days_to_letter"] is None


def _queries(client, url: str) -> int:
    from django.core.cache import cache

    cache.clear()  # every figure counted afresh, and no page from the catalog's cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_pages_and_api_details_cost_the_same_queries_for_2_or_25_reviews(
    client, django_assert_max_num_queries
):
    rotation = RotationFactory()
    urls = [
        reverse("rotations:detail", args=[rotation.slug]),
        reverse("rotations:organization", args=[rotation.organization.slug]),
        reverse("rotations:preceptor", args=[rotation.organization.slug, rotation.preceptor.pk]),
        reverse("rotations_api:rotation-detail", args=[rotation.pk]),
        reverse("rotations_api:organization-detail", args=[rotation.organization.slug]),
    ]
    reviewed(rotation, FIVE[:2])
    few = [_queries(client, url) for url in urls]
    reviewed(rotation, FIVE * 5)
    for _ in range(3):
        sent(rotation, timezone.now())
    many = [_queries(client, url) for url in urls]
    assert many == few
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(8):
        client.get(urls[0])
