"""Real PDFs (and files that only claim to be), made with reportlab and pypdf, for tests of the letter
of recommendation's format check and of its uploads: each builder makes the file an author might
really send, so the check is proved on what a word processor or a scanner writes."""

import random
import zipfile
from io import BytesIO

from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

__all__ = ["A4", "LETTER", "landscape"]

LETTER_TEXT = (
    "To the Program Director:",
    "I supervised Dr. Amina Diallo during a four-week internal medicine rotation.",
    "She examined patients daily and presented them with care and clarity.",
    "I recommend her without reservation.",
    "Dr. Jane Smith, MD, Department of Medicine",
)


def _canvas_pdf(draw, *, pages: int, size: tuple[float, float], keywords: str = "") -> bytes:
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=size)
    canvas.setKeywords(keywords)
    for _ in range(pages):
        draw(canvas, size)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def letter_pdf_bytes(*, pages: int = 1, size: tuple[float, float] = LETTER, text=LETTER_TEXT) -> bytes:
    """A typed letter of `pages` pages of `size` (points), each with the lines of `text`."""

    def draw(canvas, size):
        for line, words in enumerate(text):
            canvas.drawString(72, size[1] - 72 - 18 * line, words)

    return _canvas_pdf(draw, pages=pages, size=size)


def a4_pdf_bytes(*, pages: int = 1) -> bytes:
    return letter_pdf_bytes(pages=pages, size=A4)


def blank_pdf_bytes(*, pages: int = 1) -> bytes:
    """Pages with nothing on them, as a scanner's empty tray or a wrong export gives."""
    return _canvas_pdf(lambda canvas, size: None, pages=pages, size=LETTER)


def _noise_image(width: int, height: int, seed: int = 14) -> ImageReader:
    """Random grey-to-colour pixels: no compressor makes them smaller, so their size is known."""
    pixels = random.Random(seed).randbytes(width * height * 3)
    return ImageReader(Image.frombytes("RGB", (width, height), pixels))


def scanned_pdf_bytes(*, pages: int = 1) -> bytes:
    """A scanned letter: one picture per page and no text at all."""

    def draw(canvas, size):
        canvas.drawImage(_noise_image(120, 160), 36, 36, width=size[0] - 72, height=size[1] - 72)

    return _canvas_pdf(draw, pages=pages, size=LETTER)


def oversized_pdf_bytes(*, size_bytes: int = 1_500_000) -> bytes:
    """A valid US Letter letter of exactly `size_bytes` bytes: a large incompressible picture below
    its text, and the last few bytes made up in the document's keywords."""
    side = int((size_bytes * 0.7 / 3) ** 0.5)  # reportlab writes images in ASCII85, a quarter larger

    def draw(canvas, size):
        canvas.drawImage(_noise_image(side, side), 72, 72, width=300, height=300)
        for line, words in enumerate(LETTER_TEXT):
            canvas.drawString(72, size[1] - 72 - 18 * line, words)

    made = _canvas_pdf(draw, pages=1, size=LETTER)
    padded = _canvas_pdf(draw, pages=1, size=LETTER, keywords="x" * (size_bytes - len(made)))
    assert len(padded) == size_bytes, len(padded)
    return padded


def encrypted_pdf_bytes(*, user_password: str = "letter-2026", owner_password: str = "author") -> bytes:
    """A valid letter encrypted with pypdf. An empty `user_password` opens without asking for one,
    but it is still encrypted, and the ERAS portal still refuses it."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(letter_pdf_bytes())))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def html_named_pdf_bytes() -> bytes:
    """An HTML page, as a browser's "Save page" gives when the author meant the letter's PDF."""
    return (
        b"<!DOCTYPE html>\n<html><head><title>Letter</title></head>"
        b"<body><p>Dear Program Director,</p></body></html>\n"
    )


def docx_bytes() -> bytes:
    """The zip a Word .docx is, with its main part named as Word names it."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def truncated_pdf_bytes() -> bytes:
    """A letter cut off halfway, as an interrupted download leaves it."""
    whole = letter_pdf_bytes()
    return whole[: len(whole) // 2]
