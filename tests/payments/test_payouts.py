"""The ledger's reads and payouts: a host's balance and payout report (page, CSV, API), computed
from the ledger only, for owners only and only of their own organization; staff record payouts,
never above the balance."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from amo.errors import DomainError
from amo.money import commission_cents
from applicants.models import Application
from hosts.models import Membership, Organization
from payments.models import LedgerEntry, Payment
from payments.selectors import organization_balance, organization_payout_report
from payments.services import payment_start, payment_sync, payout_record, refund_create
from tests.factories import ApplicationFactory, MembershipFactory, OwnerFactory, StaffFactory
from tests.hosts.conftest import login
from tests.payments.stripe_helpers import pay
from tests.waiting import run_at_once

K = LedgerEntry.Kind
S = Application.Status


def paid_deposit(organization: Organization | None = None, **fields) -> Payment:
    """A deposit paid through localstripe: the charge and commission are in the ledger."""
    if organization is not None:
        fields["block__rotation__organization"] = organization
    application = ApplicationFactory(status=S.AWAITING_PAYMENT, **fields)
    payment = payment_start(application=application, purpose="deposit", actor=application.applicant.user)
    pay(payment)
    payment = payment_sync(payment_id=payment.pk)
    assert payment.status == Payment.Status.SUCCEEDED
    return payment


def ledger_for(organization: Organization, *, applicant: str, charge_cents: int = 40_000) -> Payment:
    """Ledger rows of one succeeded payment written straight to the tables, for tests about reading
    the ledger where paying through Stripe is not the point (the isolation matrix)."""
    application = ApplicationFactory(
        status=S.CONFIRMED, block__rotation__organization=organization, applicant__legal_name=applicant
    )
    payment = Payment.objects.create(
        application=application,
        purpose=Payment.Purpose.DEPOSIT,
        amount_cents=charge_cents,
        status=Payment.Status.SUCCEEDED,
        succeeded_at=application.created_at,
    )
    for kind, amount in [(K.CHARGE, charge_cents), (K.COMMISSION, -commission_cents(charge_cents, 1500))]:
        LedgerEntry.objects.create(
            organization=organization, payment=payment, kind=kind, amount_cents=amount, currency="usd"
        )
    return payment


def owner_client(organization: Organization):
    from django.test import Client

    return login(Client(), OwnerFactory(organization=organization))


@pytest.mark.django_db
def test_the_balance_is_charges_less_commission_and_refunds_plus_commission_returned_less_payouts():
    payment = paid_deposit(block__rotation__organization__commission_rate_bps=1234)
    organization = payment.application.block.rotation.organization
    refund_create(payment=payment, amount_cents=10_001, reason="staff")
    staff = StaffFactory()
    payout_record(organization=organization, amount_cents=30_000, actor=staff)

    commission = 6_170  # 12.34% of 50,000
    # The platform keeps its commission's share of the 39,999 the host keeps, rounded down (4,935.88):
    # 1,235 goes back, not the refund's own share rounded down (1,234.12).
    returned = 6_170 - 4_935
    expected = 50_000 - commission - 10_001 + returned - 30_000
    assert expected == 5_064
    assert organization_balance(organization=organization) == expected

    report = organization_payout_report(organization=organization)
    assert report.totals == {
        K.CHARGE: 50_000,
        K.REFUND: -10_001,
        K.COMMISSION: -6_170,
        K.COMMISSION_REVERSAL: 1_235,
        K.PAYOUT: -30_000,
    }
    assert report.net_cents == expected
    assert [line.kind for line in report.lines] == [
        K.CHARGE,
        K.COMMISSION,
        K.REFUND,
        K.COMMISSION_REVERSAL,
        K.PAYOUT,
    ]
    charge = report.lines[0]
    assert charge.application_id == payment.application_id
    assert charge.applicant == payment.application.applicant.legal_name
    assert charge.purpose == "Deposit"
    assert report.lines[-1].application_id is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("deposit", "rate_bps", "commission"), [(1_001, 1500, 150), (1_234, 1800, 222), (99, 1500, 14)]
)
def test_the_ledger_rounds_commission_down_and_its_refunds_give_all_of_it_back_and_never_more(
    deposit, rate_bps, commission
):
    payment = paid_deposit(
        block__rotation__deposit_cents=deposit,
        block__rotation__organization__commission_rate_bps=rate_bps,
    )
    organization = payment.application.block.rotation.organization
    assert organization_balance(organization=organization) == deposit - commission
    given = []
    for part in (deposit // 3, deposit // 3, deposit - 2 * (deposit // 3)):
        refund = refund_create(payment=payment, amount_cents=part, reason="staff")
        given.append(
            sum(
                LedgerEntry.objects.filter(refund=refund, kind=K.COMMISSION_REVERSAL).values_list(
                    "amount_cents", flat=True
                )
            )
        )
        assert sum(given) <= commission
    assert sum(given) == commission
    assert organization_balance(organization=organization) == 0


@pytest.mark.django_db
def test_a_payout_above_the_balance_is_refused_and_writes_nothing():
    organization = OwnerFactory().organization
    ledger_for(organization, applicant="A")
    balance = organization_balance(organization=organization)
    assert balance == 34_000
    entries = LedgerEntry.objects.count()
    staff = StaffFactory()
    for amount in (balance + 1, 0, -5):
        with pytest.raises(DomainError) as refusal:
            payout_record(organization=organization, amount_cents=amount, actor=staff)
        assert refusal.value.extra["fields"]["amount_cents"]
    with pytest.raises(DomainError) as refusal:
        payout_record(
            organization=organization, amount_cents=100, actor=OwnerFactory(organization=organization).user
        )
    assert refusal.value.status == 403
    assert LedgerEntry.objects.count() == entries
    entry = payout_record(organization=organization, amount_cents=balance, actor=staff)
    assert (entry.kind, entry.amount_cents, entry.payment_id) == (K.PAYOUT, -balance, None)
    assert organization_balance(organization=organization) == 0


@pytest.mark.django_db(transaction=True)
def test_two_payouts_at_once_never_overdraw_the_balance():
    organization = OwnerFactory().organization
    ledger_for(organization, applicant="A")  # balance 34,000
    staff = StaffFactory()
    outcomes = run_at_once(
        [
            lambda: payout_record(organization=organization.pk, amount_cents=20_000, actor=staff)
            for _ in range(2)
        ]
    )
    assert sorted(type(outcome.error).__name__ for outcome in outcomes) == ["DomainError", "NoneType"]
    assert organization_balance(organization=organization) == 14_000
    assert LedgerEntry.objects.filter(kind=K.PAYOUT).count() == 1


@pytest.mark.django_db
def test_the_report_keeps_to_its_period_and_the_csv_has_its_lines_totals_and_a_named_file():
    organization = OwnerFactory().organization
    organization.slug = "alpha-clinic"
    organization.save(update_fields=["slug"])
    with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False):
        early = ledger_for(organization, applicant="Early Applicant")
    with time_machine.travel(datetime(2026, 4, 15, 12, tzinfo=UTC), tick=False):
        payment = ledger_for(organization, applicant="=Formula Applicant", charge_cents=10_000)
        payout_record(organization=organization, amount_cents=5_000, actor=StaffFactory())
    client = owner_client(organization)
    url = reverse("hosts:payouts")

    response = client.get(url, {"from": "2026-04-01", "to": "2026-04-30", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="payouts-alpha-clinic-2026-04-01-2026-04-30.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "date",
        "application",
        "applicant",
        "purpose",
        "kind",
        "amount_cents",
        "amount",
        "currency",
    ]
    assert rows[1] == [
        "carried",
        "",
        "",
        "",
        "",
        "34000",
        "$340.00",
        "usd",
    ]  # March's charge, less commission
    assert rows[2:5] == [
        [
            "2026-04-15",
            str(payment.application_id),
            "'=Formula Applicant",
            "Deposit",
            "charge",
            "10000",
            "$100.00",
            "usd",
        ],
        [
            "2026-04-15",
            str(payment.application_id),
            "'=Formula Applicant",
            "Deposit",
            "commission",
            "-1500",
            "-$15.00",
            "usd",
        ],
        ["2026-04-15", "", "", "", "payout", "-5000", "-$50.00", "usd"],
    ]
    totals = {row[4]: int(row[5]) for row in rows if row[0] == "total"}
    assert totals == {
        "charge": 10_000,
        "refund": 0,
        "commission": -1_500,
        "commission_reversal": 0,
        "payout": -5_000,
    }
    assert rows[-2][:1] + rows[-2][5:6] == ["net", "3500"]
    assert rows[-1][:1] + rows[-1][5:6] == ["balance", "37500"]
    assert str(early.application_id) not in {row[1] for row in rows}

    same = client.get(reverse("hosts:payouts_csv"), {"from": "2026-04-01", "to": "2026-04-30"})
    assert same.content == response.content

    page = client.get(url, {"from": "2026-03-01", "to": "2026-03-31"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Early Applicant" in text and "Formula Applicant" not in text
    assert page.context["balance_cents"] == 34_000 + 8_500 - 5_000  # the balance ignores the period

    backwards = client.get(url, {"from": "2026-04-30", "to": "2026-04-01"})
    assert backwards.status_code == 400
    assert "The period ends before it starts." in backwards.content.decode()
    assert client.get(url, {"from": "not-a-date"}).status_code == 400


@pytest.mark.django_db
def test_a_negative_balance_after_a_payout_is_carried_and_deducted_from_the_next_payout():
    staff = StaffFactory()
    with time_machine.travel(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False):
        payment = paid_deposit()  # 50,000 charged, 7,500 commission
        organization = payment.application.block.rotation.organization
        payout_record(organization=organization, amount_cents=42_500, actor=staff)
    with time_machine.travel(datetime(2026, 3, 9, 12, tzinfo=UTC), tick=False):
        # The deposit goes back after it was paid out: the host owes it, less the commission returned.
        refund_create(payment=payment, amount_cents=50_000, reason="staff")
    assert organization_balance(organization=organization) == -42_500

    with pytest.raises(DomainError) as refusal:
        payout_record(organization=organization, amount_cents=100, actor=staff)
    assert refusal.value.status == 409
    assert "balance is -$425.00" in refusal.value.message
    assert "deducted from the next payout" in refusal.value.message
    client = owner_client(organization)
    page = client.get(reverse("hosts:payouts")).content.decode()
    assert 'data-testid="negative-balance"' in page and "-$425.00" in page

    with time_machine.travel(datetime(2026, 3, 16, 12, tzinfo=UTC), tick=False):
        ledger_for(organization, applicant="Next Applicant", charge_cents=100_000)  # +85,000
    with pytest.raises(DomainError, match="at most the balance, \\$425.00"):
        payout_record(organization=organization, amount_cents=85_000, actor=staff)
    payout_record(organization=organization, amount_cents=42_500, actor=staff)  # 85,000 less what was carried
    assert organization_balance(organization=organization) == 0

    # The report of the weeks after the refund opens with the negative balance carried in.
    report = organization_payout_report(organization=organization, date_from=date(2026, 3, 10))
    assert report.carried_cents == -42_500
    assert report.net_cents == 85_000 - 42_500
    assert report.closing_cents == 0
    page = client.get(reverse("hosts:payouts"), {"from": "2026-03-10"}).content.decode()
    assert "Carried from before Mar 10, 2026" in page and "-$425.00" in page
    assert 'data-testid="negative-balance"' not in page
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("hosts:payouts_csv"), {"from": "2026-03-10"}).content.decode())
        )
    )
    assert rows[1] == ["carried", "", "", "", "", "-42500", "-$425.00", "usd"]
    api = APIClient()
    api.force_authenticate(organization.memberships.filter(role=Membership.Role.OWNER).first().user)
    body = api.get(reverse("hosts_api:payouts"), {"from": "2026-03-10"}).json()
    assert (body["carried_cents"], body["net_cents"], body["closing_balance_cents"]) == (-42_500, 42_500, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Membership.Role.COORDINATOR, Membership.Role.PRECEPTOR])
def test_only_owners_see_payouts(client, role):
    organization = OwnerFactory().organization
    ledger_for(organization, applicant="A")
    member = MembershipFactory(organization=organization, role=role)
    login(client, member)
    for url in [reverse("hosts:payouts"), reverse("hosts:payouts_csv"), reverse("hosts_api:payouts")]:
        assert client.get(url).status_code == 403, url
    assert "Payouts" not in client.get(reverse("hosts:dashboard")).content.decode()


@pytest.mark.django_db
def test_an_owner_sees_only_their_own_organizations_entries_on_the_page_csv_and_api():
    alpha, bravo = OwnerFactory().organization, OwnerFactory().organization
    ledger_for(alpha, applicant="Alpha Applicant")
    ledger_for(bravo, applicant="Bravo Applicant", charge_cents=90_000)
    client = owner_client(alpha)
    page = client.get(reverse("hosts:payouts")).content.decode()
    assert "Alpha Applicant" in page and "Bravo Applicant" not in page and "$340.00" in page
    assert "Bravo Applicant" not in client.get(reverse("hosts:payouts_csv")).content.decode()
    data = client.get(reverse("hosts_api:payouts")).json()
    assert data["balance_cents"] == 34_000
    assert {line["applicant"] for line in data["lines"]} == {"Alpha Applicant"}
    # Naming the other organization in the header is refused.
    assert client.get(reverse("hosts_api:payouts"), headers={"X-Organization": bravo.slug}).status_code == 403


@pytest.mark.django_db
def test_the_api_gives_the_balance_and_the_periods_totals_and_lines():
    payment = paid_deposit()
    organization = payment.application.block.rotation.organization
    api = APIClient()
    owner = OwnerFactory(organization=organization)
    api.force_authenticate(owner.user)
    response = api.get(reverse("hosts_api:payouts"))
    assert response.status_code == 200
    body = response.json()
    assert body["balance_cents"] == 50_000 - 7_500
    assert body["totals"] == {
        "charge": 50_000,
        "refund": 0,
        "commission": -7_500,
        "commission_reversal": 0,
        "payout": 0,
    }
    assert body["net_cents"] == 42_500
    first = body["lines"][0]
    assert (first["application"], first["purpose"], first["kind"], first["amount_cents"]) == (
        payment.application_id,
        "Deposit",
        "charge",
        50_000,
    )
    assert first["applicant"] == payment.application.applicant.legal_name
    refused = api.get(reverse("hosts_api:payouts"), {"from": "2026-05-02", "to": "2026-05-01"})
    assert refused.status_code == 400
    assert "date_to" in refused.json()["extra"]["fields"]
    schema = api.get("/api/schema/", {"format": "json"})
    assert "/api/v1/host/payouts/" in schema.json()["paths"]


@pytest.mark.django_db
def test_the_page_and_api_cost_the_same_few_queries_for_any_number_of_entries(django_assert_max_num_queries):
    organization = OwnerFactory().organization
    client = owner_client(organization)
    api = APIClient()
    api.force_authenticate(organization.memberships.first().user)
    for count in (1, 6):
        while LedgerEntry.objects.filter(kind=K.CHARGE).count() < count:
            ledger_for(organization, applicant=f"Applicant {count}")
        with django_assert_max_num_queries(12):
            assert client.get(reverse("hosts:payouts")).status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get(reverse("hosts:payouts_csv")).status_code == 200
        with django_assert_max_num_queries(8):
            assert api.get(reverse("hosts_api:payouts")).status_code == 200


@pytest.mark.django_db
def test_staff_record_a_payout_in_the_admin_never_above_the_balance(client):
    organization = OwnerFactory().organization
    ledger_for(organization, applicant="A")
    client.force_login(StaffFactory())
    url = reverse("admin:payments_ledgerentry_record_payout")
    assert client.get(url).status_code == 200
    too_much = client.post(url, {"organization": organization.pk, "amount": "340.01"})
    assert too_much.status_code == 400
    assert "at most the balance" in too_much.content.decode()
    assert not LedgerEntry.objects.filter(kind=K.PAYOUT).exists()
    done = client.post(url, {"organization": organization.pk, "amount": "300.00"})
    assert done.status_code == 302
    assert organization_balance(organization=organization) == 4_000
    assert "Record a payout" in client.get(reverse("admin:payments_ledgerentry_changelist")).content.decode()
