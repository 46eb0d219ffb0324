"""Private calendar feeds: a person's bookings and deadlines at `/calendar/<secret>.ics`, read by
calendar apps without signing in; made on the account page, shown once, stored hashed, revoked and
replaced. Each feed is parsed back with icalendar."""

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amo.calendar import calendar_feed_issue, calendar_feed_revoke
from amo.errors import DomainError
from amo.models import CalendarFeed
from applicants.models import Application, BlockChange
from applicants.services.sweeps import UNDECIDED_EXPIRE_AFTER
from hosts.models import Membership
from payments.models import Payment
from payments.selectors import balance_due_on
from tests.amo.test_api_tokens import database_text, signed_in
from tests.amo.test_get_writes_nothing import every_row
from tests.factories import (
    ApplicantFactory,
    ApplicationFactory,
    BlockChangeFactory,
    BlockFactory,
    MembershipFactory,
    OrganizationFactory,
    OwnerFactory,
    PreceptorFactory,
    RotationFactory,
    UserFactory,
    free_seat,
    take_seat,
)

pytestmark = pytest.mark.django_db
S = Application.Status
PAGE = "/accounts/calendar/"
FEED_URL = re.compile(r"http://[^\s\"<]+/calendar/([A-Za-z0-9_-]{43})\.ics")


def feed_path(secret: str) -> str:
    return f"/calendar/{secret}.ics"


def read_feed(client, secret: str) -> icalendar.Calendar:
    response = client.get(feed_path(secret))
    assert response.status_code == 200, response.content[:200]
    return icalendar.Calendar.from_ical(response.content)


def events_of(client, user) -> dict[str, icalendar.Event]:
    """The events of `user`'s (new) feed, by UID without its domain."""
    _, secret = calendar_feed_issue(user=user)
    calendar = read_feed(client, secret)
    return {str(event["UID"]).split("@")[0]: event for event in calendar.events}


def booked(applicant=None, **fields) -> Application:
    """A confirmed booking (its seat held through the seat service)."""
    return take_seat(BlockFactory(**fields), **({"applicant": applicant} if applicant else {}))


# --- The address: made on the account page, shown once, revoked and replaced -----------------------


def test_creating_a_feed_shows_its_address_once_and_stores_only_its_hash(client):
    user = ApplicantFactory().user
    signed_in(client, user)
    response = client.post(PAGE)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    shown = set(FEED_URL.findall(response.content.decode()))
    assert len(shown) == 1
    secret = shown.pop()
    assert "Copy it now" in response.content.decode()

    feed = CalendarFeed.objects.get(user=user)
    assert feed.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in database_text()
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM amo_calendarfeed t")
        assert secret not in " ".join(row[0] for row in cursor.fetchall())
    page = client.get(PAGE).content.decode()
    assert secret not in page
    assert "Working since" in page
    assert client.get(feed_path(secret)).status_code == 200


def test_making_the_address_asks_for_the_password_again(client):
    user = ApplicantFactory().user
    client.force_login(user)
    response = client.post(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not CalendarFeed.objects.exists()


def test_replacing_the_address_ends_the_old_one_at_once(client):
    user = ApplicantFactory().user
    booked(applicant=user.applicant)
    signed_in(client, user)
    old = FEED_URL.search(client.post(PAGE).content.decode()).group(1)
    new = FEED_URL.search(client.post(PAGE).content.decode()).group(1)
    assert old != new
    assert client.get(feed_path(old)).status_code == 404
    assert len(read_feed(client, new).events) == 2  # the booking and its balance
    assert CalendarFeed.objects.filter(user=user).count() == 2
    assert CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).count() == 1


def test_turning_the_feed_off_makes_its_address_a_404(client):
    user = ApplicantFactory().user
    _, secret = calendar_feed_issue(user=user)
    client.force_login(user)
    response = client.post("/accounts/calendar/turn-off/", follow=True)
    assert "Your calendar feed is turned off" in response.content.decode()
    assert client.get(feed_path(secret)).status_code == 404
    assert "You have no calendar feed." in client.get(PAGE).content.decode()
    again = client.post("/accounts/calendar/turn-off/", follow=True)
    assert "You have no calendar feed to turn off." in again.content.decode()


def test_an_unknown_address_is_a_404(client):
    calendar_feed_issue(user=ApplicantFactory().user)
    assert client.get(feed_path("A" * 43)).status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404


def test_a_deactivated_accounts_feed_is_a_404(client):
    user = ApplicantFactory().user
    _, secret = calendar_feed_issue(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(feed_path(secret)).status_code == 404


def test_only_applicants_and_host_members_get_a_feed(client):
    nobody = UserFactory()
    with pytest.raises(DomainError, match="this account has neither yet"):
        calendar_feed_issue(user=nobody)
    signed_in(client, nobody)
    page = client.get(PAGE).content.decode()
    assert "this account has neither yet" in page
    assert "Create a calendar feed" not in page
    assert client.post(PAGE).status_code == 400
    assert not CalendarFeed.objects.exists()


def test_an_owner_sets_up_two_factor_authentication_first():
    owner = OwnerFactory(totp=False)
    with pytest.raises(DomainError, match="two-factor authentication"):
        calendar_feed_issue(user=owner.user)


def test_revoking_without_a_feed_is_refused():
    with pytest.raises(DomainError, match="no calendar feed"):
        calendar_feed_revoke(user=ApplicantFactory().user)


def test_a_get_of_the_page_or_the_feed_writes_nothing(client):
    user = ApplicantFactory().user
    booked(applicant=user.applicant)
    _, secret = calendar_feed_issue(user=user)
    client.force_login(user)
    client.get(PAGE)  # the session's first page may settle its own row
    before = every_row()
    assert client.get(PAGE).status_code == 200
    assert client.get(feed_path(secret)).status_code == 200
    assert client.head(feed_path(secret)).status_code == 200
    assert every_row() == before


# --- HTTP --------------------------------------------------------------------------------------------


def test_the_feed_is_a_private_text_calendar_and_answers_head(client):
    user = ApplicantFactory().user
    _, secret = calendar_feed_issue(user=user)
    response = client.get(feed_path(secret))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0"
    assert "AMO" in str(calendar["PRODID"])
    head = client.head(feed_path(secret))
    assert head.status_code == 200
    assert head["Content-Type"] == "text/calendar; charset=utf-8"
    assert head.content == b""
    assert client.post(feed_path(secret)).status_code == 405


# --- What an applicant's feed shows ------------------------------------------------------------------


def test_an_applicants_booking_is_an_all_day_event_over_its_block(client):
    applicant = ApplicantFactory()
    application = booked(
        applicant=applicant,
        start_date=date.today() + timedelta(days=40),
        weeks=4,
        rotation__title="Cardiology Externship",
        rotation__organization__name="Lakeshore Hospital",
        rotation__organization__address_line="1200 N Lake Shore Dr",
    )
    events = events_of(client, applicant.user)
    event = events[f"booking-{application.pk}"]
    assert event.start == application.block.start_date
    assert event.end == application.block.start_date + timedelta(weeks=4)  # the day after the last
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert str(event["SUMMARY"]) == "Cardiology Externship, Lakeshore Hospital"
    assert str(event["LOCATION"]) == "1200 N Lake Shore Dr, Chicago, IL 60601"
    assert str(event["URL"]).endswith(f"/me/applications/{application.pk}/")
    assert event["DTSTAMP"].to_ical().endswith(b"Z")  # in UTC
    assert str(event["TRANSP"]) == "OPAQUE"
    assert "Confirmed booking: 4 weeks" in str(event["DESCRIPTION"])


def test_an_applicants_uids_stay_the_same_from_read_to_read(client):
    applicant = ApplicantFactory()
    booked(applicant=applicant)
    _, secret = calendar_feed_issue(user=applicant.user)
    first = client.get(feed_path(secret)).content
    assert client.get(feed_path(secret)).content == first


def test_an_applicants_deadlines_are_moments_in_utc(client):
    applicant = ApplicantFactory()
    deadline = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    offer = ApplicationFactory(
        applicant=applicant, status=S.OFFERED, submitted_at=timezone.now(), seat=deadline
    )
    checkout = ApplicationFactory(
        applicant=applicant, status=S.AWAITING_PAYMENT, submitted_at=timezone.now(), seat=deadline
    )
    documents_due = (timezone.now() + timedelta(days=7)).replace(microsecond=0)
    owing = booked(applicant=applicant)
    Application.objects.filter(pk=owing.pk).update(documents_due_at=documents_due)
    events = events_of(client, applicant.user)

    assert events[f"offer-{offer.pk}"].start == deadline
    assert events[f"offer-{offer.pk}"]["DTSTART"].to_ical().endswith(b"Z")  # in UTC
    assert str(events[f"offer-{offer.pk}"]["SUMMARY"]).startswith("Offer expires: ")
    assert events[f"deposit-{checkout.pk}"].start == deadline
    assert events[f"documents-{owing.pk}"].start == documents_due
    assert events[f"documents-{owing.pk}"]["DTSTART"].to_ical().endswith(b"Z")
    assert str(events[f"documents-{owing.pk}"]["TRANSP"]) == "TRANSPARENT"
    # Neither an offer nor a seat awaiting its deposit is a booking yet.
    assert f"booking-{offer.pk}" not in events
    assert f"booking-{checkout.pk}" not in events


def test_the_balance_is_due_on_the_day_the_agreed_terms_say_until_it_is_paid(client):
    applicant = ApplicantFactory()
    application = booked(applicant=applicant, rotation__balance_due_days_before_start=30)
    events = events_of(client, applicant.user)
    event = events[f"balance-{application.pk}"]
    assert event.start == balance_due_on(application)
    assert event.start == application.block.start_date - timedelta(days=30)
    assert event.end == event.start + timedelta(days=1)

    Payment.objects.create(
        application=application,
        purpose=Payment.Purpose.FULL,
        amount_cents=application.program_fee_cents,
        status=Payment.Status.SUCCEEDED,
        succeeded_at=timezone.now(),
        payment_intent_id="pi_calendar_full",
    )
    assert f"balance-{application.pk}" not in events_of(client, applicant.user)


def test_a_cancelled_booking_leaves_the_feed(client):
    applicant = ApplicantFactory()
    application = booked(applicant=applicant)
    _, secret = calendar_feed_issue(user=applicant.user)
    assert len(read_feed(client, secret).events) == 2  # the booking and its balance
    free_seat(application.block)
    assert read_feed(client, secret).events == []


def test_an_applicant_sees_only_their_own_bookings(client):
    mine = booked(applicant=ApplicantFactory())
    theirs = booked()
    events = events_of(client, mine.applicant.user)
    assert f"booking-{mine.pk}" in events
    assert not [uid for uid in events if uid.endswith(f"-{theirs.pk}")]


# --- What a host member's feed shows -----------------------------------------------------------------


def test_a_member_sees_their_organizations_bookings_and_never_anothers(client):
    member = MembershipFactory(role=Membership.Role.COORDINATOR)
    ours = booked(rotation__organization=member.organization)
    theirs = booked(rotation__organization=OrganizationFactory())
    cancelled = booked(rotation__organization=member.organization)
    free_seat(cancelled.block)
    events = events_of(client, member.user)
    event = events[f"host-booking-{ours.pk}"]
    assert str(event["SUMMARY"]) == f"{ours.applicant}: {ours.block.rotation.title}"
    assert str(event["URL"]).endswith(f"/host/applications/{ours.pk}/")
    assert event.start == ours.block.start_date
    assert not [uid for uid in events if uid.endswith(f"-{theirs.pk}")]
    assert not [uid for uid in events if uid.endswith(f"-{cancelled.pk}")]


def test_a_preceptor_sees_only_the_bookings_of_rotations_they_supervise(client):
    organization = OrganizationFactory()
    preceptor = PreceptorFactory(organization=organization)
    member = MembershipFactory(organization=organization, role=Membership.Role.PRECEPTOR, preceptor=preceptor)
    supervised = booked(rotation__organization=organization, rotation__preceptor=preceptor)
    other = booked(rotation__organization=organization)
    waiting = ApplicationFactory(
        block__rotation=supervised.block.rotation, status=S.SUBMITTED, submitted_at=timezone.now()
    )
    events = events_of(client, member.user)
    assert set(events) == {f"host-booking-{supervised.pk}"}
    assert f"host-booking-{other.pk}" not in events
    assert f"decide-{waiting.pk}" not in events  # owners and coordinators decide


def test_a_member_of_two_organizations_sees_both(client):
    member = MembershipFactory()
    second = MembershipFactory(user=member.user)
    first_booking = booked(rotation__organization=member.organization)
    second_booking = booked(rotation__organization=second.organization)
    booked(rotation__organization=OrganizationFactory())
    events = events_of(client, member.user)
    assert set(events) == {f"host-booking-{first_booking.pk}", f"host-booking-{second_booking.pk}"}


def test_a_removed_member_no_longer_sees_the_organization(client):
    member = MembershipFactory()
    booked(rotation__organization=member.organization)
    ApplicantFactory(user=member.user)  # also an applicant, so the feed itself stays
    _, secret = calendar_feed_issue(user=member.user)
    assert len(read_feed(client, secret).events) == 1
    member.delete()
    assert read_feed(client, secret).events == []


def test_an_owner_whose_second_factor_is_gone_sees_no_organization_data(client):
    owner = OwnerFactory()
    booked(rotation__organization=owner.organization)
    _, secret = calendar_feed_issue(user=owner.user)
    assert len(read_feed(client, secret).events) == 1
    Authenticator.objects.filter(user=owner.user).delete()
    assert read_feed(client, secret).events == []


def test_deciders_see_when_each_undecided_application_expires_and_each_date_change(client):
    member = MembershipFactory(role=Membership.Role.COORDINATOR)
    rotation = RotationFactory(organization=member.organization)
    submitted_at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    waiting = ApplicationFactory(block__rotation=rotation, status=S.SUBMITTED, submitted_at=submitted_at)
    reviewing = ApplicationFactory(block__rotation=rotation, status=S.UNDER_REVIEW, submitted_at=submitted_at)
    elsewhere = ApplicationFactory(status=S.SUBMITTED, submitted_at=submitted_at)
    booking = booked(rotation=rotation)
    to_block = BlockFactory(rotation=rotation, start_date=booking.block.start_date + timedelta(weeks=8))
    change = BlockChangeFactory(application=booking, to_block=to_block)
    BlockChangeFactory(
        application=booked(rotation=rotation),
        to_block=to_block,
        status=BlockChange.Status.DECLINED,
        decided_at=timezone.now(),
    )
    events = events_of(client, member.user)
    decide = events[f"decide-{waiting.pk}"]
    assert decide.start == submitted_at + UNDECIDED_EXPIRE_AFTER
    assert decide.start == datetime(2026, 3, 12, 9, 30, tzinfo=UTC)
    assert str(decide["SUMMARY"]) == f"Decide: {waiting.applicant}, {rotation.title}"
    assert f"decide-{reviewing.pk}" in events
    assert f"decide-{elsewhere.pk}" not in events
    answer = events[f"block-change-{change.pk}"]
    assert answer.start == booking.block.start_date - timedelta(days=1)
    assert str(answer["URL"]).endswith("/host/block-changes/")
    assert [uid for uid in events if uid.startswith("block-change-")] == [f"block-change-{change.pk}"]


# --- Cost ------------------------------------------------------------------------------------------


def feed_queries(client, secret: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(feed_path(secret)).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["applicant", "host member"])
def test_a_feed_costs_the_same_queries_for_one_row_or_twenty(client, role):
    applicant = ApplicantFactory()
    owner = OwnerFactory()
    user = applicant.user if role == "applicant" else owner.user
    rotation = RotationFactory(organization=owner.organization)

    def add_rows() -> None:
        application = booked(applicant=applicant, rotation=rotation)
        Application.objects.filter(pk=application.pk).update(
            documents_due_at=timezone.now() + timedelta(days=3)
        )
        ApplicationFactory(
            applicant=applicant, block__rotation=rotation, status=S.OFFERED, submitted_at=timezone.now()
        )
        ApplicationFactory(block__rotation=rotation, status=S.SUBMITTED, submitted_at=timezone.now())
        BlockChangeFactory(application=application, to_block=BlockFactory(rotation=rotation))

    add_rows()
    _, secret = calendar_feed_issue(user=user)
    one = feed_queries(client, secret)
    for _ in range(19):
        add_rows()
    assert len(read_feed(client, secret).events) >= 20 * 3
    assert feed_queries(client, secret) == one
