"""The enrollment letter and the certificate of completion as PDFs (US Letter), drawn with reportlab
from what each fixed when it was issued, never from the booking as it is now: the PDF and the verify
page say the same thing.

Names are drawn in DejaVu Serif (applicants/fonts, with its license), which has the Latin letters
of every alphabet a passport's name is written in (ł, ş, ő, ñ...); reportlab's built-in fonts
have only Western European ones."""

from __future__ import annotations

from functools import cache
from html import escape
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from amo.text import day_label
from applicants.files import attachment_disposition
from applicants.models import CompletionCertificate, EnrollmentLetter, VerifiedByCode

FONTS = Path(__file__).resolve().parent / "fonts"


@cache
def _styles() -> dict[str, ParagraphStyle]:
    pdfmetrics.registerFont(TTFont("LetterSerif", FONTS / "DejaVuSerif.ttf"))
    pdfmetrics.registerFont(TTFont("LetterSerif-Bold", FONTS / "DejaVuSerif-Bold.ttf"))
    pdfmetrics.registerFontFamily("LetterSerif", normal="LetterSerif", bold="LetterSerif-Bold")
    body = ParagraphStyle("body", fontName="LetterSerif", fontSize=10.5, leading=15, spaceAfter=8)
    return {
        "body": body,
        "site": ParagraphStyle("site", parent=body, fontName="LetterSerif-Bold", fontSize=12),
        "title": ParagraphStyle("title", parent=body, fontName="LetterSerif-Bold", fontSize=17, leading=22),
        "label": ParagraphStyle("label", parent=body, fontName="LetterSerif-Bold", spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=body, spaceAfter=0),
        "small": ParagraphStyle("small", parent=body, fontSize=9, leading=12.5),
    }


def letter_pdf(letter: EnrollmentLetter) -> bytes:
    """The letter as issued: the applicant (legal name, passport country), the rotation, the host
    and its address, the preceptor, the dates, and the verification code with its URL."""
    styles = _styles()
    site = escape(settings.SITE_NAME)
    code = letter.code_display
    url = escape(letter.verification_url)
    facts = [
        ("Rotation", escape(letter.rotation_title)),
        ("Type", escape(letter.rotation_type)),
        ("Host organization", escape(letter.organization_name)),
        ("Site address", escape(letter.site_address)),
        ("Preceptor", escape(letter.preceptor_line)),
        ("Dates", f"{day_label(letter.starts_on)} to {day_label(letter.ends_on)} (first and last day)"),
    ]
    story = [
        Paragraph(site, styles["site"]),
        Paragraph("Letter of enrollment", styles["title"]),
        Paragraph(f"Issued {day_label(letter.issued_at)} · Verification code {code}", styles["body"]),
        Spacer(1, 10),
        Paragraph("To the consular officer concerned:", styles["body"]),
        Paragraph(
            f"This letter confirms that <b>{escape(letter.applicant_name)}</b>, holder of a passport of "
            f"<b>{escape(letter.passport_country)}</b>, is enrolled in the clinical rotation below, "
            f"booked through {site} with the host organization that offers it.",
            styles["body"],
        ),
        _facts_table(facts),
        Spacer(1, 10),
        Paragraph("Verify this letter", styles["label"]),
        Paragraph(
            f"Open <b>{url}</b> (the code is {code}). The page says whether this letter still "
            "stands: after a booking is cancelled or not attended it says no longer valid, and once "
            "a newer letter was issued (the booking moved to other dates) it says replaced, each "
            "with the date it changed.",
            styles["body"],
        ),
        Spacer(1, 16),
        Paragraph(
            f"{site} issued this letter from its booking records. It is not a visa and does not "
            "decide the visa: that is the consulate's decision.",
            styles["small"],
        ),
    ]
    return _pdf(
        story,
        title=f"Letter of enrollment {code}",
        subject=f"Enrollment of {letter.applicant_name} at {letter.organization_name}",
    )


def certificate_pdf(certificate: CompletionCertificate) -> bytes:
    """The certificate as issued: the applicant's name, the rotation, the host, the preceptor, the
    dates and the hours completed, and the verification code with its URL."""
    styles = _styles()
    site = escape(settings.SITE_NAME)
    code = certificate.code_display
    url = escape(certificate.verification_url)
    facts = [
        ("Rotation", escape(certificate.rotation_title)),
        ("Type", escape(certificate.rotation_type)),
        ("Host organization", escape(certificate.organization_name)),
        ("Preceptor", escape(certificate.preceptor_line)),
        ("Dates", f"{day_label(certificate.starts_on)} to {day_label(certificate.ends_on)}"),
        ("Hours completed", str(certificate.hours_completed)),
    ]
    story = [
        Paragraph(site, styles["site"]),
        Paragraph("Certificate of completion", styles["title"]),
        Paragraph(f"Issued {day_label(certificate.issued_at)} · Verification code {code}", styles["body"]),
        Spacer(1, 10),
        Paragraph(
            f"This certifies that <b>{escape(certificate.applicant_name)}</b> completed the clinical "
            f"rotation below, booked through {site}, and was evaluated by its preceptor at its end.",
            styles["body"],
        ),
        _facts_table(facts),
        Spacer(1, 10),
        Paragraph("Verify this certificate", styles["label"]),
        Paragraph(
            f"Open <b>{url}</b> (the code is {code}). The page shows what {site} issued under this "
            "code: a certificate that says anything else was altered.",
            styles["body"],
        ),
        Spacer(1, 16),
        Paragraph(
            f"{site} issued this certificate from its booking records and the preceptor's evaluation.",
            styles["small"],
        ),
    ]
    return _pdf(
        story,
        title=f"Certificate of completion {code}",
        subject=f"Completion by {certificate.applicant_name} at {certificate.organization_name}",
    )


def _facts_table(facts: list[tuple[str, str]]) -> Table:
    """What a document states, a label and its value a row."""
    styles = _styles()
    table = Table(
        [[Paragraph(label, styles["label"]), Paragraph(value, styles["cell"])] for label, value in facts],
        colWidths=[1.8 * inch, 4.7 * inch],
        hAlign="LEFT",
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _pdf(story: list, *, title: str, subject: str) -> bytes:
    """The story on US Letter pages with one-inch margins."""
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=inch,
        rightMargin=inch,
        topMargin=inch,
        bottomMargin=inch,
        title=title,
        author=settings.SITE_NAME,
        subject=subject,
    )
    document.build(story)
    return buffer.getvalue()


def _download(issued: VerifiedByCode, content: bytes, name: str) -> HttpResponse:
    """A PDF as a download named with its code, never cached."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = attachment_disposition(f"{name}-{issued.code_display}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def letter_response(letter: EnrollmentLetter) -> HttpResponse:
    """The letter's PDF as a download, never cached: once the letter no longer stands, it is gone."""
    return _download(letter, letter_pdf(letter), "enrollment-letter")


def certificate_response(certificate: CompletionCertificate) -> HttpResponse:
    """The certificate's PDF as a download."""
    return _download(certificate, certificate_pdf(certificate), "certificate-of-completion")
