"""GET /api/v1/me/reminders/: the requesting applicant's reminders still to come, soonest first,
with what each is about."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from amo.models import Reminder, User
from amo.reminders import Planned, reminders_about, reminders_replan
from amo.services import api_token_create
from tests.factories import (
    ApplicantFactory,
    BlockChangeFactory,
    BlockFactory,
    DocumentFactory,
    MembershipFactory,
    take_seat,
)

pytestmark = pytest.mark.django_db
K = Reminder.Kind
URL = "/api/v1/me/reminders/"


def plan(user: User, about, kind: str, *, days: int) -> Reminder:
    """One more reminder to come for `user`, due in `days`."""
    reminders_replan(
        replaces=Reminder.objects.none(),
        wanted=[
            Planned(
                key=f"test:{kind}:{about._meta.model_name}:{about.pk}:{days}",
                kind=kind,
                recipient_id=user.pk,
                about=about,
                due_at=timezone.now() + timedelta(days=days),
            )
        ],
        reason="",
    )
    return Reminder.objects.filter(kind=kind, recipient=user).latest("id")


def api_of(user: User) -> APIClient:
    _, secret = api_token_create(user=user, name="reminders", lifetime_days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_the_list_names_each_reminder_to_come_and_what_it_is_about_soonest_first():
    applicant = ApplicantFactory()
    user = applicant.user
    booking = take_seat(BlockFactory(), applicant=applicant)
    change = BlockChangeFactory(application=booking, to_block=BlockFactory(rotation=booking.block.rotation))
    document = DocumentFactory(applicant=applicant)
    starting = plan(user, booking, K.ROTATION_STARTING, days=7)
    expiring = plan(user, document, K.DOCUMENT_EXPIRING, days=2)
    about_change = plan(user, change, K.BALANCE_DUE, days=3)
    # Neither a sent one, nor a cancelled one, nor another person's.
    sent = plan(user, booking, K.ROTATION_STARTING, days=1)
    Reminder.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
    cancelled = plan(user, booking, K.HOLD_EXPIRING, days=1)
    reminders_replan(replaces=reminders_about(booking, K.HOLD_EXPIRING), wanted=[], reason="Accepted.")
    plan(ApplicantFactory().user, booking, K.DRAFT_LEFT, days=1)

    response = api_of(user).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["results"] == [
        {
            "id": expiring.pk,
            "kind": "document_expiring",
            "label": "A document expiring before a rotation ends",
            "due_at": expiring.due_at.isoformat().replace("+00:00", "Z"),
            "about_type": "document",
            "about_id": document.pk,
            "application_id": None,
        },
        {
            "id": about_change.pk,
            "kind": "balance_due",
            "label": "A balance about to be charged",
            "due_at": about_change.due_at.isoformat().replace("+00:00", "Z"),
            "about_type": "block_change",
            "about_id": change.pk,
            "application_id": booking.pk,
        },
        {
            "id": starting.pk,
            "kind": "rotation_starting",
            "label": "A rotation about to start",
            "due_at": starting.due_at.isoformat().replace("+00:00", "Z"),
            "about_type": "application",
            "about_id": booking.pk,
            "application_id": booking.pk,
        },
    ]
    assert Reminder.objects.get(pk=cancelled.pk).cancel_reason == "Accepted."


def test_only_an_applicant_has_reminders_here():
    client = APIClient()
    assert client.get(URL).status_code == 401
    response = api_of(MembershipFactory().user).get(URL)
    assert response.status_code == 403
    assert response.json()["message"] == "This account is not an applicant."


def test_the_list_pages_and_costs_the_same_queries_for_1_or_20_reminders(django_assert_max_num_queries):
    applicant = ApplicantFactory()
    booking = take_seat(BlockFactory(), applicant=applicant)
    client = api_of(applicant.user)
    plan(applicant.user, booking, K.ROTATION_STARTING, days=1)
    with django_assert_max_num_queries(10) as few:
        assert len(client.get(URL).json()["results"]) == 1
    for day in range(2, 21):
        plan(applicant.user, booking, K.ROTATION_STARTING, days=day)
    with django_assert_max_num_queries(len(few)):
        assert len(client.get(URL).json()["results"]) == 20
    for day in range(21, 26):
        plan(applicant.user, booking, K.ROTATION_STARTING, days=day)
    first = client.get(URL).json()
    assert (first["count"], len(first["results"])) == (25, 20) and first["next"]
    rest = client.get(first["next"]).json()["results"]
    assert [r["due_at"] for r in first["results"] + rest] == sorted(
        r["due_at"] for r in first["results"] + rest
    )


def test_the_schema_documents_the_list():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"][URL]["get"]
    assert operation["operationId"] == "me_reminders_list"
    assert {"200", "401", "403"} <= set(operation["responses"])
    fields = schema["components"]["schemas"]["Reminder"]["properties"]
    assert set(fields) == {"id", "kind", "label", "due_at", "about_type", "about_id", "application_id"}
    assert fields["application_id"]["nullable"] is True
