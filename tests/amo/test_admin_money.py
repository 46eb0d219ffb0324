"""Every amount in the staff admin reads as money ("$1,234.56", "EUR 1,234.56"), never as raw cents:
on the list page and the change page of every admin of ours whose model keeps a `*_cents` field. The
registry is walked, so a new admin with an amount needs a row here before it passes."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from amo.money import format_cents
from applicants.models import Application
from payments.models import LedgerEntry, Payment, Refund
from tests.factories import ApplicationFactory, BlockChangeFactory, BlockFactory, RotationFactory

pytestmark = pytest.mark.django_db
OUR_APPS = {"amo", "applicants", "hosts", "rotations", "payments"}
CENTS = 123_456


def _cents_fields(model) -> list:
    return [field for field in model._meta.concrete_fields if field.name.endswith("_cents")]


def _with_amounts():
    return sorted(
        (
            model
            for model in admin.site._registry
            if model._meta.app_label in OUR_APPS and _cents_fields(model)
        ),
        key=lambda model: model._meta.label,
    )


def _payment(currency: str = "usd") -> Payment:
    return Payment.objects.create(
        application=ApplicationFactory(status=Application.Status.CONFIRMED),
        purpose=Payment.Purpose.DEPOSIT,
        amount_cents=CENTS,
        refunded_cents=CENTS,
        currency=currency,
        status=Payment.Status.SUCCEEDED,
        succeeded_at=timezone.now(),
    )


def _ledger_entry() -> LedgerEntry:
    payment = _payment()
    return LedgerEntry.objects.create(
        organization=payment.application.block.rotation.organization,
        kind=LedgerEntry.Kind.REFUND,
        amount_cents=-CENTS,
        currency=payment.currency,
        payment=payment,
    )


# A row of each model with amounts, each amount 123456 cents (a total, their sum); some in euros, so
# each row's own currency is the one shown (a refund's is its payment's).
ROWS = {
    "rotations.Rotation": lambda: RotationFactory(
        application_fee_cents=CENTS, program_fee_cents=CENTS, deposit_cents=CENTS
    ),
    "applicants.Application": lambda: ApplicationFactory(
        status=Application.Status.SUBMITTED,
        block__rotation__currency="eur",
        block__rotation__application_fee_cents=CENTS,
        block__rotation__program_fee_cents=CENTS,
        block__rotation__deposit_cents=CENTS,
    ),
    "payments.Payment": _payment,
    "payments.Refund": lambda: Refund.objects.create(
        payment=_payment("eur"), amount_cents=CENTS, reason=Refund.Reason.CANCELLATION
    ),
    "payments.LedgerEntry": _ledger_entry,
}


def _currency(row) -> str:
    return row.payment.currency if isinstance(row, Refund) else row.currency


def _reads_as_money(content: str, row) -> None:
    for field in _cents_fields(type(row)):
        cents = getattr(row, field.name)
        assert format_cents(cents, _currency(row)) in content, (type(row), field.name)
        assert str(abs(cents)) not in content, (type(row), field.name)
        assert f"{abs(cents):,}" not in content, (type(row), field.name)
        assert capfirst(field.verbose_name) not in content, (type(row), field.name)


def test_every_admin_with_amounts_has_a_row_here():
    assert {model._meta.label for model in _with_amounts()} == set(ROWS)


@pytest.mark.parametrize("model", _with_amounts(), ids=lambda model: model._meta.label)
def test_every_amount_reads_as_money_on_the_list_and_change_pages(founder_client, model):
    row = ROWS[model._meta.label]()
    row.refresh_from_db()
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    change = founder_client.get(reverse(f"{prefix}_change", args=[row.pk]))
    assert change.status_code == 200
    _reads_as_money(change.content.decode(), row)
    listed = founder_client.get(reverse(f"{prefix}_changelist") + f"?id__exact={row.pk}")
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 1
    content = listed.content.decode()
    for name in admin.site._registry[model].get_list_display(listed.wsgi_request):
        assert not name.endswith("_cents"), (model, name)
    for field in _cents_fields(model):
        assert str(abs(getattr(row, field.name))) not in content, (model, field.name)


def test_a_date_changes_quoted_price_reads_as_money(founder_client):
    booking = ApplicationFactory(status=Application.Status.CONFIRMED)
    to_block = BlockFactory(rotation__currency="eur", rotation__program_fee_cents=CENTS)
    change = BlockChangeFactory(application=booking, to_block=to_block)
    page = founder_client.get(reverse("admin:applicants_blockchange_change", args=[change.pk]))
    content = page.content.decode()
    assert "program fee EUR 1,234.56" in content
    assert str(CENTS) not in content
