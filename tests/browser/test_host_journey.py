"""A host's journey in a real browser: a coordinator reviews the queue, offers a seat and rejects
with a reason; an owner is made to set up two-factor authentication before the dashboard."""

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from playwright.sync_api import Page, expect

from amo.models import Notification
from applicants.models import Application
from hosts.models import Membership
from rotations.models import Block, DocumentKind, Rotation
from tests.browser.actions import current_totp_code, log_in
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    MembershipFactory,
    OwnerFactory,
    PreceptorFactory,
    SpecialtyFactory,
    totp_activate,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def submitted_application(block: Block, *, legal_name: str, with_cv: bool) -> Application:
    application = ApplicationFactory(
        block=block, status=Application.Status.SUBMITTED, applicant__legal_name=legal_name
    )
    if with_cv:
        application.documents.add(
            DocumentFactory(applicant=application.applicant, kind=DocumentKind.CV, original_filename="cv.pdf")
        )
    return application


def open_application_from_the_queue(page: Page, legal_name: str) -> None:
    page.get_by_role("navigation", name="Host dashboard").get_by_role("link", name="Applications").click()
    expect(page.get_by_role("heading", name=re.compile("^Applications"))).to_be_visible()
    page.get_by_role("link", name=legal_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(legal_name)


def test_a_coordinator_reviews_the_queue_offers_a_seat_and_rejects_with_a_reason(page):
    coordinator = MembershipFactory()
    EmailAddressFactory(user=coordinator.user)
    block = BlockFactory(
        rotation__organization=coordinator.organization,
        rotation__required_document_kinds=[DocumentKind.CV],
        capacity=3,
    )
    chosen = submitted_application(block, legal_name="Chinedu Eze", with_cv=True)
    declined = submitted_application(block, legal_name="Priya Raman", with_cv=False)

    log_in(page, coordinator.user.email)
    expect(page).to_have_url(re.compile(r"/host/$"))
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    open_application_from_the_queue(page, "Chinedu Eze")
    readiness = page.get_by_role("region", name=re.compile("^Readiness"))
    expect(readiness).to_contain_text("Ready")
    expect(readiness.get_by_text("Not met:")).to_have_count(0)
    expect(readiness.get_by_role("link", name="CV: cv.pdf")).to_be_visible()
    expect(readiness).to_contain_text("Verified")

    page.get_by_role("button", name="Offer a seat").click()
    expect(page.get_by_role("alert")).to_have_text("Offer sent; a seat is held until the deadline.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Offered")
    expect(page.get_by_role("list", name="Seat and deadlines")).to_contain_text("offer hold until")
    chosen = Application.objects.with_hold().get(pk=chosen.pk)
    assert chosen.status == Application.Status.OFFERED and chosen.hold_expires_at is not None
    assert Block.objects.get(pk=block.pk).seats_taken == 1
    assert Notification.objects.filter(
        recipient=chosen.applicant.user, key__startswith=f"application:{chosen.pk}:offered"
    ).exists()

    open_application_from_the_queue(page, "Priya Raman")
    expect(page.get_by_role("region", name=re.compile("^Readiness"))).to_contain_text("Not ready")
    page.get_by_label("Reason").fill("This block needs a CV; apply again for the autumn block with one.")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("alert")).to_have_text("Application rejected; the applicant is told why.")
    declined.refresh_from_db()
    assert declined.status == Application.Status.REJECTED
    assert Block.objects.get(pk=block.pk).seats_taken == 1
    notification = Notification.objects.get(
        recipient=declined.applicant.user, key__startswith=f"application:{declined.pk}:rejected"
    )
    assert "apply again for the autumn block" in notification.body


def test_an_applicant_reads_the_offer_and_withdrawing_gives_the_held_seat_back(page):
    coordinator = MembershipFactory()
    EmailAddressFactory(user=coordinator.user)
    block = BlockFactory(
        rotation__organization=coordinator.organization, rotation__title="Neurology Externship"
    )
    application = submitted_application(block, legal_name="Chinedu Eze", with_cv=True)
    EmailAddressFactory(user=application.applicant.user)
    log_in(page, coordinator.user.email)
    page.goto(f"/host/applications/{application.pk}/")
    page.get_by_role("button", name="Offer a seat").click()
    expect(page.get_by_role("alert")).to_contain_text("Offer sent")
    assert Block.objects.get(pk=block.pk).seats_taken == 1

    page.get_by_role("button", name="Log out").click()
    log_in(page, application.applicant.user.email)
    notifications = page.get_by_role("region", name="Notifications")
    notifications.get_by_role("link", name="Offer: Neurology Externship").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neurology Externship")
    expect(page.get_by_text("Respond by")).to_be_visible()
    page.get_by_role("button", name="Confirm withdrawal").click()
    expect(page.get_by_role("alert")).to_have_text("Application withdrawn.")
    assert Block.objects.get(pk=block.pk).seats_taken == 0


def test_a_coordinator_waitlists_several_applications_at_once_from_the_queue(page):
    coordinator = MembershipFactory()
    EmailAddressFactory(user=coordinator.user)
    block = BlockFactory(rotation__organization=coordinator.organization)
    first = submitted_application(block, legal_name="Amara Nwosu", with_cv=False)
    second = submitted_application(block, legal_name="Luis Ortega", with_cv=False)
    untouched = submitted_application(block, legal_name="Mei Chen", with_cv=False)
    log_in(page, coordinator.user.email)
    page.goto("/host/applications/")
    page.get_by_label("Select application of Amara Nwosu").check()
    page.get_by_label("Select application of Luis Ortega").check()
    page.get_by_label("Action").select_option(label="Waitlist")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("alert")).to_have_text("2 of 2 applications updated.")
    statuses = dict(
        Application.objects.filter(pk__in=[first.pk, second.pk, untouched.pk]).values_list("pk", "status")
    )
    assert statuses == {
        first.pk: Application.Status.WAITLISTED,
        second.pk: Application.Status.WAITLISTED,
        untouched.pk: Application.Status.SUBMITTED,
    }


def test_an_owner_without_two_factor_authentication_sets_it_up_before_the_dashboard(page):
    owner = OwnerFactory(totp=False)
    EmailAddressFactory(user=owner.user)

    log_in(page, owner.user.email)
    # allauth asks for the password once more before a second factor is added.
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    assert "next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F" in page.url
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()

    page.get_by_label("Authenticator code").fill("000000")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    assert not Authenticator.objects.filter(user=owner.user).exists()

    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(current_totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    assert Authenticator.objects.filter(user=owner.user, type=Authenticator.Type.TOTP).exists()

    page.goto("/host/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_text("set up two-factor authentication")).to_have_count(0)

    # From now on the second factor is part of logging in, and the owner lands on the dashboard.
    page.get_by_role("button", name="Log out").click()
    log_in(page, owner.user.email, totp_secret=secret)
    expect(page).to_have_url(re.compile(r"/host/$"))
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_a_coordinator_creates_a_rotation_adds_a_block_and_publishes_it(page):
    coordinator = MembershipFactory()
    EmailAddressFactory(user=coordinator.user)
    preceptor = PreceptorFactory(organization=coordinator.organization, full_name="Dr. Grace Lee")
    SpecialtyFactory(name="Pediatrics")
    log_in(page, coordinator.user.email)

    page.get_by_role("navigation", name="Host dashboard").get_by_role("link", name="Rotations").click()
    page.get_by_role("link", name="New rotation").click()
    page.get_by_label("Title").fill("Pediatrics Clerkship")
    page.get_by_label("Specialty").select_option(label="Pediatrics")
    page.get_by_label("Preceptor").select_option(label=str(preceptor))
    page.get_by_label("Type").select_option(label="Hands-on (externship / clerkship)")
    page.get_by_label("Setting").select_option(label="Outpatient")
    page.get_by_label("Description").fill("Four weeks in a busy pediatric clinic.")
    page.get_by_role("group", name="Required document kinds").get_by_label("CV").check()
    page.get_by_label("Application fee (USD)").fill("75")
    page.get_by_label("Program fee (USD)").fill("1800.50")
    page.get_by_label("Deposit (USD)").fill("2000")
    page.get_by_role("button", name="Save").click()
    # A deposit larger than the program fee is refused, nothing is saved, and what was typed stays.
    # The refusal names the field at the top of the long form and stands under the field itself.
    expect(page.get_by_role("alert")).to_contain_text("Please correct Deposit (USD)")
    expect(page.locator("#id_deposit-errors")).to_have_text(
        "The deposit cannot be more than the program fee."
    )
    assert not Rotation.objects.filter(title="Pediatrics Clerkship").exists()

    page.get_by_label("Deposit (USD)").fill("400")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("saved as a draft")
    rotation = Rotation.objects.get(title="Pediatrics Clerkship", organization=coordinator.organization)
    assert (rotation.application_fee_cents, rotation.program_fee_cents, rotation.deposit_cents) == (
        7_500,
        180_050,
        40_000,
    )
    assert rotation.required_document_kinds == [DocumentKind.CV]
    assert rotation.status == Rotation.Status.DRAFT

    start = date.today() + timedelta(days=120)
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("Weeks").fill("4")
    page.get_by_label("Capacity").fill("2")
    page.get_by_label("Apply by").fill((start - timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Add block").click()
    expect(page.get_by_role("table", name=re.compile("Blocks of"))).to_contain_text(
        f"{start:%b} {start.day}, {start.year}"
    )
    assert rotation.blocks.get().capacity == 2

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published", exact=True)).to_be_visible()
    rotation.refresh_from_db()
    assert rotation.status == Rotation.Status.PUBLISHED


def test_an_owner_invites_a_coordinator_who_signs_up_from_the_emailed_link_and_joins(
    page, open_page, celery_worker
):
    owner = OwnerFactory(totp=False)
    secret = totp_activate(owner.user)
    EmailAddressFactory(user=owner.user)
    log_in(page, owner.user.email, totp_secret=secret)
    page.get_by_role("navigation", name="Host dashboard").get_by_role("link", name="Members").click()
    page.get_by_label("Email").fill("new.coordinator@clinic.test")
    page.get_by_label("Role").select_option(label="Coordinator")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert")).to_have_text("Invitation sent to new.coordinator@clinic.test.")

    invitation_mail = wait_until(
        lambda: [m for m in mail.outbox if "new.coordinator@clinic.test" in m.to],
        what="the invitation email",
    )[0]
    invitation_path = urlsplit(
        re.search(r"https?://\S+/host/invitations/accept/\S+", invitation_mail.body)[0]
    ).path

    invitee = open_page()
    invitee.goto(invitation_path)
    invitee.get_by_role("main").get_by_role("link", name="sign up").click()
    invitee.get_by_role("group", name="I am").get_by_label(re.compile("A host organization")).check()
    invitee.get_by_label("Full name").fill("Dana Whitfield")
    invitee.get_by_label("Email").fill("new.coordinator@clinic.test")
    invitee.get_by_label("Password", exact=True).fill(PASSWORD)
    invitee.get_by_label("Password (again)").fill(PASSWORD)
    invitee.get_by_role("button", name="Sign Up").click()
    expect(invitee.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    confirm_mail = [
        m for m in mail.outbox if "new.coordinator@clinic.test" in m.to and m is not invitation_mail
    ][0]
    invitee.goto(urlsplit(re.search(r"https?://\S+/accounts/confirm-email/\S+", confirm_mail.body)[0]).path)
    invitee.get_by_role("button", name="Confirm").click()
    expect(invitee.get_by_role("heading", name=re.compile("^Join"))).to_be_visible()
    invitee.get_by_role("button", name="Accept invitation").click()
    expect(invitee.get_by_role("alert")).to_contain_text("Welcome to")
    expect(invitee.get_by_role("heading", name="Overview")).to_be_visible()
    membership = Membership.objects.get(user__email="new.coordinator@clinic.test")
    assert (membership.organization, membership.role) == (owner.organization, Membership.Role.COORDINATOR)
