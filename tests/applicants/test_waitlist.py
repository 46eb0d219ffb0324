"""Applying for a full block joins its waitlist at once, owing no fee until a seat is offered."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse

from amo.errors import DomainError
from applicants.models import Application, ApplicationTransition
from applicants.selectors import applicant_application, application_next_step
from applicants.services import (
    application_apply,
    application_draft_save,
    application_offer,
    application_submit,
    application_withdraw,
)
from applicants.services import submission as submission_services
from hosts.models import Membership
from rotations.models import Block
from rotations.services import block_change_capacity
from tests.applicants.test_apply import STATEMENT, _ready_applicant_and_block
from tests.factories import (
    ApplicantFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    MembershipFactory,
    free_seat,
    take_seat,
)
from tests.waiting import a_query_waits_for_a_lock, wait_until

pytestmark = pytest.mark.django_db
S = Application.Status
FEE = Application.FeeStatus
WAITLIST_NOTE = "No fee until a seat is offered: the application fee ($100.00) falls due then."


def _fill(block: Block) -> None:
    """Take every seat left on the block, as offers and bookings do."""
    for _ in range(block.seats_left):
        take_seat(block)
    block.refresh_from_db()


def _full_block_and_ready_applicant():
    applicant, block, documents = _ready_applicant_and_block()
    _fill(block)
    return applicant, block, documents


def _ready_applicant_for(block: Block):
    """Another applicant who meets the block's requirements (CV and a TB test valid to its end)."""
    applicant = ApplicantFactory()
    EmailAddressFactory(user=applicant.user)
    documents = [
        DocumentFactory(applicant=applicant, kind="cv"),
        DocumentFactory(applicant=applicant, kind="tb_test", expires_on=block.end_date),
    ]
    return applicant, documents


def _join(applicant, block, documents) -> Application:
    return application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )


def _coordinator(block: Block):
    return MembershipFactory(organization=block.rotation.organization, role=Membership.Role.COORDINATOR).user


def _place(application: Application) -> int | None:
    return Application.objects.with_waitlist_position().get(pk=application.pk).waitlist_position


# --- The service ------------------------------------------------------------------------------


def test_applying_for_a_full_block_waitlists_at_once_owing_no_fee_and_records_it():
    applicant, block, documents = _full_block_and_ready_applicant()
    application = _join(applicant, block, documents)

    assert application.status == S.WAITLISTED
    assert application.application_fee_status == FEE.NOT_DUE
    assert application.application_fee_cents == 10_000  # what falls due once a seat is offered
    assert application.submitted_at is not None and application.waitlisted_at is not None
    record = ApplicationTransition.objects.get(application=application)
    assert (record.from_status, record.to_status, record.actor, record.actor_role) == (
        S.DRAFT,
        S.WAITLISTED,
        applicant.user,
        "applicant",
    )


def test_with_a_seat_left_applying_is_a_submission_with_the_fee_due():
    applicant, block, documents = _full_block_and_ready_applicant()
    block_change_capacity(block_id=block.pk, capacity=block.capacity + 1)
    application = _join(applicant, block, documents)
    assert (application.status, application.application_fee_status) == (S.SUBMITTED, FEE.DUE)


def test_a_free_rotation_waitlists_with_nothing_to_pay():
    applicant, block, documents = _ready_applicant_and_block(rotation__application_fee_cents=0)
    _fill(block)
    application = _join(applicant, block, documents)
    assert (application.status, application.application_fee_status) == (S.WAITLISTED, FEE.WAIVED)


def test_an_unready_applicant_does_not_join_the_waitlist_either():
    applicant, block, documents = _full_block_and_ready_applicant()
    with pytest.raises(DomainError):
        _join(applicant, block, documents[:1])  # no TB test
    assert not Application.objects.filter(applicant=applicant).exists()


def test_the_line_is_first_come_first_served_and_moves_up_when_the_first_is_offered_a_seat():
    applicant, block, documents = _full_block_and_ready_applicant()
    first = _join(applicant, block, documents)
    second_applicant, second_documents = _ready_applicant_for(block)
    second = _join(second_applicant, block, second_documents)
    third_applicant, third_documents = _ready_applicant_for(block)
    third = _join(third_applicant, block, third_documents)
    assert [_place(a) for a in (first, second, third)] == [1, 2, 3]

    free_seat(block)
    application_offer(application=first, actor=_coordinator(block))

    assert [_place(a) for a in (first, second, third)] == [None, 1, 2]


def test_an_offer_to_a_waitlisted_application_makes_its_fee_due():
    applicant, block, documents = _full_block_and_ready_applicant()
    application = _join(applicant, block, documents)
    free_seat(block)

    application_offer(application=application, actor=_coordinator(block))

    shown = applicant_application(applicant=applicant, pk=application.pk)
    assert (shown.status, shown.application_fee_status) == (S.OFFERED, FEE.DUE)
    assert application_next_step(shown).endswith("Pay the application fee ($100.00) on the application page.")


def test_leaving_the_waitlist_owes_nothing():
    applicant, block, documents = _full_block_and_ready_applicant()
    application = _join(applicant, block, documents)
    application_withdraw(application=application, actor=applicant.user)
    application.refresh_from_db()
    assert (application.status, application.application_fee_status) == (S.WITHDRAWN, FEE.WAIVED)


# --- Through the page and the API ----------------------------------------------------------------


def test_the_apply_page_says_before_joining_that_no_fee_is_due_until_a_seat_is_offered(client):
    applicant, block, documents = _ready_applicant_and_block()
    client.force_login(applicant.user)
    url = reverse("applicants:apply", args=[block.pk])
    with_seats = client.get(url).content.decode()
    assert "Application fee (due on submission)" in with_seats
    assert "Join the waitlist" not in with_seats and "Submit application" in with_seats

    _fill(block)
    full = client.get(url).content.decode()
    assert "This block is full." in full
    assert WAITLIST_NOTE in full
    assert "Application fee (no fee until a seat is offered)" in full
    assert "due on submission" not in full
    assert "Join the waitlist" in full and "Submit application" not in full


def test_joining_through_the_page_waitlists_and_every_page_says_no_fee_is_due(client):
    applicant, block, documents = _full_block_and_ready_applicant()
    client.force_login(applicant.user)
    form = {"personal_statement": STATEMENT, "documents": [d.pk for d in documents], "action": "submit"}

    response = client.post(reverse("applicants:apply", args=[block.pk]), form, follow=True)

    application = Application.objects.get(applicant=applicant)
    assert (application.status, application.application_fee_status) == (S.WAITLISTED, FEE.NOT_DUE)
    assert ApplicationTransition.objects.get(application=application).to_status == S.WAITLISTED
    step = (
        "You are #1 on the waitlist, first come, first served; you will hear from us if a seat frees up. "
        + WAITLIST_NOTE
    )
    told = [str(message) for message in response.context["messages"]]
    assert told[-1] == f"This block is full, so you joined its waitlist. {step}"
    detail = response.content.decode()
    assert f"<strong>Next step:</strong> {step}" in detail
    assert "Application fee: $100.00 (not due until a seat is offered)" in detail
    dashboard = client.get(reverse("applicants:dashboard")).content.decode()
    assert f"<strong>Next step:</strong> {step}" in dashboard


def test_joining_through_the_api_waitlists_and_says_no_fee_is_due(client):
    applicant, block, documents = _full_block_and_ready_applicant()
    client.force_login(applicant.user)
    catalog = client.get(reverse("rotations_api:rotation-detail", args=[block.rotation.pk])).json()
    assert [b["application_fee_due"] for b in catalog["blocks"] if b["id"] == block.pk] == [
        "when_a_seat_is_offered"
    ]

    response = client.post(
        reverse("applicants_api:applications"),
        {"block": block.pk, "personal_statement": STATEMENT, "documents": [d.pk for d in documents]},
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["application_fee_status"], body["waitlist_position"]) == (
        "waitlisted",
        "not_due",
        1,
    )
    assert body["next_step"].endswith(WAITLIST_NOTE)
    assert [(t["from_status"], t["to_status"], t["actor_role"]) for t in body["transitions"]] == [
        ("draft", "waitlisted", "applicant")
    ]


def test_the_catalog_api_says_the_fee_is_due_on_submission_while_seats_are_left(client):
    block = BlockFactory()
    catalog = client.get(reverse("rotations_api:rotation-detail", args=[block.rotation.pk])).json()
    assert [b["application_fee_due"] for b in catalog["blocks"]] == ["on_submission"]


def test_a_block_that_fills_between_the_page_and_the_submit_waitlists_through_the_page(client):
    applicant, block, documents = _ready_applicant_and_block()
    client.force_login(applicant.user)
    url = reverse("applicants:apply", args=[block.pk])
    assert "Submit application" in client.get(url).content.decode()  # seats were left
    _fill(block)  # meanwhile the host offers the last seats

    response = client.post(
        url,
        {"personal_statement": STATEMENT, "documents": [d.pk for d in documents], "action": "submit"},
        follow=True,
    )

    application = Application.objects.get(applicant=applicant)
    assert (application.status, application.application_fee_status) == (S.WAITLISTED, FEE.NOT_DUE)
    assert [str(m) for m in response.context["messages"]][-1].startswith(
        "This block is full, so you joined its waitlist. You are #1 on the waitlist"
    )


def test_a_draft_whose_block_filled_joins_the_waitlist_when_submitted_through_the_api(client):
    applicant, block, documents = _ready_applicant_and_block()
    draft = application_draft_save(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    _fill(block)
    client.force_login(applicant.user)

    response = client.post(reverse("applicants_api:application_submit", args=[draft.pk]))

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["application_fee_status"]) == ("waitlisted", "not_due")


def test_the_dashboard_places_each_waitlisted_application_without_a_query_each(
    client, django_assert_max_num_queries
):
    applicant, block, documents = _full_block_and_ready_applicant()
    _join(applicant, block, documents)
    client.force_login(applicant.user)
    url = reverse("applicants:dashboard")
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(4):
        other = BlockFactory(rotation=block.rotation, start_date=block.start_date + timedelta(weeks=8))
        _fill(other)
        DocumentFactory(applicant=applicant, kind="tb_test", expires_on=other.end_date)
        _join(applicant, other, list(applicant.documents.all()))
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count("You are #1 on the waitlist") == 5


# --- Seats counted under the block's lock -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("locked", [True, False], ids=["under-the-block-lock", "control-without-it"])
@pytest.mark.parametrize("change", ["fills", "frees"])
def test_a_seat_taken_or_freed_while_the_applicant_submits_decides_the_outcome(monkeypatch, locked, change):
    """Another transaction takes the last seat (or frees one) and has not committed yet when the
    applicant submits. Under the block's lock the submission waits and sees the seat as it ends up;
    the control reads the block without the lock and decides on what is about to change."""
    applicant, block, documents = _ready_applicant_and_block()
    _fill(block)
    if change == "fills":
        free_seat(block)
    draft = application_draft_save(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    if not locked:
        monkeypatch.setattr(
            submission_services, "lock_block", lambda block_id: Block.objects.get(pk=block_id)
        )
    changed, commit = threading.Event(), threading.Event()
    outcome = {}

    def change_a_seat():
        try:
            with transaction.atomic():
                (take_seat if change == "fills" else free_seat)(block)
                changed.set()
                commit.wait(timeout=20)
        finally:
            changed.set()
            connection.close()

    def submit():
        try:
            outcome["application"] = application_submit(application=draft, actor=applicant.user)
        finally:
            connection.close()

    changing = threading.Thread(target=change_a_seat)
    changing.start()
    changed.wait(timeout=20)
    submitting = threading.Thread(target=submit)
    submitting.start()
    wait_until(
        lambda: not submitting.is_alive() or a_query_waits_for_a_lock(),
        what="the submission finishing or waiting for the block",
    )
    commit.set()
    changing.join(timeout=20)
    submitting.join(timeout=20)

    block.refresh_from_db()
    application = outcome["application"]
    assert block.is_full is (change == "fills")
    right = (S.WAITLISTED, FEE.NOT_DUE) if change == "fills" else (S.SUBMITTED, FEE.DUE)
    wrong = (S.SUBMITTED, FEE.DUE) if change == "fills" else (S.WAITLISTED, FEE.NOT_DUE)
    assert (application.status, application.application_fee_status) == (right if locked else wrong)


def test_joining_a_waitlist_tells_the_applicant_and_the_host_it_is_the_waitlist():
    from amo.models import Notification

    applicant, block, documents = _full_block_and_ready_applicant()
    coordinator = _coordinator(block)
    _join(applicant, block, documents)
    told_applicant = Notification.objects.get(recipient=applicant.user)
    assert told_applicant.subject.startswith("You joined the waitlist")
    assert "No fee is due until a seat is offered" in told_applicant.body
    told_host = Notification.objects.get(recipient=coordinator)
    assert told_host.subject.startswith("New on the waitlist")
