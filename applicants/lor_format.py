"""Whether an uploaded letter of recommendation is a file the ERAS Letter of Recommendation Portal
(LoRP) will take, so its author hears of every problem from us, in words, before ERAS refuses it.

The AAMC lists the portal's rules: a PDF, at most 1 MB, neither encrypted nor password-protected,
no `| * ? :` in the file name, pages of 8.5 × 11 in. We add one check of our own, a blank letter.
The check reads only the bytes it is given, writes nothing, and never raises: whatever the upload
holds, the answer is a list of problems, empty when the letter can go to ERAS.
"""

from __future__ import annotations

import codecs
import re
from collections import defaultdict
from dataclasses import dataclass
from io import BytesIO

from pypdf import PasswordType, PdfReader, apply_configuration
from pypdf.generic import ContentStream

# The AAMC says "1 MB" without saying how many bytes that is; the stricter reading, a million
# bytes, never passes a file that a portal counting 1,048,576 would refuse.
LETTER_MAX_BYTES = 1_000_000
FORBIDDEN_FILENAME_CHARACTERS = "|*?:"
# US Letter in points (1/72 in); writers round page sizes, so a point either way is the same paper.
US_LETTER = (612, 792)
SIZE_TOLERANCE = 1
# A letter is a few pages: a longer file is still refused or passed on these, at a bounded cost.
PAGES_INSPECTED = 50
# Far past the limit the file is refused on its size alone; its insides are not worth reading.
PARSED_MAX_BYTES = 10 * LETTER_MAX_BYTES
# pypdf's own ceilings, lowered for one small letter: decompressing or walking more than this is
# an attack, not a letter. No external decoder (jbig2dec) is ever run on an upload.
PYPDF_LIMITS = {
    "zlib_maximum_output_length": 20_000_000,
    "stream_decoding_work_maximum_length": 40_000_000,
    "page_tree_maximum_entries": 1_000,
    "jbig2dec_binary": None,
}
PAPER_SIZES = {
    "A4": (595.28, 841.89),
    "A5": (419.53, 595.28),
    "A3": (841.89, 1190.55),
    "US Legal": (612, 1008),
    "Tabloid": (792, 1224),
}
# Operators that put ink on a page: painting a path, drawing an image or a form, and showing text.
PAINT_OPERATORS = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"sh", b"Do", b"INLINE IMAGE"}
TEXT_OPERATORS = {b"Tj", b"TJ", b"'", b'"'}
EXPORT_TIP = "Save or export the letter as PDF (in Word: File, Save As, PDF) and upload that file."


@dataclass(frozen=True)
class LetterFileProblem:
    code: str
    message: str


def letter_filename_suggestion(filename: str) -> str:
    """`filename` with each run of the portal's forbidden characters (and the spaces around it)
    made one hyphen, ending in .pdf."""
    safe = re.sub(r"-{2,}", "-", re.sub(r"\s*[|*?:]+\s*", "-", filename.strip()))
    stem = safe[:-4] if safe.lower().endswith(".pdf") else safe
    return f"{stem.strip('- ') or 'letter'}{safe[len(stem) :] or '.pdf'}"


def letter_file_problems(*, data: bytes, filename: str) -> list[LetterFileProblem]:
    """Every reason the LoRP would refuse this letter, or that it is blank; none when it can go."""
    problems = _content_problems(data)
    forbidden = dict.fromkeys(char for char in filename if char in FORBIDDEN_FILENAME_CHARACTERS)
    if forbidden:
        found = " and ".join(f'"{char}"' for char in forbidden)
        suggestion = letter_filename_suggestion(filename)
        problems.append(
            LetterFileProblem(
                "forbidden_characters",
                f'The file name "{filename}" contains {found}, and the ERAS portal refuses names with '
                f'any of | * ? or :. Rename the file, for example to "{suggestion}".',
            )
        )
    return problems


def _content_problems(data: bytes) -> list[LetterFileProblem]:
    if not data:
        return [
            LetterFileProblem("empty", "This file is empty (0 bytes). Upload the PDF of the letter again.")
        ]
    problems = []
    if not data.startswith(b"%PDF-"):
        kind = _looks_like(data)
        looks = f": it looks like {kind}" if kind else ""
        problems.append(LetterFileProblem("not_pdf", f"This file is not a PDF{looks}. {EXPORT_TIP}"))
    if len(data) > LETTER_MAX_BYTES:
        problems.append(
            LetterFileProblem(
                "too_large",
                f"This file is {_megabytes(len(data))} ({len(data):,} bytes); the ERAS portal accepts at "
                f"most 1 MB ({LETTER_MAX_BYTES:,} bytes). Save it again with a smaller size (in Word: Save "
                "As, PDF, Minimum size; in Acrobat: File, Reduce File Size), or scan it in black and white "
                "at 300 dpi.",
            )
        )
    if not data.startswith(b"%PDF-") or len(data) > PARSED_MAX_BYTES:
        return problems
    try:
        return problems + _pdf_problems(data)
    except Exception:  # pypdf's errors are many and some are plain ValueError or KeyError
        return [
            *problems,
            LetterFileProblem(
                "unreadable",
                "This file starts like a PDF but cannot be read: it may be damaged or cut short. "
                f"{EXPORT_TIP}",
            ),
        ]


def _pdf_problems(data: bytes) -> list[LetterFileProblem]:
    with apply_configuration(**PYPDF_LIMITS):
        if b"%%EOF" not in data[-1024:]:  # a PDF ends so; a cut-short download does not
            raise ValueError("no end of file")
        reader = PdfReader(BytesIO(data))
        problems = []
        if reader.is_encrypted:
            problems.append(
                LetterFileProblem(
                    "encrypted",
                    "This PDF is encrypted or protected by a password, and the ERAS portal refuses "
                    "protected files. Save a copy with no password and no restrictions (or print it to a "
                    "new PDF) and upload that.",
                )
            )
            try:  # an empty user password opens it to us, though ERAS still refuses it
                if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                    return problems
            except Exception:
                return problems
        pages = [reader.pages[number] for number in range(min(len(reader.pages), PAGES_INSPECTED))]
        problems += _page_size_problems(pages)
        if not any(_has_ink(page, reader) for page in pages):
            problems.append(
                LetterFileProblem(
                    "blank",
                    "This PDF has no text or image on any page: it looks blank. Check that you saved or "
                    "scanned the letter itself, and upload that.",
                )
            )
        return problems


def _page_size_problems(pages: list) -> list[LetterFileProblem]:
    wrong: dict[str, list[int]] = defaultdict(list)
    for number, page in enumerate(pages, start=1):
        box = page.cropbox  # pypdf falls back to the mediabox when a page has no cropbox
        width, height = abs(float(box.width)), abs(float(box.height))
        if page.rotation % 180:  # described as the page is shown: its /Rotate key turns it
            width, height = height, width
        if not _same_paper((width, height), US_LETTER):
            wrong[_paper_name(width, height)].append(number)
    if not wrong:
        return []
    sizes = "; ".join(f"{_pages_are(numbers)} {name}" for name, numbers in wrong.items())
    sizes = sizes[0].upper() + sizes[1:]
    return [
        LetterFileProblem(
            "not_us_letter",
            f"{sizes}. The ERAS portal accepts only US Letter pages (8.5 × 11 in). Set the paper size to "
            "Letter (in Word: Layout, Size, Letter) and save the PDF again.",
        )
    ]


def _same_paper(size: tuple[float, float], paper: tuple[float, float]) -> bool:
    """Either way round: a landscape page is the same sheet turned."""
    return any(
        abs(size[0] - width) <= SIZE_TOLERANCE and abs(size[1] - height) <= SIZE_TOLERANCE
        for width, height in (paper, paper[::-1])
    )


def _paper_name(width: float, height: float) -> str:
    measures = (
        f"{_rounded(width / 72)} × {_rounded(height / 72)} in, {round(width * 25.4 / 72)} × "
        f"{round(height * 25.4 / 72)} mm"
    )
    name = next((name for name, paper in PAPER_SIZES.items() if _same_paper((width, height), paper)), None)
    return f"{name} ({measures})" if name else measures


def _has_ink(page, reader: PdfReader) -> bool:
    contents = page.get_contents()
    if contents is None:
        return False
    for operands, operator in ContentStream(contents, reader).operations:
        if operator in PAINT_OPERATORS or operator in TEXT_OPERATORS and _shows_text(operands):
            return True
    return False


def _shows_text(operands) -> bool:
    return any(
        _shows_text(part) if isinstance(part, list) else isinstance(part, str | bytes) and part.strip()
        for part in operands
    )


def _looks_like(data: bytes) -> str | None:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"pk\x03\x04"):
        return "a Word document (.docx)" if b"word/" in data else "a zip archive"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an older Word document (.doc)"
    if head.startswith(b"\x89png"):
        return "an image (PNG)"
    if head.startswith(b"\xff\xd8\xff"):
        return "an image (JPEG)"
    if head.startswith(b"{\\rtf"):
        return "a rich-text document (.rtf)"
    if head.startswith((b"<!doctype html", b"<html")) or head.startswith(b"<") and b"<html" in head:
        return "an HTML page"
    try:  # an incremental decoder forgives a character cut in two at the end of the sample
        text = codecs.getincrementaldecoder("utf-8")().decode(data[:1024])
    except UnicodeDecodeError:
        return None
    return "plain text" if all(char.isprintable() or char.isspace() for char in text) else None


def _megabytes(size: int) -> str:
    """`size` in MB of a million bytes, rounded up to a tenth: a file just over 1 MB never reads "1.0 MB"."""
    tenths = -(-size // 100_000)
    return f"{tenths // 10}.{tenths % 10} MB"


def _rounded(value: float) -> str:
    return f"{round(value, 2):g}"


def _pages_are(numbers: list[int]) -> str:
    """How a clause about these pages starts: "page 2 is", "pages 1, 2 and 3 are"."""
    if len(numbers) == 1:
        return f"page {numbers[0]} is"
    return f"pages {', '.join(map(str, numbers[:-1]))} and {numbers[-1]} are"
