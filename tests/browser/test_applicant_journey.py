"""An IMG's journey in a real browser: sign up, verify the email, complete the profile, upload
documents, have staff verify them, apply for a block, and withdraw with the refund shown first."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from amo.models import Notification, User
from applicants.models import Application, Document
from rotations.models import DocumentKind
from tests.browser.actions import current_totp_code, log_in, type_card
from tests.factories import (
    PASSWORD,
    PDF_BYTES,
    ApplicantFactory,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    StaffFactory,
    totp_activate,
)

pytestmark = pytest.mark.django_db(transaction=True)

REQUIRED = [DocumentKind.CV, DocumentKind.PASSPORT]


def block_requiring_cv_and_passport():
    return BlockFactory(
        rotation__required_document_kinds=REQUIRED,
        rotation__title="Inpatient Medicine Externship",
        rotation__specialty__name="Internal Medicine",
    )


def sign_up(page: Page, *, email: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_role("group", name="I am").get_by_label("An IMG applying for rotations").check()
    page.get_by_label("Full name").fill("Adaeze Okafor")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()


def confirmation_path(email: str) -> str:
    [message] = [m for m in mail.outbox if email in m.to]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body).group(0)
    # The link is absolute for the production host (https); the test server speaks plain http.
    return urlsplit(link).path


def fill_profile(page: Page) -> None:
    page.get_by_role("link", name="Complete your profile").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    page.get_by_label("Legal name (as in your passport)").fill("Adaeze Chioma Okafor")
    page.get_by_label("Date of birth").fill("1996-04-12")
    page.get_by_label("Phone").fill("+234 803 123 4567")
    page.get_by_label("Citizenship").select_option(label="Nigeria")
    page.get_by_label("Country of residence").select_option(label="Nigeria")
    page.get_by_label("Current U.S. visa status").select_option(label="B1/B2")
    page.get_by_label("English proficiency").select_option(label="OET")
    page.get_by_label("Medical school", exact=True).fill("University of Lagos College of Medicine")
    page.get_by_label("Medical school country").select_option(label="Nigeria")
    page.get_by_label("I am a").select_option(label="Graduate")
    page.get_by_label("Graduation year").fill("2022")
    page.get_by_label("USMLE Step 1").select_option(label="Pass")
    page.get_by_label("Step 1 date").fill("2023-06-01")
    page.get_by_label("Internal Medicine").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert")).to_have_text("Profile saved.")
    expect(page.get_by_role("heading", name="100% complete")).to_be_visible()


def upload(page: Page, *, kind: str, filename: str) -> None:
    page.get_by_label("Kind of document").select_option(label=kind)
    page.get_by_label("File").set_input_files(
        {"name": filename, "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{kind} uploaded")


def staff_open_pending_documents(open_page) -> Page:
    """A staff member, at another computer, logs in to the admin and lists documents to verify."""
    staff = StaffFactory(email="verifier@amo.test", totp=False)
    EmailAddressFactory(user=staff)
    secret = totp_activate(staff)  # staff, who see every applicant's documents, use a second factor
    page = open_page()
    page.goto("/admin/")
    # The admin sends staff through the site's own sign-in, then back to where they were going.
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code").fill(current_totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.get_by_role("link", name="Documents").click()
    page.get_by_role("link", name="Pending verification").click()
    return page


def staff_verifies_every_pending_document(open_page) -> None:
    page = staff_open_pending_documents(open_page)
    page.get_by_label("Select all objects on this page for an action").check()
    page.get_by_role("combobox", name="Action").select_option(label="Verify the selected documents")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("2 documents verified.")


def test_an_img_signs_up_verifies_completes_the_profile_gets_documents_verified_and_applies(page, open_page):
    block = block_requiring_cv_and_passport()
    email = "adaeze@example.test"

    sign_up(page, email=email)
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    user = User.objects.get(email=email)
    assert user.is_applicant and user.full_name == "Adaeze Okafor"

    page.goto(confirmation_path(email))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    expect(page.get_by_text("Verify your email address before you apply")).to_have_count(0)

    fill_profile(page)
    applicant = user.applicant
    applicant.refresh_from_db()
    assert (applicant.legal_name, applicant.citizenship, applicant.graduation_year) == (
        "Adaeze Chioma Okafor",
        "NG",
        2022,
    )

    page.goto("/me/documents/")
    upload(page, kind="CV", filename="adaeze-cv.pdf")
    upload(page, kind="Passport", filename="passport.pdf")
    vault = page.get_by_role("region", name="In your vault")
    expect(vault.get_by_role("link", name="adaeze-cv.pdf")).to_be_visible()
    expect(vault.get_by_text("Pending verification")).to_have_count(2)

    # Until staff verify them, the checklist says what is missing.
    page.goto(f"/apply/{block.pk}/")
    checklist = page.get_by_role("region", name=re.compile("Readiness"))
    expect(checklist).to_contain_text("Not ready")
    expect(checklist).to_contain_text("Uploaded; waiting for verification by our staff.")

    staff_verifies_every_pending_document(open_page)
    assert set(applicant.documents.values_list("verification_status", flat=True)) == {"verified"}

    page.reload()
    expect(checklist).to_contain_text("Ready")
    expect(checklist.get_by_text("Not met:")).to_have_count(0)
    cost = page.get_by_role("region", name="Cost")
    expect(cost).to_contain_text("Application fee (due on submission)")
    expect(cost).to_contain_text("$100.00")
    expect(cost).to_contain_text("$2,500.00")
    expect(cost.get_by_role("listitem")).to_contain_text(["Until", "From the start date: no refund."])

    page.get_by_label(re.compile(r"^CV: adaeze-cv\.pdf")).check()
    page.get_by_label(re.compile(r"^Passport: passport\.pdf")).check()
    page.get_by_label("Personal statement").fill(
        "I want to learn inpatient medicine in a U.S. teaching hospital."
    )
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("alert")).to_contain_text("Application submitted")

    application = Application.objects.get(applicant=applicant, block=block)
    assert application.status == Application.Status.SUBMITTED
    # The application fee is charged at submission: straight to its pay page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay the application fee")
    type_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay $100.00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    application.refresh_from_db()
    assert application.application_fee_status == Application.FeeStatus.PAID
    assert {d.kind for d in application.documents.all()} == set(REQUIRED)
    assert application.personal_statement.startswith("I want to learn")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    card = page.get_by_role("article").filter(has_text=block.rotation.title)
    expect(card).to_contain_text("Submitted")
    assert Notification.objects.filter(recipient=user, key=f"application:{application.pk}:submitted").exists()


def test_an_unready_applicant_sees_what_is_missing_and_cannot_submit(page):
    block = block_requiring_cv_and_passport()
    applicant = ApplicantFactory(graduation_year=None, user__email="unready@example.test")
    EmailAddressFactory(user=applicant.user)
    DocumentFactory(applicant=applicant, kind=DocumentKind.CV)
    log_in(page, applicant.user.email)

    page.goto(f"/apply/{block.pk}/")
    checklist = page.get_by_role("region", name=re.compile("Readiness"))
    expect(checklist).to_contain_text("Not ready")
    expect(checklist).to_contain_text("Missing: graduation year.")
    expect(checklist).to_contain_text("Not uploaded yet.")

    page.get_by_label("Personal statement").fill("Please consider me.")
    page.get_by_role("button", name="Submit application").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("You do not meet this rotation's requirements yet")
    expect(refusal).to_contain_text("Passport")
    assert (
        not Application.objects.filter(applicant=applicant).exclude(status=Application.Status.DRAFT).exists()
    )


def test_withdrawing_shows_the_refund_before_the_applicant_confirms(page):
    application = ApplicationFactory(
        status=Application.Status.SUBMITTED, block__rotation__title="Cardiology Observership"
    )
    EmailAddressFactory(user=application.applicant.user)
    log_in(page, application.applicant.user.email)

    page.get_by_role("link", name="Cardiology Observership").click()
    withdraw = page.get_by_role("region", name="Withdraw this application")
    expect(withdraw).to_contain_text("Application fee refunded")
    expect(withdraw).to_contain_text("Refund today by the policy")
    expect(withdraw).to_contain_text("nothing from the start date")
    assert Application.objects.get(pk=application.pk).status == Application.Status.SUBMITTED

    withdraw.get_by_label("Reason (optional)").fill("My visa appointment moved.")
    withdraw.get_by_role("button", name="Confirm withdrawal").click()
    expect(page.get_by_role("alert")).to_have_text("Application withdrawn.")
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN


def test_staff_reject_a_document_with_a_reason_in_the_admin_and_the_applicant_reads_it(page, open_page):
    applicant = ApplicantFactory(user__email="rejected@example.test")
    EmailAddressFactory(user=applicant.user)
    document = DocumentFactory(
        applicant=applicant,
        kind=DocumentKind.PASSPORT,
        original_filename="blurry-passport.pdf",
        verification_status=Document.VerificationStatus.PENDING,
    )

    staff = staff_open_pending_documents(open_page)
    staff.get_by_label(re.compile("Select this object for an action")).check()
    staff.get_by_role("combobox", name="Action").select_option(
        label="Reject the selected documents (asks for a reason)"
    )
    staff.get_by_role("button", name="Go").click()
    expect(staff.get_by_text("Say why these documents are rejected")).to_be_visible()
    staff.get_by_label("Reason").fill("The photo page is unreadable; upload a sharper scan.")
    staff.get_by_role("button", name="Reject").click()
    expect(staff.locator(".messagelist")).to_contain_text("1 document rejected.")
    document.refresh_from_db()
    assert document.verification_status == Document.VerificationStatus.REJECTED

    log_in(page, applicant.user.email)
    expect(page.get_by_role("link", name=re.compile("Your Passport was not accepted"))).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Documents").click()
    expect(page.get_by_role("region", name="In your vault")).to_contain_text(
        "Rejected: The photo page is unreadable; upload a sharper scan."
    )
