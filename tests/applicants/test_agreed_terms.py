"""The agreed terms: what an applicant agreed to when sending an application (or moving a booking)
is fixed on the application. Whatever a host (or a later change of the code's policy tiers) does to
the rotation or its block afterwards, the applicant's balance, pay pages, refund previews, the
refunds written and the off-session balance charge at localstripe stay as agreed; a new application
agrees to the terms as they stand then."""

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amo.models import Notification
from applicants.models import Application, BlockChange
from applicants.selectors import refund_quote
from applicants.services import (
    application_accept,
    application_apply,
    application_book_now,
    application_cancel,
    application_offer,
    application_withdraw,
    block_change_decide,
    block_change_request,
)
from applicants.services.terms import application_terms_fix
from applicants.terms import Terms, application_terms, terms_offered
from applicants.workflow import ActorRole
from payments.models import Payment, Refund
from payments.selectors import amounts_due, balance_due_on
from payments.services import balance_charge, balances_due_charge, payment_start, payment_sync
from payments.stripe_client import stripe_client
from rotations import policies
from rotations.models import Block, Rotation
from tests.applicants.test_apply import STATEMENT, _ready_applicant_and_block
from tests.factories import ApplicationFactory, BlockFactory, OwnerFactory
from tests.hosts.conftest import login
from tests.payments.stripe_helpers import pay

pytestmark = pytest.mark.django_db
S = Application.Status
P = Payment.Purpose

# The booking's balance is due 45 days before the start, 15 days from today; the flexible policy
# then refunds everything (30 days or more before the start), the strict one nothing.
DUE_IN_DAYS = 15
START = date.today() + timedelta(days=45 + DUE_IN_DAYS)
AGREED = {
    "currency": "usd",
    "application_fee_cents": 10_000,
    "program_fee_cents": 250_000,
    "deposit_cents": 50_000,
    "balance_due_days_before_start": 45,
    "cancellation_policy": "flexible",
}

# Every money and policy field of a rotation, as the host API takes it (cents) and as the host's
# form does (dollars): (route, field, value). The currency is refused by both (one platform
# currency), so it is also changed where only staff or a future version could: in the database.
ROTATION_EDITS = [
    ("api", "application_fee_cents", 99_900),
    ("api", "program_fee_cents", 5_000_000),
    ("api", "deposit_cents", 0),
    ("api", "deposit_cents", 250_000),
    ("api", "balance_due_days_before_start", 90),
    ("api", "balance_due_days_before_start", 0),
    ("api", "cancellation_policy", "strict"),
    ("api", "currency", "eur"),
    ("form", "application_fee", "999.00"),
    ("form", "program_fee", "50000.00"),
    ("form", "deposit", "0"),
    ("form", "balance_due_days_before_start", 90),
    ("form", "cancellation_policy", "strict"),
    ("stored", "currency", "eur"),
    # A later release that changes the flexible policy's tiers.
    ("code", "tiers", (policies.Tier(0, 0),)),
]
# Every field of a block, through the block endpoint and the host's block form. Its dates cannot
# move while it holds a seat (refused), so the balance date and the refund windows cannot either.
BLOCK_EDITS = [
    ("block-api", "capacity", 10),
    ("block-api", "apply_by", (START - timedelta(days=50)).isoformat()),
    ("block-api", "start_date", (START + timedelta(days=30)).isoformat()),
    ("block-api", "weeks", 8),
    ("block-form", "capacity", 10),
    ("block-form", "start_date", (START + timedelta(days=30)).isoformat()),
]
EDITS = ROTATION_EDITS + BLOCK_EDITS


def edit_id(edit) -> str:
    return f"{edit[0]}-{edit[1]}-{edit[2] if edit[0] != 'code' else 'none-refunded'}"


def form_data(form, changes: dict) -> dict:
    """What the host's edit page posts back as loaded, with `changes` typed in."""
    values = {**form.initial, **changes}
    data = {}
    for name in form.fields:
        value = values.get(name)
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def host_edit(block: Block, route: str, field: str, value, monkeypatch) -> None:
    """Change one field the way `route` does, checking the host's request was answered as it should:
    taken, or refused when the field cannot change (the currency; a seated block's dates)."""
    rotation = block.rotation
    host = login(Client(), OwnerFactory(organization=rotation.organization))
    refused = field == "currency" or field in ("start_date", "weeks")
    if route == "api":
        url = reverse("hosts_api:rotation-detail", args=[rotation.pk])
        response = host.patch(url, {field: value}, content_type="application/json")
    elif route == "block-api":
        url = reverse("hosts_api:block-detail", args=[block.pk])
        response = host.patch(url, {field: value}, content_type="application/json")
    elif route in ("form", "block-form"):
        name = "rotation_update" if route == "form" else "block_update"
        url = reverse(f"hosts:{name}", args=[rotation.pk if route == "form" else block.pk])
        page = host.get(url)
        if route == "form":
            assert "Applications already sent keep the terms they were sent with." in page.content.decode()
        response = host.post(url, form_data(page.context["form"], {field: value}))
        assert response.status_code == (200 if refused else 302), response.content.decode()[:2000]
        return
    elif route == "stored":
        Rotation.objects.filter(pk=rotation.pk).update(**{field: value})
        return
    else:
        monkeypatch.setitem(policies.TIERS, Rotation.CancellationPolicy.FLEXIBLE, value)
        return
    assert (response.status_code >= 400) == refused, response.content


def booked_with_deposit() -> Application:
    """A book-now booking made through the services, its deposit paid at localstripe (the card
    saved), its application fee still due."""
    applicant, block, documents = _ready_applicant_and_block(
        start_date=START,
        rotation__booking_mode=Rotation.BookingMode.BOOK_NOW,
        **{f"rotation__{field}": value for field, value in AGREED.items()},
    )
    application = application_book_now(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    deposit = payment_start(application=application, purpose=P.DEPOSIT, actor=applicant.user)
    assert pay(deposit) == "succeeded"
    assert payment_sync(payment_id=deposit.pk).status == Payment.Status.SUCCEEDED
    return Application.objects.select_related("block__rotation", "applicant__user").get(pk=application.pk)


DOLLARS = re.compile(r"\$[\d,]+\.\d\d|\b\d+%|\b(?:flexible|moderate|strict)\b|[A-Z][a-z]{2} \d{1,2}, \d{4}")


def shown(client: Client, url: str) -> list[str]:
    """The amounts, percentages, policies and dates a page shows the applicant."""
    response = client.get(url)
    assert response.status_code == 200
    return DOLLARS.findall(response.content.decode())


def what_the_applicant_sees(application: Application) -> dict:
    application = Application.objects.select_related("block__rotation").get(pk=application.pk)
    client = Client()
    client.force_login(application.applicant.user)

    def page(name: str, **kwargs) -> list[str]:
        return shown(client, reverse(f"applicants:{name}", kwargs={"pk": application.pk, **kwargs}))

    return {
        # The pay pages first: the payments they start are then on the application's page both times.
        "balance_pay_page": page("application_pay", purpose=P.BALANCE),
        "fee_pay_page": page("application_pay", purpose=P.APPLICATION_FEE),
        "detail_page": page("application_detail"),
        "cancel_page": page("application_cancel"),
        "due": [(due.purpose, due.amount_cents, due.currency) for due in amounts_due(application)],
        "balance_due_on": balance_due_on(application),
        "refund_quote": refund_quote(application=application),
    }


@pytest.mark.parametrize("edit", EDITS, ids=edit_id)
def test_a_hosts_edit_after_a_booking_changes_nothing_the_applicant_agreed_to(edit, monkeypatch):
    application = booked_with_deposit()
    before = what_the_applicant_sees(application)
    assert before["due"] == [(P.APPLICATION_FEE, 10_000, "usd"), (P.BALANCE, 200_000, "usd")]
    assert before["balance_due_on"] == START - timedelta(days=45)
    assert before["refund_quote"].refund_total_cents == 50_000  # the deposit, all of it

    host_edit(application.block, *edit, monkeypatch)

    assert what_the_applicant_sees(application) == before
    assert balances_due_charge()["charged"] == 0  # not due before the agreed date
    with time_machine.travel(timezone.now() + timedelta(days=DUE_IN_DAYS), tick=False):
        assert balances_due_charge()["charged"] == 1
        charge = Payment.objects.get(application=application, purpose=P.BALANCE, off_session=True)
        intent = stripe_client().v1.payment_intents.retrieve(charge.payment_intent_id)
        assert (intent.amount, intent.currency, intent.status) == (200_000, "usd", "succeeded")
        # 45 days before the start: the flexible policy agreed to gives back all of the program fee.
        application_cancel(
            application=application, actor=application.applicant.user, role=ActorRole.APPLICANT
        )
    refunds = Refund.objects.filter(payment__application=application, reason=Refund.Reason.CANCELLATION)
    assert sorted(refund.amount_cents for refund in refunds) == [50_000, 200_000]


@pytest.mark.parametrize("edit", ROTATION_EDITS, ids=edit_id)
def test_an_offer_is_accepted_on_the_terms_the_application_was_sent_with(edit, monkeypatch):
    applicant, block, documents = _ready_applicant_and_block(
        start_date=START, **{f"rotation__{field}": value for field, value in AGREED.items()}
    )
    application = application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    host = OwnerFactory(organization=block.rotation.organization).user
    application_offer(application=application, actor=host)
    host_edit(block, *edit, monkeypatch)
    application_accept(application=application, actor=applicant.user)
    application.refresh_from_db()
    assert application.status == S.AWAITING_PAYMENT  # the deposit agreed to is still asked for
    assert [(due.purpose, due.amount_cents) for due in amounts_due(application)] == [
        (P.APPLICATION_FEE, 10_000),
        (P.DEPOSIT, 50_000),
        (P.FULL, 250_000),
    ]
    assert refund_quote(application=application).schedule == policies.refund_schedule(
        (policies.Tier(30, 100), policies.Tier(14, 50), policies.Tier(0, 0)), START
    )


# The edits a host's request makes (the API refuses another currency).
TAKEN_EDITS = [edit for edit in ROTATION_EDITS if edit[:2] != ("api", "currency")]


@pytest.mark.parametrize("edit", TAKEN_EDITS, ids=edit_id)
def test_a_new_application_agrees_to_the_terms_as_they_stand_when_it_is_sent(edit, monkeypatch):
    """A draft made before the edit reads the rotation as it is until it is sent; sent after the
    edit, it has the new terms, while the booking made before keeps its own."""
    booked = booked_with_deposit()
    agreed = application_terms(booked)
    block = booked.block
    applicant, _, documents = _ready_applicant_and_block()
    for document in documents:
        document.expires_on = block.end_date
        document.save()
    draft = ApplicationFactory(applicant=applicant, block=block, personal_statement=STATEMENT)
    host_edit(block, *edit, monkeypatch)
    now_offered = terms_offered(Rotation.objects.get(pk=block.rotation_id))
    assert now_offered != agreed
    draft = Application.objects.select_related("block__rotation").get(pk=draft.pk)
    assert application_terms(draft) == now_offered  # a draft reads the rotation as it is
    application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents, application=draft
    )
    sent = Application.objects.get(pk=draft.pk)
    assert sent.status == S.SUBMITTED and sent.terms_agreed_at is not None
    assert application_terms(sent) == now_offered
    assert application_terms(Application.objects.get(pk=booked.pk)) == agreed


def test_a_date_change_to_a_dearer_block_fixes_that_blocks_terms_when_the_host_approves():
    application = booked_with_deposit()
    organization = application.block.rotation.organization
    dearer = BlockFactory(
        start_date=START + timedelta(days=28),
        rotation__organization=organization,
        rotation__application_fee_cents=20_000,
        rotation__program_fee_cents=300_000,
        rotation__deposit_cents=60_000,
        rotation__balance_due_days_before_start=30,
        rotation__cancellation_policy="strict",
    )
    change = block_change_request(application=application, actor=application.applicant.user, to_block=dearer)
    host = OwnerFactory(organization=organization).user
    block_change_decide(block_change=change, actor=host, approve=True)
    assert BlockChange.objects.get(pk=change.pk).status == BlockChange.Status.APPROVED
    application = Application.objects.select_related("block__rotation").get(pk=application.pk)
    agreed = application_terms(application)
    # The new block's price and policy; the application fee stays the one agreed when it was sent.
    assert agreed == replace(terms_offered(dearer.rotation), application_fee_cents=10_000)
    assert balance_due_on(application) == dearer.start_date - timedelta(days=30)
    assert [(due.purpose, due.amount_cents) for due in amounts_due(application)][-1] == (P.BALANCE, 250_000)
    # The new block's rotation is then edited: the moved booking keeps what it agreed to.
    Rotation.objects.filter(pk=dearer.rotation_id).update(
        program_fee_cents=900_000, cancellation_policy="flexible"
    )
    application.refresh_from_db()
    assert application_terms(application) == agreed


# A date change's target: (its program fee, deposit) when the applicant asks, and what the host's
# API then sets them to, with the strict policy, before approving. Paid in full (2,500.00), the
# cheaper block's quote refunds 700.00, the dearer one's charges 500.00 to the saved card at once.
QUOTES = {
    "cheaper": ((180_000, 40_000), (100_000, 90_000), {"refund_cents": 70_000, "charge_cents": 0}),
    "dearer": ((300_000, 60_000), (400_000, 200_000), {"refund_cents": 0, "charge_cents": 50_000}),
}


@pytest.mark.parametrize("edited", [True, False], ids=["host-edits-before-approving", "no-edit"])
@pytest.mark.parametrize("direction", QUOTES)
def test_a_date_change_is_settled_and_agreed_at_the_price_quoted_when_the_applicant_asked(direction, edited):
    quoted_prices, edited_prices, expected = QUOTES[direction]
    application = booked_with_deposit()
    balance = payment_start(application=application, purpose=P.BALANCE, actor=application.applicant.user)
    assert pay(balance) == "succeeded"
    assert payment_sync(payment_id=balance.pk).status == Payment.Status.SUCCEEDED
    organization = application.block.rotation.organization
    owner = OwnerFactory(organization=organization)
    target = BlockFactory(
        start_date=START + timedelta(days=28),
        rotation__organization=organization,
        rotation__program_fee_cents=quoted_prices[0],
        rotation__deposit_cents=quoted_prices[1],
        rotation__balance_due_days_before_start=45,
        rotation__cancellation_policy="flexible",
    )
    quoted = terms_offered(target.rotation)
    change = block_change_request(application=application, actor=application.applicant.user, to_block=target)
    summary = Notification.objects.get(
        key=f"application:{application.pk}:block-change:{change.pk}:member:{owner.user_id}"
    ).body.split("If you approve: ")[1]
    assert BlockChange.objects.get(pk=change.pk).quoted_terms == quoted.fields()

    if edited:
        for field, value in (
            ("program_fee_cents", edited_prices[0]),
            ("deposit_cents", edited_prices[1]),
            ("cancellation_policy", "strict"),
        ):
            host_edit(target, "api", field, value, monkeypatch=None)
        target.rotation.refresh_from_db()
        assert terms_offered(target.rotation) != quoted

    # Both sides see the quote before the host decides.
    host = login(Client(), owner)
    listed = host.get(reverse("hosts_api:block-change-list")).json()["results"][0]["price_difference"]
    assert {key: listed[key] for key in expected} == expected
    assert summary in host.get(reverse("hosts:block_changes")).content.decode()
    applicant = Client()
    applicant.force_login(application.applicant.user)
    seen = applicant.get(reverse("applicants_api:application", args=[application.pk])).json()
    assert {key: seen["block_changes"][0]["price_difference"][key] for key in expected} == expected
    page = applicant.get(reverse("applicants:application_detail", args=[application.pk])).content.decode()
    assert f"If the host approves: {summary}" in page

    block_change_decide(block_change=change, actor=owner.user, approve=True)
    approved = Notification.objects.get(key=f"application:{application.pk}:block-change:{change.pk}:approved")
    assert approved.body.endswith(summary)
    refunded = Refund.objects.filter(payment__application=application, reason=Refund.Reason.PRICE_DIFFERENCE)
    assert sum(refund.amount_cents for refund in refunded) == expected["refund_cents"]
    charged = balance_charge(application_id=application.pk)  # what the worker does after the approval
    if expected["charge_cents"]:
        intent = stripe_client().v1.payment_intents.retrieve(charged.payment_intent_id)
        cents = expected["charge_cents"]
        assert (charged.status, charged.amount_cents, intent.amount) == ("succeeded", cents, cents)
    else:
        assert charged is None
    moved = Application.objects.select_related("block__rotation").get(pk=application.pk)
    # The quoted price and policy; the application fee stays the one agreed when it was sent.
    assert application_terms(moved) == replace(quoted, application_fee_cents=AGREED["application_fee_cents"])


def test_the_database_refuses_a_date_change_waiting_for_the_host_without_its_quote():
    application = ApplicationFactory(status=S.CONFIRMED, submitted_at=timezone.now())
    to_block = BlockFactory(rotation=application.block.rotation)
    with pytest.raises(IntegrityError, match="block_change_requested_has_quote"), transaction.atomic():
        BlockChange.objects.create(application=application, from_block=application.block, to_block=to_block)


def test_the_database_refuses_an_application_sent_without_agreed_terms():
    draft = ApplicationFactory()
    sent = {"status": S.SUBMITTED, "submitted_at": timezone.now()}
    with pytest.raises(IntegrityError, match="application_sent_has_agreed_terms"), transaction.atomic():
        Application.objects.filter(pk=draft.pk).update(**sent)
    application_terms_fix(application=draft)
    Application.objects.filter(pk=draft.pk).update(**sent)
    assert Application.objects.get(pk=draft.pk).terms_agreed_at is not None


def test_a_draft_withdrawn_unsent_agreed_to_nothing_and_needs_no_terms():
    draft = ApplicationFactory()
    application_withdraw(application=draft, actor=draft.applicant.user)
    withdrawn = Application.objects.get(pk=draft.pk)
    assert (withdrawn.status, withdrawn.terms_agreed_at) == (S.WITHDRAWN, None)


@pytest.mark.django_db(transaction=True)
def test_the_migration_fixes_the_terms_of_applications_already_sent_from_their_rotation():
    sent = ApplicationFactory(status=S.SUBMITTED, block__rotation__cancellation_policy="strict")
    draft = ApplicationFactory(block=sent.block)
    executor = MigrationExecutor(connection)
    before, after = ("applicants", "0007_visa_denials_and_resale"), ("applicants", "0008_agreed_terms")
    try:
        executor.migrate([before])
        # The rotation as it stands when the migration runs is the nearest record of what was agreed.
        Rotation.objects.filter(pk=sent.block.rotation_id).update(
            program_fee_cents=300_000, deposit_cents=70_000
        )
        executor.loader.build_graph()
        executor.migrate([after])
    finally:
        call_command("migrate", verbosity=0)  # the next tests find the schema as it was, whatever happened
    sent, draft = (Application.objects.get(pk=application.pk) for application in (sent, draft))
    assert sent.terms_agreed_at == (sent.submitted_at or sent.created_at)
    assert application_terms(sent) == Terms(
        currency="usd",
        application_fee_cents=10_000,
        program_fee_cents=300_000,
        deposit_cents=70_000,
        balance_due_days_before_start=45,
        cancellation_policy="strict",
        refund_tiers=(policies.Tier(90, 50), policies.Tier(0, 0)),
    )
    assert draft.terms_agreed_at is None  # a draft reads its rotation until it is sent


@pytest.mark.django_db(transaction=True)
def test_the_migration_quotes_date_changes_waiting_for_the_host_from_their_target_rotation():
    application = ApplicationFactory(status=S.CONFIRMED, submitted_at=timezone.now())
    organization = application.block.rotation.organization
    waiting_to, decided_to = (
        BlockFactory(rotation__organization=organization, rotation__cancellation_policy="moderate")
        for _ in range(2)
    )
    executor = MigrationExecutor(connection)
    before = ("applicants", "0008_agreed_terms")
    after = ("applicants", "0009_block_change_quoted_terms")
    try:
        executor.migrate([before])
        OldBlockChange = executor.loader.project_state([before]).apps.get_model("applicants", "BlockChange")
        made = {"application_id": application.pk, "from_block_id": application.block_id}
        waiting = OldBlockChange.objects.create(**made, to_block_id=waiting_to.pk)
        decided = OldBlockChange.objects.create(
            **made, to_block_id=decided_to.pk, status="declined", decided_at=timezone.now()
        )
        Rotation.objects.filter(pk=waiting_to.rotation_id).update(
            program_fee_cents=300_000, deposit_cents=70_000
        )
        executor.loader.build_graph()
        executor.migrate([after])
    finally:
        call_command("migrate", verbosity=0)  # the next tests find the schema as it was, whatever happened
    waiting_to.rotation.refresh_from_db()
    # The target rotation as it stands when the migration runs is the nearest record of the quote.
    assert BlockChange.objects.get(pk=waiting.pk).quoted_terms == terms_offered(waiting_to.rotation).fields()
    assert BlockChange.objects.get(pk=decided.pk).quoted_terms is None
