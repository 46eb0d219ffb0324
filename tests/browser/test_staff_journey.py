"""The staff journey in a real browser: a placement coordinator signs in to the admin with two-factor
authentication, verifies an applicant's document, cancels a paid booking with the policy's refund,
reads the change in the booking's history, and exports the filtered placements as CSV; a finance
colleague, who holds the ledger (the coordinator does not: least privilege), finds the refund in
it. axe-core finds no serious or critical violation on any admin page they open."""

import csv
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amo.staff_groups import FINANCE, PLACEMENT_COORDINATOR
from applicants.models import Application, Document
from applicants.selectors import PLACEMENT_CSV_HEADER
from payments.models import LedgerEntry, Payment, Refund
from rotations.models import DocumentKind
from tests.admin_pages import member_of
from tests.browser.actions import log_in
from tests.browser.audit import assert_no_serious_axe_violations
from tests.factories import (
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    totp_activate,
)
from tests.payments.stripe_helpers import paid
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
S = Application.Status


def staff_member(group: str, email: str):
    """A member of staff in `group` (no superuser), with an authenticator app: (user, its secret)."""
    user = member_of(group, totp=False, email=email)
    EmailAddressFactory(user=user)
    return user, totp_activate(user)


def audited(page: Page) -> None:
    assert_no_serious_axe_violations(page)


def run_action(page: Page, selected: str, action: str) -> None:
    """Tick one row of an admin list and run one of its actions, as staff do."""
    page.get_by_role("checkbox", name=f"Select this object for an action - {selected}").check()
    page.get_by_role("combobox", name="Action").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def test_a_coordinator_verifies_a_document_cancels_a_paid_booking_and_exports_the_placements(
    page, open_page, celery_worker
):
    coordinator, coordinator_secret = staff_member(PLACEMENT_COORDINATOR, "coordinator@amo.test")
    finance, finance_secret = staff_member(FINANCE, "finance@amo.test")
    passport = DocumentFactory(
        applicant__legal_name="Chinedu Eze",
        kind=DocumentKind.PASSPORT,
        original_filename="passport.pdf",
        verification_status=Document.VerificationStatus.PENDING,
    )
    # 75 days before the start the policy gives back all of the $500 deposit, paid at localstripe.
    block = BlockFactory(
        rotation__title="Cardiology Observership",
        rotation__organization__name="Lakeside Heart Institute",
        rotation__specialty__name="Cardiology",
        start_date=date.today() + timedelta(days=75),
    )
    booking = ApplicationFactory(
        block=block,
        status=S.AWAITING_PAYMENT,
        submitted_at=timezone.now(),
        applicant__legal_name="Amaka Obi",
    )
    deposit = paid(booking, Payment.Purpose.DEPOSIT)
    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED
    ApplicationFactory(block=block, status=S.SUBMITTED, applicant__legal_name="Luis Ortega")
    ApplicationFactory(status=S.CANCELLED, applicant__legal_name="Mei Chen", submitted_at=timezone.now())

    log_in(page, coordinator.email, totp_secret=coordinator_secret)
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    expect(page.get_by_role("link", name="Ledger entries")).to_have_count(0)  # finance's, not theirs
    audited(page)

    # Verify the passport from the documents waiting for it.
    page.get_by_role("link", name="Documents", exact=True).click()
    audited(page)
    page.get_by_role("link", name="Pending verification").click()
    run_action(page, "Passport of Chinedu Eze", "Verify the selected documents")
    expect(page.get_by_text("1 document verified.")).to_be_visible()
    audited(page)
    passport.refresh_from_db()
    assert passport.verification_status == Document.VerificationStatus.VERIFIED

    # Cancel the booking with the policy's refund.
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Applications", exact=True).click()
    audited(page)
    run_action(
        page,
        "Amaka Obi → Cardiology Observership",
        "Cancel the selected booking with a refund (asks why and how much)",
    )
    expect(page.get_by_role("heading", name=re.compile("^Cancel the booking of Amaka Obi"))).to_be_visible()
    expect(page.locator("#policy-refund")).to_have_text("$500.00")
    audited(page)
    page.get_by_label("Reason (told to the applicant and the host)").fill("The host closed the ward.")
    # Another amount is finance's to set: the coordinator is told so and is not offered one.
    expect(page.get_by_text("Finance may refund another amount")).to_be_visible()
    expect(page.get_by_label("Amount to refund", exact=False)).to_have_count(0)
    page.get_by_role("button", name="Cancel the booking").click()
    expect(page.get_by_text("is cancelled; the refund is on its way.")).to_be_visible()
    audited(page)
    booking.refresh_from_db()
    assert booking.status == S.CANCELLED
    refund = wait_until(
        lambda: Refund.objects.filter(payment=deposit, status=Refund.Status.SUCCEEDED).first(),
        what="the worker sending the refund to Stripe",
    )
    assert refund.amount_cents == 50_000

    # The booking's history says who cancelled it.
    page.get_by_role("link", name="History").click()
    audited(page)
    cancelled = page.get_by_role("row").filter(has_text="coordinator@amo.test").filter(has_text="Cancelled")
    expect(cancelled.first).to_contain_text("Status: Confirmed → Cancelled")

    # The cancelled placements, as a file.
    page.goto("/admin/applicants/application/")
    page.locator("#changelist-filter").get_by_role("link", name="Cancelled", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"status__exact=cancelled"))
    audited(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these placements as CSV").click()
    download = download_info.value
    assert re.fullmatch(r"placements-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file))
    assert header == PLACEMENT_CSV_HEADER
    by_applicant = {row[1]: row for row in rows}
    assert sorted(by_applicant) == ["Amaka Obi", "Mei Chen"]
    amaka = by_applicant["Amaka Obi"]
    assert amaka[0] == str(booking.pk)
    assert amaka[3:6] == ["Cardiology Observership", "Lakeside Heart Institute", "Cardiology"]
    assert amaka[6] == block.start_date.isoformat()
    assert amaka[8:10] == ["Cancelled", "$0.00"]  # the deposit refunded in full

    # Finance holds the ledger: the refund is there.
    page.get_by_role("button", name="Log out").click()
    ledger = open_page()
    log_in(ledger, finance.email, totp_secret=finance_secret)
    ledger.goto("/admin/")
    audited(ledger)
    ledger.get_by_role("link", name="Ledger entries").click()
    audited(ledger)
    ledger.locator("#changelist-filter").get_by_role("link", name="Refund", exact=True).click()
    audited(ledger)
    row = ledger.get_by_role("row").filter(has_text=str(refund))
    expect(row).to_contain_text("-$500.00")
    assert (
        LedgerEntry.objects.filter(refund=refund, kind=LedgerEntry.Kind.REFUND).get().amount_cents == -50_000
    )
