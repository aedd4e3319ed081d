"""Roster import: officials bring members of a team, or residents of a commune, from a CSV or
XLSX file.

One pass of the same code checks a file (the preview) and, once an official confirms a clean
preview, checks it again and writes it. Rows are read as a stream and handled in batches of
BATCH rows (one look-up of the batch's phone numbers, one insert of its new accounts), so
memory stays flat however long the file is. The rules are those of the people's pages
(docs/security.md):

- people are matched by phone number; an existing account whose home commune is outside the
  official's scope is never pulled in, and its row gets the same neutral message as the
  "add a member" form (nobody learns who has an account elsewhere);
- an existing account is never modified: not its name, birth year, commune or household, and
  an official's no more than anyone's (a resident may still join a team, as with the form);
- new accounts have no usable password: the person gets a reset code from an official;
- team memberships follow lms.places.services.add_member and announce membership_changed.

A file with any row in error writes nothing (status "rejected"). Writing happens in one
transaction, committed with the import's status "done", so an import that dies halfway leaves
nothing behind (docs/rosters.md). Re-importing the same file changes nothing: every row is
then matched, and existing memberships are kept.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Table, insert, select, tuple_, update

from lms.accounts.models import User
from lms.accounts.phone import MOBILE_PREFIXES, display_phone, normalize_phone
from lms.accounts.scope import residents
from lms.accounts.services import validate_birth_year, validate_full_name
from lms.core import audit, signals
from lms.core.errors import DomainError, ValidationFailed
from lms.core.extensions import db
from lms.core.models import utcnow
from lms.core.text import fold, has_control_chars
from lms.places.households import clean_label, label_key
from lms.places.models import (
    Commune,
    Household,
    RosterImport,
    Team,
    TeamMembership,
    Village,
    VillageKind,
)

log = logging.getLogger(__name__)

KINDS = ("members", "learners")
BATCH = 1000
ERRORS_KEPT = 200  # errors kept in RosterImport.detail; error_count has them all
SAMPLE_ROWS = 20  # rows shown in the preview as they were read
CELL_MAX = 255
HEADER_SEARCH = 10  # the header may follow a few title rows
COLUMNS_READ = 20  # columns past this are never read (a hostile sheet may have 16,384)
UNUSABLE_PASSWORD = "!"  # noqa: S105  (no hash matches it: the person needs a reset code)

DEFAULTS: dict[str, Any] = {
    "ROSTER_MAX_BYTES": 20 * 1024 * 1024,
    "ROSTER_MAX_ROWS": 200_000,
    # Files up to this size are checked and written in the request; bigger ones go to the
    # queue when REDIS_URL is set (and run in the request otherwise).
    "ROSTER_INLINE_BYTES": 256 * 1024,
    # All members of an .xlsx file together, unpacked: a zip bomb stops here.
    "ROSTER_MAX_UNZIPPED_BYTES": 300 * 1024 * 1024,
    "ROSTER_DIR": None,  # instance/rosters
    # An import "running" this long with no sign of life (no heartbeat in the queue, or no
    # queue at all) is taken for dead and may be started again.
    "ROSTER_STALE_MINUTES": 30,
}


def setting(key: str) -> Any:
    value = current_app.config.get(key)
    if value is None or value == "":
        if key == "ROSTER_DIR":
            return os.path.join(current_app.instance_path, "rosters")
        return DEFAULTS[key]
    return value


# --- the columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: Any  # lazy text: the template's header and the name of the column in messages
    # Folded headers accepted on upload, the template's own in every interface language among
    # them (tests/test_rosters.py checks that a template downloaded in English reads back).
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS = (
    Column("full_name", _l("Họ và tên"), ("ho va ten", "ho ten", "ten", "ho va ten day du", "full name", "name"), True),
    Column(
        "phone",
        _l("Số điện thoại"),
        ("so dien thoai", "dien thoai", "sdt", "so dt", "dt", "so di dong", "di dong", "phone", "phone number"),
        True,
    ),
    Column("birth_year", _l("Năm sinh"), ("nam sinh", "birth year", "year of birth")),
    Column(
        "village",
        _l("Thôn/Tổ dân phố"),
        (
            "thon to dan pho",
            "thon",
            "to dan pho",
            "thon ap ban",
            "thon ap",
            "ap",
            "ban",
            "khu pho",
            "village",
            "village residential group",
        ),
    ),
    Column(
        "household",
        _l("Hộ gia đình (địa chỉ)"),
        ("ho gia dinh dia chi", "ho gia dinh", "dia chi ho", "dia chi", "household address", "household"),
    ),
    Column("commune", _l("Xã/Phường"), ("xa phuong", "xa phuong dac khu", "xa", "phuong", "ma xa", "commune", "commune ward")),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def header_key(text: str) -> str:
    """'Thôn/Tổ dân phố *' -> 'thon to dan pho': how a header is compared."""
    return _NOT_WORD.sub(" ", fold(text)).strip()


_ALIASES = {alias: column.key for column in COLUMNS for alias in column.aliases}
_REQUIRED = frozenset(column.key for column in COLUMNS if column.required)


def header_of(key: str) -> str:
    """The column's header in the official's language (only for messages: it costs a lookup)."""
    return str(COLUMN_BY_KEY[key].header)


def template_headers() -> list[str]:
    return [str(column.header) for column in COLUMNS]


# --- errors ---------------------------------------------------------------------------------


class RosterFileError(ValidationFailed):
    """The whole file is refused (unreadable, wrong type, no header, too many rows). status 400,
    or 413 for a file over the size limit."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message, field="file")
        self.status_code = status


@dataclass(frozen=True)
class Problem:
    row: int
    column: str  # the column's header, as the official reads it in their file
    message: str


def neutral_refusal() -> str:
    # The text of lms.places.services.add_member, so both say the same to anyone.
    return _(
        "Không thêm được số này. Chỉ thêm được người đã có tài khoản và có xã/phường thường trú "
        "thuộc phạm vi bạn quản lý. Nếu người đó chưa đăng ký, tổ viên có thể đăng ký giúp."
    )


# --- reading a file -------------------------------------------------------------------------

# Letters Vietnamese writes (with ASCII and a little punctuation): a decoding that yields
# anything else ("NguyêÞn") is the wrong one.
_VI_LETTERS = set(
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ"
    "\u00a0–—‘’“”…°·×"
)
_ENCODINGS = (("cp1258", "Windows-1258"), ("cp1252", "Windows-1252"))
_READ_CHUNK = 1 << 16


def file_kind(filename: str, head: bytes) -> str:
    """'csv' or 'xlsx' from the name and the first bytes, or RosterFileError (400)."""
    name = (filename or "").lower()
    if head.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise RosterFileError(
            _("Tệp Excel 97–2003 (.xls) không đọc được. Bạn hãy mở tệp trong Excel và lưu lại dạng .xlsx hoặc CSV UTF-8.")
        )
    if name.endswith(".xlsx"):
        if not head.startswith(b"PK\x03\x04"):
            raise RosterFileError(_("Tệp .xlsx này không mở được: nội dung không phải bảng tính Excel."))
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "csv"  # Excel's "Unicode Text"
        if head.startswith(b"PK\x03\x04") or b"\x00" in head:
            raise RosterFileError(_("Tệp này không phải tệp CSV (văn bản). Bạn hãy lưu bảng tính dạng CSV UTF-8 hoặc .xlsx."))
        return "csv"
    raise RosterFileError(_("Chỉ nhận tệp .csv hoặc .xlsx. Bạn hãy tải tệp mẫu và điền vào đó."))


def _plausible(text: str) -> bool:
    return all(ch.isascii() or ch in _VI_LETTERS for ch in unicodedata.normalize("NFC", text))


def _reads_as_vietnamese(path: Path, codec: str) -> bool:
    carry = ""  # a letter at the end of a chunk may take a tone mark from the next one
    try:
        with open(path, encoding=codec, newline="") as text:
            while chunk := text.read(_READ_CHUNK):
                data = carry + chunk
                carry = data[-1]
                if not _plausible(data[:-1]):
                    return False
    except UnicodeDecodeError:
        return False
    return _plausible(carry)


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' when the file is UTF-8 (with or without BOM), 'utf-16' after a UTF-16 BOM
    (Excel's "Unicode Text"); else the Windows code page
    whose reading is Vietnamese text; else RosterFileError, never a guess."""
    with open(path, "rb") as handle:
        head = handle.read(2)
    unicode = "utf-16" if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
    decoder = codecs.getincrementaldecoder(unicode)()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return unicode
    except UnicodeDecodeError:
        if unicode == "utf-16":
            raise RosterFileError(_("Tệp Unicode (UTF-16) này bị hỏng ở giữa. Bạn hãy lưu lại dạng CSV UTF-8.")) from None
    for codec, _label in _ENCODINGS:
        if _reads_as_vietnamese(path, codec):
            return codec
    raise RosterFileError(
        _(
            "Không đọc được chữ tiếng Việt trong tệp này (không phải UTF-8, Windows-1258 hay Windows-1252). "
            "Trong Excel, bạn hãy chọn Lưu thành → «CSV UTF-8 (phân cách bằng dấu phẩy)» rồi gửi lại."
        )
    )


def encoding_label(codec: str) -> str:
    return dict(_ENCODINGS, **{"utf-16": "UTF-16"}).get(codec, "UTF-8")


def _delimiter(head: str) -> str:
    # Excel on a Vietnamese Windows writes ";" (the comma is the decimal mark there). Counted
    # over the first lines, which may be titles without any separator.
    counts = {sep: head.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _csv_rows(path: Path, codec: str) -> Iterator[list[str]]:
    with open(path, encoding=codec, newline="") as text:
        first = "".join(text.readline(64 * 1024) for _ in range(HEADER_SEARCH))
        text.seek(0)
        reader = csv.reader(text, delimiter=_delimiter(first), strict=False)
        try:
            for row in reader:
                yield row[:COLUMNS_READ]
        except csv.Error:
            raise RosterFileError(
                _(
                    "Dòng %(row)s của tệp CSV không đọc được: một ô quá dài, hoặc có dấu ngoặc kép mở mà không đóng.",
                    row=reader.line_num,
                )
            ) from None


def _cell_text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return str(value.year)  # a birth date typed where the year goes
    return str(value)


def inspect_xlsx(path: Path) -> None:
    """Refuse what is no workbook, and a zip bomb, before openpyxl unpacks anything."""
    broken = _("Tệp .xlsx này không mở được: tệp hỏng hoặc không phải bảng tính Excel.")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RosterFileError(broken) from None
    if not any(info.filename == "xl/workbook.xml" for info in members):
        raise RosterFileError(broken)
    if sum(info.file_size for info in members) > setting("ROSTER_MAX_UNZIPPED_BYTES"):
        raise RosterFileError(_("Tệp .xlsx này giải nén ra quá lớn. Bạn hãy chia danh sách thành nhiều tệp."), status=413)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    inspect_xlsx(path)
    from openpyxl import load_workbook

    # A file object: given a path, openpyxl would judge the file by its extension.
    with open(path, "rb") as handle:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # openpyxl reads hostile input with many exception types
            raise RosterFileError(_("Tệp .xlsx này không mở được: tệp hỏng hoặc không phải bảng tính Excel.")) from None
        try:
            if not book.worksheets:
                return
            rows = book.worksheets[0].iter_rows(max_col=COLUMNS_READ, max_row=setting("ROSTER_MAX_ROWS") + 2, values_only=True)
            while True:
                try:
                    values = next(rows)
                except StopIteration:
                    return
                except Exception:
                    raise RosterFileError(_("Một phần của tệp .xlsx này không đọc được: tệp bị hỏng.")) from None
                yield [_cell_text(v) for v in values]
        finally:
            book.close()


def read_table(path: Path, kind: str, codec: str | None) -> Iterator[tuple[int, list[str]]]:
    """(row number as the spreadsheet shows it, cells) for every row, header included."""
    rows = _xlsx_rows(path) if kind == "xlsx" else _csv_rows(path, codec or "utf-8-sig")
    yield from enumerate(rows, start=1)


def map_header(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _ALIASES.get(header_key(cell))
        if key and key not in found:
            found[key] = index
    return found


# --- checking one row -----------------------------------------------------------------------

_FORMULA_START = ("=", "+", "@")
_KIND_PREFIXES = sorted((fold(kind.value) for kind in VillageKind), key=len, reverse=True)
_COMMUNE_PREFIXES = ("xa", "phuong", "dac khu")
_YEAR_RE = re.compile(r"^[0-9]{4}$")
_LINE_BREAKS = re.compile(r"[\t\r\n]")


def _strip_prefix(key: str, prefixes: Iterable[str]) -> str:
    for prefix in prefixes:
        if key.startswith(prefix + " "):
            return key[len(prefix) + 1 :]
    return key


def fix_phone(raw: str) -> str:
    """Undo what spreadsheets do to phone numbers: 912345678 (the leading 0 dropped)."""
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) == 9 and text[:2] in MOBILE_PREFIXES:
        return "0" + text
    return text


@dataclass
class Places:
    """The import's commune, its villages by name and its households as the import finds them."""

    commune: Commune
    villages: dict[str, list[int]] = field(default_factory=dict)  # folded name -> ids
    short: dict[str, list[int]] = field(default_factory=dict)  # folded name without "thôn" -> ids
    answers: dict[tuple[str, str], Any] = field(default_factory=dict)  # (column, cell) -> id, True or the error

    @classmethod
    def of(cls, commune: Commune) -> Places:
        places = cls(commune)
        for village_id, name, kind in db.session.execute(
            select(Village.id, Village.name, Village.kind).where(Village.commune_code == commune.code)
        ):
            for key in {fold(name), fold(f"{kind} {name}")}:
                places.villages.setdefault(key, []).append(village_id)
            places.short.setdefault(_strip_prefix(fold(name), _KIND_PREFIXES), []).append(village_id)
        return places

    def village(self, text: str) -> int | None:
        """The village a cell names: exactly, else without its kind word when that is unique.
        A file names the same few villages again and again: each text is looked up once."""
        known = self.answers.get(("village", text))
        if known is None:
            try:
                known = self._village(text)
            except ValidationFailed as error:
                known = error
            self.answers[("village", text)] = known
        if isinstance(known, ValidationFailed):
            raise known
        return known

    def _village(self, text: str) -> int:
        key = fold(text)
        ids = set(self.villages.get(key, ()))
        if not ids:
            ids = set(self.short.get(_strip_prefix(key, _KIND_PREFIXES), ()))
        if len(ids) > 1:
            raise ValidationFailed(
                _("Xã có nhiều thôn/tổ dân phố tên «%(name)s». Bạn hãy ghi rõ, ví dụ «Thôn %(name)s».", name=text),
                field="village",
            )
        if not ids:
            raise ValidationFailed(
                _(
                    "%(commune)s không có thôn/tổ dân phố «%(name)s». Cán bộ xã cần thêm thôn này trước, "
                    "hoặc bạn hãy sửa tên cho đúng.",
                    commune=self.commune.name,
                    name=text,
                ),
                field="village",
            )
        return ids.pop()

    def check_commune(self, text: str) -> None:
        known = self.answers.get(("commune", text))
        if known is None:
            try:
                self._check_commune(text)
                known = True
            except ValidationFailed as error:
                known = error
            self.answers[("commune", text)] = known
        if isinstance(known, ValidationFailed):
            raise known

    def _check_commune(self, text: str) -> None:
        value = text.split(",")[0].strip()
        if value == self.commune.code or value.zfill(5) == self.commune.code:
            return
        if _strip_prefix(fold(value), _COMMUNE_PREFIXES) == _strip_prefix(fold(self.commune.name), _COMMUNE_PREFIXES):
            return
        raise ValidationFailed(
            _("Không nhận ra xã/phường «%(value)s»: tệp này nhập cho %(commune)s.", value=value, commune=self.commune.name),
            field="commune",
        )


@dataclass
class Row:
    number: int
    full_name: str = ""
    name_key: str = ""
    phone: str = ""
    birth_year: int | None = None
    village_id: int | None = None
    household: str | None = None
    household_key: str | None = None
    problems: list[Problem] = field(default_factory=list)


def _birth_year(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not _YEAR_RE.match(text):
        raise ValidationFailed(_("Năm sinh phải là số, ví dụ 1975."), field="birth_year")
    return validate_birth_year(int(text))


def _household_label(raw: str) -> str:
    """The rules of a label written at the door (households.clean_label: no identity numbers),
    and no spreadsheet formula."""
    if raw.strip().startswith(_FORMULA_START):
        raise ValidationFailed(_("Địa chỉ hộ không được bắt đầu bằng dấu =, + hoặc @ (công thức bảng tính)."), field="household")
    return clean_label(raw, "household")


def parse_row(number: int, cells: list[str], columns: dict[str, int], places: Places) -> Row:
    """One data row with its own checks (the ones that need no other row or account)."""
    row = Row(number)

    def cell(key: str) -> str:
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else ""

    def check(key: str, action: Callable[[str], Any]) -> Any:
        # Line breaks and tabs inside a cell (Alt+Enter in Excel) are spaces; other control
        # characters, NUL included, are refused.
        raw = cell(key)
        if not raw and key not in _REQUIRED:
            return None
        raw = _LINE_BREAKS.sub(" ", raw)
        if has_control_chars(raw):
            row.problems.append(Problem(number, header_of(key), _("Ô có ký tự điều khiển không hợp lệ.")))
            return None
        if len(raw) > CELL_MAX:
            row.problems.append(Problem(number, header_of(key), _("Ô dài quá %(n)s ký tự.", n=CELL_MAX)))
            return None
        try:
            return action(raw)
        except DomainError as error:
            row.problems.append(Problem(number, header_of(key), error.message))
            return None

    name = check("full_name", validate_full_name)
    if name:
        row.full_name, row.name_key = name, fold(name)
    row.phone = check("phone", lambda raw: normalize_phone(fix_phone(raw))) or ""
    row.birth_year = check("birth_year", _birth_year)
    check("commune", lambda raw: places.check_commune(raw) if raw.strip() else None)
    row.village_id = check("village", lambda raw: places.village(raw) if raw.strip() else None)
    label = check("household", lambda raw: _household_label(raw) if raw.strip() else None)
    if label:
        if row.village_id is None and not cell("village").strip():
            row.problems.append(Problem(number, header_of("household"), _("Cần ghi thôn/tổ dân phố của hộ gia đình này.")))
        row.household, row.household_key = label, label_key(label)
    return row


# --- one pass over the file -----------------------------------------------------------------


@dataclass
class Summary:
    total: int = 0
    created: int = 0
    matched: int = 0
    joined: int = 0  # members: added to the team (new and existing accounts)
    kept: int = 0  # members: already in the team
    households: int = 0  # new households
    error_count: int = 0
    errors: list[Problem] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)

    def problem(self, problem: Problem) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(problem)

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "matched": self.matched,
            "joined": self.joined,
            "kept": self.kept,
            "households": self.households,
        }


@dataclass
class _Known:
    """What the database holds about one phone number of the batch."""

    user_id: int
    name_key: str
    in_scope: bool = False
    member: bool = False


class Pass:
    """Read the import's file once: check every row and, with write=True and only while no
    row is in error, write batch by batch in the caller's transaction."""

    def __init__(
        self,
        roster: RosterImport,
        actor: User,
        *,
        write: bool,
        progress: Callable[[int], None] | None = None,
    ):
        self.roster = roster
        self.actor = actor
        self.write = write
        self.progress = progress
        commune = db.session.get(Commune, roster.commune_code)
        if commune is None:
            raise RosterFileError(_("Không tìm thấy xã/phường của lần nhập này."))
        self.places = Places.of(commune)
        self.team: Team | None = db.session.get(Team, roster.team_id) if roster.team_id else None
        if roster.kind == "members" and (self.team is None or self.team.commune_code != commune.code):
            raise RosterFileError(_("Tổ của lần nhập này không còn nữa."))
        self.summary = Summary()
        self.seen: dict[str, int] = {}  # phone -> first row
        # (village, label key) -> id, or None for a household this file makes (before it is written)
        self.households: dict[tuple[int, str], int | None] = {}
        self.now = utcnow()

    # reading

    def rows(self) -> Iterator[Row]:
        path = Path(self.roster.stored_path or "")
        if not path.is_file():
            raise RosterFileError(_("Tệp của lần nhập này không còn trên máy chủ. Bạn hãy gửi lại tệp."))
        detail = self.roster.detail or {}
        columns: dict[str, int] | None = None
        limit = setting("ROSTER_MAX_ROWS")
        skipped = 0
        for number, cells in read_table(path, detail.get("file_kind", "csv"), detail.get("encoding")):
            if not any(c.strip() for c in cells):
                continue
            if columns is None:
                columns = self._header(cells, skipped)
                skipped += 1
                continue
            self.summary.total += 1
            if self.summary.total > limit:
                raise RosterFileError(
                    _("Tệp có hơn %(n)s dòng. Bạn hãy chia danh sách thành nhiều tệp.", n=f"{limit:,}".replace(",", ".")),
                    status=413,
                )
            yield parse_row(number, cells, columns, self.places)
        if columns is None:
            if skipped:
                raise self._no_header()
            raise RosterFileError(_("Tệp không có dòng nào. Bạn hãy tải tệp mẫu và điền danh sách vào đó."))

    def _header(self, cells: list[str], skipped: int) -> dict[str, int] | None:
        """The header's columns when this row is the header; None for a title row above it
        ("DANH SÁCH THÀNH VIÊN …", or Excel's "sep=;"), up to HEADER_SEARCH rows."""
        columns = map_header(cells)
        if all(c.key in columns for c in COLUMNS if c.required):
            used = set(columns.values())
            self.summary.unused_columns = [c.strip()[:40] for i, c in enumerate(cells) if c.strip() and i not in used][:10]
            return columns
        if skipped + 1 >= HEADER_SEARCH:
            raise self._no_header()
        return None

    @staticmethod
    def _no_header() -> RosterFileError:
        return RosterFileError(
            _(
                "Không tìm thấy dòng tên cột. Tệp cần một dòng có ít nhất các cột «%(columns)s». "
                "Bạn hãy tải tệp mẫu và điền theo đó.",
                columns="», «".join(str(c.header) for c in COLUMNS if c.required),
            )
        )

    def run(self) -> Summary:
        batch: list[Row] = []
        for row in self.rows():
            batch.append(row)
            if len(batch) >= BATCH:
                self._batch(batch)
                batch = []
        if batch:
            self._batch(batch)
        return self.summary

    # one batch

    def _lookup(self, phones: list[str]) -> dict[str, _Known]:
        known: dict[str, _Known] = {}
        if not phones:
            return known
        for user_id, phone, name_key in db.session.execute(
            select(User.id, User.phone, User.name_key).where(User.phone.in_(phones))
        ):
            known[phone] = _Known(user_id, name_key)
        if not known:
            return known
        ids = [k.user_id for k in known.values()]
        in_scope = set(db.session.scalars(residents(self.actor, select(User.id)).where(User.id.in_(ids))))
        members: set[int] = set()
        if self.team is not None and in_scope:
            members = set(
                db.session.scalars(
                    select(TeamMembership.user_id).where(
                        TeamMembership.team_id == self.team.id, TeamMembership.user_id.in_(in_scope)
                    )
                )
            )
        for entry in known.values():
            entry.in_scope = entry.user_id in in_scope
            entry.member = entry.user_id in members
        return known

    def _find_households(self, rows: list[Row]) -> None:
        wanted = sorted(
            {
                (row.village_id, row.household_key)
                for row in rows
                if row.household_key and row.village_id is not None and (row.village_id, row.household_key) not in self.households
            }
        )
        if not wanted:
            return
        for household_id, village_id, key in db.session.execute(
            select(Household.id, Household.village_id, Household.label_key).where(
                tuple_(Household.village_id, Household.label_key).in_(wanted)
            )
        ):
            self.households[(village_id, key)] = household_id

    def _batch(self, rows: list[Row]) -> None:
        summary = self.summary
        known = self._lookup(sorted({row.phone for row in rows if row.phone}))
        self._find_households(rows)
        to_create: list[Row] = []
        to_join: list[int] = []
        new_households: dict[tuple[int, str], str] = {}
        for row in rows:
            if row.phone:
                first = self.seen.get(row.phone)
                if first is not None:
                    row.problems.append(
                        Problem(
                            row.number,
                            header_of("phone"),
                            _("Số điện thoại này trùng với dòng %(row)s.", row=first),
                        )
                    )
                else:
                    self.seen[row.phone] = row.number
            entry = known.get(row.phone) if row.phone else None
            if entry is not None and not row.problems:
                if not entry.in_scope:
                    row.problems.append(Problem(row.number, header_of("phone"), neutral_refusal()))
                elif row.name_key and entry.name_key != row.name_key:
                    row.problems.append(
                        Problem(
                            row.number,
                            header_of("phone"),
                            _("Số điện thoại này đã có tài khoản với họ tên khác. Bạn hãy kiểm tra lại số hoặc họ tên."),
                        )
                    )
            for problem in row.problems:
                summary.problem(problem)
            if row.problems:
                continue
            if entry is None:
                summary.created += 1
                to_create.append(row)
                action = "create"
                # Only a new account gets the household of its row: an existing one stays as it
                # is (a household is changed with the person, at the door).
                if row.household_key and row.village_id is not None:
                    key = (row.village_id, row.household_key)
                    if key not in self.households:
                        new_households.setdefault(key, row.household or "")
            else:
                summary.matched += 1
                action = "match"
            if self.team is not None:
                if entry is not None and entry.member:
                    summary.kept += 1
                    action = "kept" if action == "match" else action
                else:
                    summary.joined += 1
                    if entry is not None:
                        to_join.append(entry.user_id)
            if len(summary.sample) < SAMPLE_ROWS:
                summary.sample.append(
                    {
                        "row": row.number,
                        "name": row.full_name,
                        "phone": display_phone(row.phone),
                        "birth_year": row.birth_year,
                        "household": row.household or "",
                        "action": action,
                    }
                )
        for key in new_households:
            self.households[key] = None  # planned; its id once written
        summary.households += len(new_households)
        if self.write and summary.error_count == 0:
            self._write(to_create, to_join, new_households)
        if self.progress is not None:
            self.progress(summary.total)

    # writing

    def _let_go(self, person: User) -> None:
        """Keep the session small over 100,000 rows: a row loaded for a signal leaves it after."""
        if person is not self.actor:
            db.session.expunge(person)

    def _write(
        self,
        to_create: list[Row],
        to_join: list[int],
        new_households: dict[tuple[int, str], str],
    ) -> None:
        commune = self.places.commune.code
        if new_households:
            households = cast(Table, Household.__table__)
            # Plain inserts, then one select: an INSERT … RETURNING of a thousand rows was several
            # times slower on PostgreSQL (measured in bench.roster_import).
            db.session.execute(
                insert(households),
                [
                    {
                        "village_id": village_id,
                        "commune_code": commune,
                        "label": label,
                        "label_key": key,
                        "created_by_id": self.actor.id,
                        "created_at": self.now,
                    }
                    for (village_id, key), label in sorted(new_households.items())
                ],
            )
            batch = list(
                db.session.scalars(
                    select(Household).where(tuple_(Household.village_id, Household.label_key).in_(sorted(new_households)))
                )
            )
            for household in batch:
                self.households[(household.village_id, household.label_key)] = household.id
            signals.households_created.send("places", households=batch)
            for household in batch:
                db.session.expunge(household)
        created_ids: list[int] = []
        if to_create:
            users = cast(Table, User.__table__)
            db.session.execute(
                insert(users),
                [
                    {
                        "phone": row.phone,
                        "full_name": row.full_name,
                        "name_key": row.name_key,
                        "birth_year": row.birth_year,
                        "home_commune_code": commune,
                        "household_id": (
                            self.households.get((row.village_id, row.household_key))
                            if row.household_key and row.village_id
                            else None
                        ),
                        "password_hash": UNUSABLE_PASSWORD,
                        "created_at": self.now,
                    }
                    for row in to_create
                ],
            )
            if self.team is not None:
                created_ids = list(db.session.scalars(select(User.id).where(User.phone.in_([r.phone for r in to_create]))))
        joining = to_join + created_ids if self.team is not None else []
        if joining and self.team is not None:
            db.session.execute(
                insert(cast(Table, TeamMembership.__table__)),
                [
                    {
                        "team_id": self.team.id,
                        "user_id": user_id,
                        "is_leader": False,
                        "added_by_id": self.actor.id,
                        "added_at": self.now,
                    }
                    for user_id in joining
                ],
            )
            for person in db.session.scalars(select(User).where(User.id.in_(joining)).order_by(User.id)):
                signals.membership_changed.send("places", user=person, team_id=self.team.id, joined=True)
                self._let_go(person)
        db.session.flush()


# --- creating an import and running it -------------------------------------------------------


def new_import(
    actor: User,
    *,
    kind: str,
    commune_code: str,
    team_id: int | None,
    filename: str,
    stored: Path,
    sha256: str,
    file_kind_: str,
) -> RosterImport:
    """The import row for a file already stored, waiting for its check (status queued)."""
    detail: dict[str, Any] = {"phase": "check", "actor_id": actor.id, "size": stored.stat().st_size, "file_kind": file_kind_}
    if file_kind_ == "csv":
        detail["encoding"] = detect_encoding(stored)
    else:
        inspect_xlsx(stored)
    roster = RosterImport(
        created_by_id=actor.id,
        commune_code=commune_code,
        team_id=team_id,
        kind=kind,
        filename=filename,
        file_sha256=sha256,
        stored_path=str(stored),
        status="queued",
        detail=detail,
    )
    db.session.add(roster)
    db.session.flush()
    audit.record(actor.id, "roster.upload", "roster_import", roster.id, kind=kind, commune=commune_code, team=team_id)
    return roster


def claim(import_id: int, *, from_status: Iterable[str], to_status: str, **detail: Any) -> bool:
    """Compare-and-set of the import's status, so a double click or a second worker never runs
    the same phase twice. Flushes; the caller commits."""
    roster = db.session.get(RosterImport, import_id)
    if roster is None:
        return False
    merged = {**(roster.detail or {}), **detail}
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(RosterImport)
            .where(RosterImport.id == import_id, RosterImport.status.in_(list(from_status)))
            .values(status=to_status, detail=merged)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.expire(roster)
    return result.rowcount == 1


def _forget_file(roster: RosterImport) -> None:
    """The file holds personal data: kept only while a preview waits or a run may be retried."""
    if roster.stored_path:
        try:
            os.unlink(roster.stored_path)
        except OSError:
            pass
        roster.stored_path = None


def _problems_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"row": p.row, "field": p.column, "message": p.message} for p in problems]


def run(import_id: int, progress: Callable[[int], None] | None = None) -> str:
    """Take a queued import (compare-and-set, so it runs once however often it is asked), then
    check it (phase "check") or write it (phase "apply") and commit the outcome: preview,
    rejected, done or failed. Returns the import's status afterwards."""
    if not claim(import_id, from_status=("queued",), to_status="running", started_at=utcnow().isoformat()):
        db.session.rollback()
        roster = db.session.get(RosterImport, import_id)
        return roster.status if roster is not None else "missing"
    db.session.commit()
    roster = db.session.get(RosterImport, import_id)
    if roster is None:
        return "missing"
    phase = (roster.detail or {}).get("phase", "check")
    actor = db.session.get(User, (roster.detail or {}).get("actor_id") or roster.created_by_id or 0)
    try:
        if actor is None or actor.deleted_at is not None:
            raise RosterFileError(_("Tài khoản đã gửi tệp không còn nữa."))
        summary = Pass(roster, actor, write=phase == "apply", progress=progress).run()
    except RosterFileError as error:
        db.session.rollback()
        return _finish(import_id, "rejected", file_error=error.message)
    except Exception:
        log.exception("roster import %s failed in phase %s", import_id, phase)
        db.session.rollback()
        return _finish(import_id, "failed", failure=_("Lần nhập bị dừng giữa chừng do lỗi hệ thống. Chưa có gì được ghi."))
    if summary.error_count:
        db.session.rollback()  # a row that turned bad since the preview: nothing of it stays
        return _finish(import_id, "rejected", summary=summary)
    if phase == "check":
        return _finish(import_id, "preview", summary=summary)
    audit.record(actor.id, "roster.apply", "roster_import", import_id, **summary.counts(), total=summary.total)
    return _finish(import_id, "done", summary=summary)


def _finish(import_id: int, status: str, *, summary: Summary | None = None, **extra: Any) -> str:
    roster = db.session.get(RosterImport, import_id)
    if roster is None:
        return "missing"
    detail = dict(roster.detail or {})
    detail.pop("file_error", None)
    detail.pop("failure", None)
    detail.update(extra)
    if summary is not None:
        detail.update(
            counts=summary.counts(),
            errors=_problems_json(summary.errors),
            unused_columns=summary.unused_columns,
            sample=summary.sample if status == "preview" else [],
        )
        roster.total_rows = summary.total
        roster.created_count = summary.created
        roster.matched_count = summary.matched
        roster.error_count = summary.error_count
        roster.processed_rows = summary.total
    elif status == "rejected":
        roster.error_count = max(roster.error_count, 1)
    if status in ("rejected", "done", "failed"):
        roster.finished_at = utcnow()
    if status in ("rejected", "done"):
        _forget_file(roster)
    roster.status = status
    roster.detail = detail
    db.session.commit()
    return status


def is_stale(roster: RosterImport, heartbeat: bool | None) -> bool:
    """A run that stopped without a word (its worker was killed): heartbeat is whether the
    queue still hears from it (None without a queue, judged by the time it started)."""
    if roster.status != "running":
        return False
    if heartbeat is not None:
        return not heartbeat
    started = (roster.detail or {}).get("started_at")
    if not started:
        return True
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        return True
    return (utcnow() - moment).total_seconds() > setting("ROSTER_STALE_MINUTES") * 60


# --- the template ---------------------------------------------------------------------------

GUIDE = (
    _l("Mỗi dòng là một người. Dòng đầu giữ nguyên tên các cột."),
    _l("Bắt buộc: Họ và tên, Số điện thoại (số di động, 10 chữ số). Không bắt buộc: các cột còn lại."),
    _l("Năm sinh: 4 chữ số, ví dụ 1975."),
    _l("Thôn/Tổ dân phố: đúng tên thôn đã có trong xã trên hệ thống."),
    _l("Hộ gia đình (địa chỉ): ví dụ «Số 12, ngõ 3» hoặc «Nhà ông Tư, xóm Bãi»; cần ghi kèm thôn. Không ghi số căn cước."),
    _l("Xã/Phường: để trống, hoặc ghi đúng xã/phường đang nhập (tên hoặc mã)."),
    _l(
        "Người đã có tài khoản được nhận ra theo số điện thoại và giữ nguyên (kể cả hộ gia đình); "
        "nhập lại cùng tệp không tạo thêm ai."
    ),
)


def template_csv() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(template_headers())
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = str(_l("Danh sách"))[:31]
    sheet.append(template_headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (28, 16, 10, 22, 30, 20), strict=True):
        sheet.column_dimensions[letter].width = width
        sheet.column_dimensions[letter].number_format = "@"  # text: the phone keeps its leading 0
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(str(_l("Hướng dẫn"))[:31])
    guide.column_dimensions["A"].width = 110
    for line in GUIDE:
        guide.append([str(line)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
