"""CSV files staff and hosts download: cells a spreadsheet will not run, streamed a row at a time."""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list): = + - @, and the
# tab, carriage return and line feed that some programs skip before looking for one. Spaces are
# skipped too: some programs trim them before reading the cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_safe(value: object) -> str:
    """The cell's text, with a single quote in front when it begins like a formula.

    Anyone can type the text our CSV files carry (an applicant's name, a rotation's title). Excel,
    LibreOffice and Google Sheets run a cell that begins with `=`, `+`, `-` or `@` as a formula
    (`=HYPERLINK("http://evil", "click")` sends the reader away; DDE formulas run commands), so
    OWASP's CSV injection advice is to prefix such a cell with a quote, which the spreadsheet shows
    as text. Every other value is written as it is.
    """
    text = "" if value is None else str(value)
    return f"'{text}" if text.lstrip(" ").startswith(FORMULA_STARTS) else text


class _Echo:
    """A file that hands back what is written to it, so csv.writer formats one row at a time."""

    def write(self, value: str) -> str:
        return value


def csv_download(
    *, header: list[str], rows: Iterable[Iterable[object]], filename: str
) -> StreamingHttpResponse:
    """Stream `header` and `rows` as a CSV attachment named `filename`, every cell through csv_safe:
    a long list leaves the server as it is read, never held whole in memory."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow([csv_safe(cell) for cell in row]) for row in _with_header(header, rows))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_header(header: list[str], rows: Iterable[Iterable[object]]) -> Iterable[Iterable[object]]:
    yield header
    yield from rows
