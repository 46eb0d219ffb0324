"""How a vault file is named and served: by the type its bytes proved, never by what the
uploader called it.

A PDF uploaded as `poly.html` is stored, listed and downloaded as `poly.pdf` with the type's
Content-Type; the download's Content-Disposition carries the name safely whatever characters the
uploader used (RFC 6266).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.http import FileResponse

if TYPE_CHECKING:
    from applicants.models import Document

# The accepted types and their file name extensions, the first one canonical. The model's
# constraints are built from this table, so the database holds the same rule.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}
MAX_FILENAME_CHARS = 255
# What is taken for an extension to replace: a dot and a few letters or digits at the end.
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")


def document_filename(name: str, content_type: str) -> str:
    """`name` made safe to show and to send, ending with the extension of `content_type`.

    Path separators and control characters (newlines, tabs) become spaces; an extension that is
    not the type's is replaced by the type's (`poly.html` → `poly.pdf`), one that is stays as written
    (`scan.JPEG`). Never empty, never longer than 255 characters.
    """
    extensions = EXTENSIONS[content_type]
    cleaned = "".join(
        " " if char in "/\\" or unicodedata.category(char).startswith("C") else char for char in name
    )
    cleaned = " ".join(cleaned.split())
    stem, extension = cleaned, extensions[0]
    found = _EXTENSION.search(cleaned)
    if found:
        stem = cleaned[: found.start()]
        if found.group().lower() in extensions:
            extension = found.group()
    stem = stem.strip(". ") or "document"  # no hidden file, no name that is only an extension
    stem = stem[: MAX_FILENAME_CHARS - len(extension)]
    return f"{stem}{extension}"


def attachment_disposition(filename: str) -> str:
    """A Content-Disposition that downloads `filename`: an ASCII fallback for old clients and the
    exact name in `filename*` (RFC 6266, RFC 8187), so quotes, newlines or non-ASCII letters in a
    name can neither break the header nor be lost."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = "".join(char if char.isprintable() and char not in '"\\' else "_" for char in ascii_name)
    if ascii_name.startswith("."):  # nothing of the stem was ASCII
        ascii_name = f"document{ascii_name}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def document_response(document: Document) -> FileResponse:
    """The stored file as a download under its stored name, typed by what its bytes proved."""
    return file_download(
        document.file.open("rb"), content_type=document.content_type, filename=document.original_filename
    )


def file_download(file, *, content_type: str, filename: str) -> FileResponse:
    """An open private file as a download named `filename`: always an attachment, never sniffed,
    never cached, so a browser does not render it as a page of our site (a vault document, a letter
    of recommendation, its request form)."""
    response = FileResponse(file, content_type=content_type)
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
