"""The monthly report of a commune: per task the households helped to "done" in the month, the
people helped, the visits to follow up, the quarter so far against the quarter's target, the
teams' lines and the teams that have not reported. As PDF (WeasyPrint, the fonts the
certificates use) or XLSX (openpyxl; a commune has tens of teams, so the file is built in
memory). Numbers come from the counters only."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app, render_template
from flask_babel import gettext as _

from lms.core.errors import ValidationFailed
from lms.fieldwork import progress
from lms.fieldwork.targets import parse_period
from lms.fieldwork.tasks import load_tasks
from lms.places.models import Commune

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class MonthlyReport:
    commune: Commune
    month: date
    quarter_label: str
    month_own: progress.Line
    quarter_own: progress.Line
    teams_month: list[progress.Line]
    teams_quarter: list[progress.Line]
    quiet: list[progress.QuietTeam]

    @property
    def month_label(self) -> str:
        return _("Tháng %(m)s/%(y)s", m=self.month.month, y=self.month.year)


def parse_month(raw: object) -> date:
    text = raw.strip() if isinstance(raw, str) else ""
    if "Q" in text.upper():
        raise ValidationFailed(_("Tháng không hợp lệ: ghi như 2026-12."), field="month")
    return parse_period(text, field="month").first_month


def build(commune: Commune, month: date) -> MonthlyReport:
    quarter = parse_period(f"{month.year}-Q{(month.month - 1) // 3 + 1}")
    month_code = f"{month.year}-{month.month:02d}"
    own_m, teams_m = progress.place_progress("commune", commune.code, commune.full_name, month_code, month, month)
    own_q, teams_q = progress.place_progress("commune", commune.code, commune.full_name, quarter.code, quarter.first_month, month)
    return MonthlyReport(
        commune, month, quarter.label, own_m, own_q, teams_m, teams_q, progress.quiet_teams("commune", commune.code)
    )


def html(report: MonthlyReport) -> str:
    return render_template("fieldwork/report_pdf.html", report=report, tasks=load_tasks())


# Rendered PDFs by the SHA-256 of their HTML: the same numbers give the same file, so a second
# download (another official, a double click) skips WeasyPrint; any new entry changes the HTML.
_PDF_CACHE: OrderedDict[str, bytes] = OrderedDict()
_PDF_CACHE_SIZE = 32
_pdf_lock = threading.Lock()


def pdf(report: MonthlyReport) -> bytes:
    from weasyprint import HTML

    markup = html(report)
    key = hashlib.sha256(markup.encode()).hexdigest()
    with _pdf_lock:
        if key in _PDF_CACHE:
            _PDF_CACHE.move_to_end(key)
            return _PDF_CACHE[key]
    fonts = Path(current_app.config["CONTENT_ROOT"]) / "certificates"
    body = HTML(string=markup, base_url=fonts.resolve().as_uri() + "/").write_pdf()
    with _pdf_lock:
        _PDF_CACHE[key] = body
        while len(_PDF_CACHE) > _PDF_CACHE_SIZE:
            _PDF_CACHE.popitem(last=False)
    return body


def _cell(value):
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    return value


def xlsx(report: MonthlyReport) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Tổng hợp")[:31]
    sheet.append(
        [
            _cell(
                _(
                    "Báo cáo công tác cộng đồng: %(commune)s, %(month)s",
                    commune=report.commune.full_name,
                    month=report.month_label,
                )
            )
        ]
    )
    sheet.append([])
    sheet.append(
        [
            _("Nhiệm vụ"),
            _("Hộ được giúp xong trong tháng"),
            _("Người được giúp trong tháng"),
            _("Lượt cần quay lại"),
            _("Hộ lũy kế %(q)s", q=report.quarter_label),
            _("Chỉ tiêu %(q)s", q=report.quarter_label),
        ]
    )
    for task in load_tasks():
        m, q = report.month_own.cells[task.code], report.quarter_own.cells[task.code]
        sheet.append([_cell(task.name), m.households, m.people, m.follow_up, q.households, q.target or 0])
    sheet.append(
        [
            _("Tổng"),
            report.month_own.households,
            report.month_own.people,
            sum(c.follow_up for c in report.month_own.cells.values()),
            report.quarter_own.households,
            sum(c.target or 0 for c in report.quarter_own.cells.values()),
        ]
    )
    teams = book.create_sheet(_("Theo tổ")[:31])
    teams.append([_("Tổ"), *[_cell(t.name) for t in load_tasks()], _("Tổng số hộ trong tháng"), _("Tổng số người trong tháng")])
    for line in report.teams_month:
        teams.append([_cell(line.name), *[line.cells[t.code].households for t in load_tasks()], line.households, line.people])
    quiet = book.create_sheet(_("Tổ chưa báo cáo")[:31])
    quiet.append([_("Tổ"), _("Lần ghi gần nhất")])
    for silent in report.quiet:
        last = silent.last_entry.date().isoformat() if silent.last_entry else _("Chưa ghi lần nào")
        quiet.append([_cell(silent.team.name), last])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
