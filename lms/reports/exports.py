"""Spreadsheet exports: one streamed response for every list the officials download.

`export_response(filename_stem, headers, rows, fmt)` writes Vietnamese column titles and then
the rows, as CSV or XLSX:

- CSV is UTF-8 with a byte-order mark (without it Excel reads the file in the machine's
  code page and shows "Nguyá»…n" for "Nguyễn"), comma-separated, CRLF line ends, quoted where
  needed: what Excel writes and reads.
- XLSX is written by openpyxl in write-only mode, which keeps rows in a temporary file on
  disk rather than in memory, and the finished file is sent in chunks.

Either way the rows are pulled from an iterator while the response is sent, so an export
of 100,000 rows needs the memory of a few rows (bench/export_memory.py measures it).

A cell that begins with = + - @ or a tab or carriage return would be read by a spreadsheet
as a formula (CSV/formula injection: a name typed as `=HYPERLINK(...)` would run when an
official opens the file), so it is written with a leading apostrophe, which spreadsheets
show as text. Control characters that XML cannot hold are dropped.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, has_request_context, stream_with_context
from flask_babel import gettext as _

from lms.core.errors import ValidationFailed
from lms.core.text import fold

FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 64 * 1024
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# C0 controls other than tab, line feed and carriage return: XML 1.0 cannot hold them.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_STEM_UNSAFE = re.compile(r"[^a-z0-9_-]+")

Cell = str | int | float | Decimal | date | datetime | None


def neutralise(text: str) -> str:
    """Text a spreadsheet will never run as a formula."""
    text = _ILLEGAL.sub("", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def check_format(fmt: str | None) -> str:
    """The export format of a query string (csv or xlsx), else a message naming the field."""
    if fmt not in FORMATS:
        raise ValidationFailed(_("Định dạng tệp phải là CSV hoặc XLSX."), field="format")
    return fmt


def _local(moment: datetime) -> datetime:
    # Spreadsheets have no time zones: show Vietnam's clock.
    return moment.astimezone(VIETNAM).replace(tzinfo=None) if moment.tzinfo else moment


def _csv_value(value: Cell) -> str | int | float | Decimal:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return value


def _xlsx_value(value: Cell) -> Cell:
    if isinstance(value, datetime):
        return _local(value)
    if isinstance(value, str):
        return neutralise(value)
    return value


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """The CSV file in pieces of about CHUNK bytes: the BOM and the header line first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel")  # comma, double quotes, CRLF
    buffer.write("\ufeff")
    writer.writerow([neutralise(str(title)) for title in headers])
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(headers: Sequence[str], rows: Iterable[Sequence[Cell]], sheet_title: str = "Danh sách") -> Iterator[bytes]:
    """The XLSX file in pieces: rows go to openpyxl's temporary files as they come, then the
    finished workbook is read back from a temporary file."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    bold = Font(bold=True)
    titles = [neutralise(str(title)) for title in headers]
    for index, title in enumerate(titles):
        sheet.column_dimensions[_column_letter(index)].width = min(40, max(12, len(title) + 4))
    sheet.freeze_panes = "A2"
    header_cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _filename(stem: str, fmt: str) -> str:
    safe = _STEM_UNSAFE.sub("-", fold(stem).replace(" ", "-")).strip("-") or "danh-sach"
    return f"{safe[:80]}.{fmt}"


def export_response(filename_stem: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]], fmt: str) -> Response:
    """A streamed download of headers and rows as CSV or XLSX (fmt), named filename_stem.csv or
    .xlsx (folded to ASCII). rows is consumed while the response is sent, inside the request's
    context, so it may be a lazy database query; an empty iterator gives a file with headers
    only. An unknown fmt is a ValidationFailed (400)."""
    fmt = check_format(fmt)
    body: Iterator[bytes] = csv_chunks(headers, rows) if fmt == "csv" else xlsx_chunks(headers, rows)
    if has_request_context():
        body = stream_with_context(body)
    response = Response(body, mimetype=MIMETYPES[fmt], direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(filename_stem, fmt)}"'
    # Personal data: no browser or proxy keeps a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def rows_of(items: Iterable[Any], *columns) -> Iterator[tuple[Cell, ...]]:
    """Rows made by applying each column function to each item, lazily."""
    for item in items:
        yield tuple(column(item) for column in columns)
