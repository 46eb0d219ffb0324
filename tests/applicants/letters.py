"""Letters of recommendation made as people make them, through the services, for the pages and the
API: a booking whose preceptor has an account (tests.factories.letter_request makes the request),
the author's answer and uploads."""

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
from applicants.services.letter_requests import letter_accept, letter_upload
from hosts.models import Membership
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    PreceptorFactory,
    RotationFactory,
    letter_request,
)
from tests.pdfs import letter_pdf_bytes

_letter_ids = count(1)


def letter_id() -> str:
    """A Letter ID no other request of the test holds, for a form or an API call."""
    return f"LID-{next(_letter_ids):06d}"


def letter_file(text: str, name: str = "letter.pdf") -> SimpleUploadedFile:
    """An author's letter that passes the ERAS portal's rules, its text `text`."""
    return SimpleUploadedFile(name, letter_pdf_bytes(text=(text,)), "application/pdf")


def pdf_text(data: bytes) -> str:
    """The text of a PDF's pages (reportlab compresses them, so the bytes do not show it)."""
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


@dataclass
class Booking:
    application: Application
    author: Membership  # the rotation's preceptor, signed in as a preceptor member of its host

    @property
    def applicant_user(self):
        return self.application.applicant.user


def booking_with_author(
    *, status: str = Application.Status.COMPLETED, organization=None, **application_fields
) -> Booking:
    """A booking of a rotation whose preceptor has an account and a preceptor membership (of
    `organization`, a new one by default), started 20 days ago."""
    membership = MembershipFactory(
        role=Membership.Role.PRECEPTOR, **({"organization": organization} if organization else {})
    )
    preceptor = PreceptorFactory(organization=membership.organization, user=membership.user)
    membership.preceptor = preceptor
    membership.save(update_fields=["preceptor"])
    rotation = RotationFactory(organization=membership.organization, preceptor=preceptor)
    fields = {
        "block__rotation": rotation,
        "block__start_date": date.today() - timedelta(days=20),
        "status": status,
        "submitted_at": timezone.now(),
        **application_fields,
    }
    return Booking(application=ApplicationFactory(**fields), author=membership)


def another_booking(booking: Booking, **fields) -> Booking:
    """Another completed booking of the same rotation, so of the same author (another applicant's,
    unless `applicant=` says whose)."""
    application = ApplicationFactory(
        **fields,
        block__rotation=booking.application.block.rotation,
        block__start_date=date.today() - timedelta(days=20),
        status=Application.Status.COMPLETED,
        submitted_at=timezone.now(),
    )
    return Booking(application=application, author=booking.author)


def letter_requested(booking: Booking, *, waived: bool = True, **fields) -> LetterRequest:
    """A letter asked of the booking's preceptor at their account's address."""
    return letter_request(
        booking.application, author_email=booking.author.user.email, waived=waived, **fields
    )


def letter_uploaded(booking: Booking, letter: LetterRequest, *, texts: list[str]) -> list[LetterVersion]:
    """The author accepts (if not yet) and uploads one version per text, as letter-1.pdf, ..."""
    author = {"letter": letter, "actor": booking.author.user, "role": ActorRole.AUTHOR}
    letter.refresh_from_db()
    if letter.status == LetterRequest.Status.REQUESTED:
        letter_accept(**author)
    return [
        letter_upload(**author, file=letter_file(text, f"letter-{number}.pdf"))
        for number, text in enumerate(texts, 1)
    ]
