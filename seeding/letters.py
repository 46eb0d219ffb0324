"""The demo applicant's letter of recommendation for `make run`, asked of a preceptor who can sign in.

Made as people make it, through the services, after the demo's completed rotation (seeding.completion
gives the rotation's preceptor the demo preceptor login, invited and accepted): the applicant asks for
the letter with the Letter Request Form; the preceptor accepts and uploads a letter that meets the
ERAS portal's rules (a US Letter PDF drawn with reportlab). The letter is not yet confirmed as
submitted to ERAS, so the demo shows the rest of the flow. Idempotent: a second run finds the
booking's letter request, whatever became of it since.
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from applicants.lor_workflow import ActorRole
from applicants.models import Applicant, Application, LetterRequest
from applicants.selectors import letter_request_allowed
from applicants.services import letter_accept, letter_request_make, letter_upload
from hosts.models import Membership, Preceptor
from seeding.accounts import DEMO_LOGINS
from seeding.trip import _demo_preceptor

DEMO_LETTER_ID = "DEMO-LOR-0001"
DUE_IN = timedelta(days=30)


def _pdf(lines: list[str], *, title: str) -> bytes:
    """A one-page US Letter PDF with `lines`, as a word processor would save it."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER)
    canvas.setTitle(title)
    width, height = LETTER
    for number, line in enumerate(lines):
        canvas.drawString(72, height - 72 - 16 * number, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def request_form_pdf(*, applicant: Applicant, preceptor: Preceptor, letter_id: str) -> bytes:
    """The Letter Request Form the demo applicant generated in MyERAS for this letter."""
    return _pdf(
        [
            "ERAS Letter Request Form",
            f"Applicant: {applicant.legal_name}",
            f"Letter author: {preceptor.full_name}",
            f"Letter ID: {letter_id}",
            "The applicant waived the right to view this letter.",
        ],
        title="ERAS Letter Request Form",
    )


def letter_pdf(*, applicant: Applicant, preceptor: Preceptor, application: Application) -> bytes:
    """The preceptor's letter: on letterhead, addressed to no program, signed and dated."""
    organization = application.block.rotation.organization
    return _pdf(
        [
            f"{organization.name} · {organization.address}",
            "",
            timezone.localdate().strftime("%B %d, %Y"),
            "",
            "Dear Program Director,",
            "",
            f"{applicant.legal_name} rotated with me on {application.block.rotation.title}, taking",
            "histories, examining patients and presenting them on rounds with care and clarity.",
            f"I recommend {applicant.legal_name} for residency without reservation.",
            "",
            f"{preceptor.full_name}, {preceptor.get_credentials_display()}",
        ],
        title=f"Letter of recommendation for {applicant.legal_name}",
    )


@transaction.atomic
def letter_demo_seed(application: Application) -> LetterRequest | None:
    """The booking's letter from its rotation's preceptor, who signs in with the demo preceptor
    login (made with the demo's completed rotation, seeding.completion): requested (waived),
    accepted, and one valid version uploaded, not yet submitted to ERAS. The booking's existing
    request, if any, is returned as it stands; None when the booking may not ask for a letter yet
    (selectors.letter_request_allowed), or when the demo login is not that preceptor."""
    existing = LetterRequest.objects.filter(application=application).order_by("pk").first()
    if existing is not None:
        return existing
    rotation = application.block.rotation
    preceptor = rotation.preceptor
    if preceptor is None or letter_request_allowed(application) is not None:
        return None
    membership = (
        Membership.objects.filter(user__email=DEMO_LOGINS["host preceptor"][0], preceptor=preceptor)
        .select_related("user")
        .first()
    )
    if membership is None:
        return None
    author = membership.user
    applicant = application.applicant
    letter = letter_request_make(
        application=application,
        actor=applicant.user,
        preceptor=preceptor,
        author_name="",
        author_title=f"Attending physician, {rotation.specialty}",
        author_email=author.email,
        eras_letter_id=DEMO_LETTER_ID,
        specialty=rotation.specialty,
        due_on=timezone.localdate() + DUE_IN,
        request_form=SimpleUploadedFile(
            "letter-request-form.pdf",
            request_form_pdf(applicant=applicant, preceptor=preceptor, letter_id=DEMO_LETTER_ID),
            "application/pdf",
        ),
        waived=True,
    )
    as_author = {"letter": letter, "actor": author, "role": ActorRole.AUTHOR}
    letter_accept(**as_author)
    letter_upload(
        **as_author,
        file=SimpleUploadedFile(
            f"Letter for {applicant.legal_name}.pdf",
            letter_pdf(applicant=applicant, preceptor=preceptor, application=application),
            "application/pdf",
        ),
    )
    letter.refresh_from_db()
    return letter


@transaction.atomic
def seed_demo_letter() -> LetterRequest | None:
    """The demo applicant's letter from the demo preceptor login (the demo organization's
    cardiologist, who teaches her rotations), on the first of her bookings there that may ask for one
    (a completed rotation, or one in its third week); None while she has none."""
    coordinator = (
        Membership.objects.filter(user__email=DEMO_LOGINS["host coordinator"][0])
        .select_related("organization")
        .first()
    )
    preceptor = coordinator and _demo_preceptor(coordinator.organization)
    if preceptor is None:
        return None
    bookings = (
        Application.objects.for_org(coordinator.organization)
        .filter(
            applicant__user__email=DEMO_LOGINS["applicant"][0],
            status__in=[Application.Status.COMPLETED, Application.Status.IN_PROGRESS],
        )
        .select_related("applicant__user", "block__rotation__organization", "block__rotation__preceptor")
        .order_by("block__start_date", "pk")
    )
    for booking in bookings:
        letter = letter_demo_seed(booking)
        if letter is not None:
            return letter
    return None
