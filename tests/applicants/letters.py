"""Letters of recommendation made as people make them, through the services: a completed booking
whose preceptor has an account, a request with its Letter Request Form, an author's answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from itertools import count

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from applicants.lor_workflow import ActorRole
from applicants.models import Application, LetterRequest, LetterVersion
from applicants.services.letter_requests import letter_accept, letter_request_make, letter_upload
from hosts.models import Membership
from tests.factories import ApplicationFactory, MembershipFactory, PreceptorFactory, RotationFactory
from tests.pdfs import letter_pdf_bytes

_letter_ids = count(1)


def letter_id() -> str:
    """A Letter ID no other request of the test holds."""
    return f"LOR-{next(_letter_ids):06d}"


def request_form(name: str = "letter-request-form.pdf", data: bytes | None = None) -> SimpleUploadedFile:
    """The Letter Request Form an applicant downloads from MyERAS (a real PDF by default)."""
    return SimpleUploadedFile(name, letter_pdf_bytes() if data is None else data, "application/pdf")


def letter_file(text: str, name: str = "letter.pdf") -> SimpleUploadedFile:
    """An author's letter that passes the ERAS portal's rules, its text `text`."""
    return SimpleUploadedFile(name, letter_pdf_bytes(text=(text,)), "application/pdf")


@dataclass
class Booking:
    application: Application
    author: Membership  # the rotation's preceptor, signed in as a preceptor member of its host

    @property
    def applicant_user(self):
        return self.application.applicant.user


def completed_booking(
    *, status: str = Application.Status.COMPLETED, organization=None, **application_fields
) -> Booking:
    """A booking of a rotation whose preceptor has an account and a preceptor membership (of
    `organization`, a new one by default)."""
    membership = MembershipFactory(
        role=Membership.Role.PRECEPTOR, **({"organization": organization} if organization else {})
    )
    preceptor = PreceptorFactory(organization=membership.organization, user=membership.user)
    membership.preceptor = preceptor
    membership.save(update_fields=["preceptor"])
    rotation = RotationFactory(organization=membership.organization, preceptor=preceptor)
    fields = {"block__rotation": rotation, "status": status, "submitted_at": timezone.now()}
    if status in (Application.Status.COMPLETED, Application.Status.IN_PROGRESS):
        fields["block__start_date"] = date.today() - timedelta(days=20)
    application = ApplicationFactory(**{**fields, **application_fields})
    return Booking(application=application, author=membership)


def another_booking(booking: Booking) -> Booking:
    """Another applicant's completed booking of the same rotation, so of the same author."""
    application = ApplicationFactory(
        block__rotation=booking.application.block.rotation,
        block__start_date=date.today() - timedelta(days=20),
        status=Application.Status.COMPLETED,
        submitted_at=timezone.now(),
    )
    return Booking(application=application, author=booking.author)


def letter_requested(booking: Booking, *, waived: bool = True, **fields) -> LetterRequest:
    """A letter asked of the booking's preceptor, through the applicant's service."""
    application = booking.application
    values = {
        "preceptor": application.block.rotation.preceptor,
        "author_name": "",
        "author_title": "Professor of Medicine",
        "author_email": booking.author.user.email,
        "eras_letter_id": letter_id(),
        "specialty": None,
        "due_on": date.today() + timedelta(days=45),
        "request_form": request_form(),
        "waived": waived,
        **fields,
    }
    return letter_request_make(application=application, actor=booking.applicant_user, **values)


def letter_uploaded(booking: Booking, letter: LetterRequest, *, texts: list[str]) -> list[LetterVersion]:
    """The author accepts (if not yet) and uploads one version per text."""
    author = {"letter": letter, "actor": booking.author.user, "role": ActorRole.AUTHOR}
    letter.refresh_from_db()
    if letter.status == LetterRequest.Status.REQUESTED:
        letter_accept(**author)
    return [
        letter_upload(**author, file=letter_file(text, f"letter-{n}.pdf")) for n, text in enumerate(texts, 1)
    ]


def pdf_text(data: bytes) -> str:
    """The text of a PDF's pages (reportlab compresses them, so the bytes do not show it)."""
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
