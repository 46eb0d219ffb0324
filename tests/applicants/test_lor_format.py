"""The format check a letter of recommendation passes before it goes to ERAS: each rule of the LoR
Portal refuses a file with its own message, in words, all problems at once, and a letter the
portal takes (typed or scanned, portrait or landscape) passes with none."""

import time
import zlib
from io import BytesIO

import pytest
from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject

from applicants.lor_format import LETTER_MAX_BYTES, letter_file_problems, letter_filename_suggestion
from tests.pdfs import (
    LETTER,
    a4_pdf_bytes,
    blank_pdf_bytes,
    docx_bytes,
    encrypted_pdf_bytes,
    html_named_pdf_bytes,
    landscape,
    letter_pdf_bytes,
    oversized_pdf_bytes,
    scanned_pdf_bytes,
    truncated_pdf_bytes,
)


def problems(data: bytes, filename: str = "letter.pdf") -> dict[str, str]:
    return {problem.code: problem.message for problem in letter_file_problems(data=data, filename=filename)}


@pytest.mark.parametrize(
    "data",
    [
        letter_pdf_bytes(),
        letter_pdf_bytes(pages=3),
        letter_pdf_bytes(size=landscape(LETTER)),
        scanned_pdf_bytes(),
    ],
    ids=["typed", "three pages", "landscape", "scanned"],
)
def test_a_letter_the_portal_takes_passes_with_no_problem(data):
    assert problems(data, "Letter for Dr. Diallo.pdf") == {}


def test_an_encrypted_letter_is_refused_for_its_password():
    found = problems(encrypted_pdf_bytes())
    assert list(found) == ["encrypted"]
    assert "password" in found["encrypted"] and "ERAS portal refuses" in found["encrypted"]


def test_a_letter_encrypted_with_an_empty_password_is_refused_and_still_checked_page_by_page():
    assert list(problems(encrypted_pdf_bytes(user_password=""))) == ["encrypted"]
    # Opened with the empty password, its pages are read too: an A4 page is reported beside it.
    writer = PdfWriter(clone_from=BytesIO(a4_pdf_bytes()))
    writer.encrypt(user_password="", owner_password="author", algorithm="AES-128")
    buffer = BytesIO()
    writer.write(buffer)
    assert list(problems(buffer.getvalue())) == ["encrypted", "not_us_letter"]


def test_a_letter_over_1_mb_is_refused_with_its_size_and_the_limit():
    data = oversized_pdf_bytes(size_bytes=1_500_000)
    found = problems(data)
    assert list(found) == ["too_large"]
    assert "1.5 MB (1,500,000 bytes)" in found["too_large"] and "at most 1 MB" in found["too_large"]


def test_the_size_limit_is_a_million_bytes_and_a_file_just_over_it_never_reads_as_1_mb():
    assert problems(oversized_pdf_bytes(size_bytes=LETTER_MAX_BYTES)) == {}
    assert (
        "This file is 1.1 MB" in problems(oversized_pdf_bytes(size_bytes=LETTER_MAX_BYTES + 1))["too_large"]
    )


def test_an_a4_letter_is_refused_naming_its_page_and_size():
    found = problems(a4_pdf_bytes())
    assert list(found) == ["not_us_letter"]
    assert found["not_us_letter"].startswith("Page 1 is A4 (8.27 × 11.69 in, 210 × 297 mm).")
    assert "US Letter pages (8.5 × 11 in)" in found["not_us_letter"]


def test_only_the_pages_of_another_size_are_named():
    writer = PdfWriter()
    for width, height in [(612, 792), (595.28, 841.89), (612, 1008), (595.28, 841.89)]:
        writer.add_blank_page(width, height)
    # the /Rotate key shows a landscape page: described as it is shown
    writer.pages[3].rotate(90)
    stream = BytesIO()
    writer.write(stream)
    message = letter_file_problems(data=stream.getvalue(), filename="letter.pdf")[0].message
    assert message.startswith(
        "Page 2 is A4 (8.27 × 11.69 in, 210 × 297 mm); page 3 is US Legal (8.5 × 14 in, 216 × 356 mm); "
        "page 4 is A4 (11.69 × 8.27 in, 297 × 210 mm)."
    )


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (html_named_pdf_bytes(), "an HTML page"),
        (docx_bytes(), "a Word document (.docx)"),
        (b"Dear Program Director,\nI recommend Dr. Diallo.\n", "plain text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "an image (PNG)"),
    ],
    ids=["html", "docx", "text", "png"],
)
def test_a_file_that_is_not_a_pdf_by_its_content_is_refused_whatever_its_name(data, looks_like):
    found = problems(data, "letter.pdf")
    assert list(found) == ["not_pdf"]
    assert found["not_pdf"].startswith(f"This file is not a PDF: it looks like {looks_like}.")


def test_a_name_with_a_colon_is_refused_naming_the_character_and_a_safe_name():
    found = problems(letter_pdf_bytes(), "LoR: Dr. Smith.pdf")
    assert list(found) == ["forbidden_characters"]
    assert '"LoR: Dr. Smith.pdf" contains ":"' in found["forbidden_characters"]
    assert '"LoR-Dr. Smith.pdf"' in found["forbidden_characters"]


def test_every_problem_is_reported_at_once():
    writer = PdfWriter(clone_from=BytesIO(blank_pdf_bytes(pages=2)))
    for page in writer.pages:
        page.mediabox.upper_right = (595.28, 841.89)
    writer.encrypt(user_password="", owner_password="author", algorithm="AES-128")
    writer.add_metadata({"/Keywords": "x" * 1_100_000})  # past the limit, and still a PDF
    buffer = BytesIO()
    writer.write(buffer)
    found = problems(buffer.getvalue(), "LoR | final?.pdf")
    assert list(found) == ["too_large", "encrypted", "not_us_letter", "blank", "forbidden_characters"]
    assert found["not_us_letter"].startswith("Pages 1 and 2 are A4")
    assert '"|" and "?"' in found["forbidden_characters"]


def test_a_blank_letter_is_refused():
    found = problems(blank_pdf_bytes(pages=2))
    assert list(found) == ["blank"]
    assert "no text or image on any page" in found["blank"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (truncated_pdf_bytes(), "unreadable"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n", "unreadable"),
        (b"", "empty"),
    ],
    ids=["cut short", "garbage after the header", "empty"],
)
def test_a_damaged_or_empty_file_is_refused_in_words_without_an_exception(data, code):
    found = problems(data)
    assert list(found) == [code]
    assert "cannot be read" in found[code] or "empty" in found[code]


def test_a_content_stream_that_inflates_past_the_limits_is_refused_quickly():
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    bomb = StreamObject()
    bomb._data = zlib.compress(b"0 0 m 1 1 l S\n" * 4_000_000, 9)  # 56 MB from about 100 kB
    bomb[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(bomb)
    buffer = BytesIO()
    writer.write(buffer)
    started = time.monotonic()
    assert list(problems(buffer.getvalue())) == ["unreadable"]
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("filename", "suggestion"),
    [
        ("LoR: Dr. Smith.pdf", "LoR-Dr. Smith.pdf"),
        ("a|b*c?d:e.pdf", "a-b-c-d-e.pdf"),
        ("draft :: v2?.PDF", "draft-v2.PDF"),
        ("::.pdf", "letter.pdf"),
        ("letter?", "letter.pdf"),
        ("plain name.pdf", "plain name.pdf"),
    ],
)
def test_the_suggested_name_replaces_forbidden_characters_with_one_hyphen_and_keeps_pdf(filename, suggestion):
    assert letter_filename_suggestion(filename) == suggestion
    assert not letter_file_problems(data=letter_pdf_bytes(), filename=suggestion)
