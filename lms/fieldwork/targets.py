"""Targets: households a team is to reach for a task in a period, set by officials in scope.

A period is a quarter ("2026-Q4") or a month ("2026-12"); a campaign's targets use the period
"c<campaign id>". Progress for a period sums the monthly counters of its months."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.models import User
from lms.core import audit
from lms.core.db import flush_or_refuse
from lms.core.errors import ValidationFailed
from lms.core.extensions import db
from lms.core.models import utcnow
from lms.fieldwork.models import Target
from lms.fieldwork.tasks import task_by_code
from lms.places.models import Team

TARGET_MAX = 100_000
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    code: str
    first_month: date
    last_month: date

    @property
    def label(self) -> str:
        if "Q" in self.code:
            return _("Quý %(q)s/%(y)s", q=self.code[-1], y=self.code[:4])
        return _("Tháng %(m)s/%(y)s", m=int(self.code[5:]), y=self.code[:4])


def parse_period(raw: object, field: str = "period") -> Period:
    text = raw.strip().upper() if isinstance(raw, str) else ""
    if m := _QUARTER_RE.match(text):
        year, quarter = int(m.group(1)), int(m.group(2))
        first = 3 * quarter - 2
        period = Period(text, date(year, first, 1), date(year, first + 2, 1))
    elif m := _MONTH_RE.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        period = Period(text, date(year, month, 1), date(year, month, 1))
    else:
        raise ValidationFailed(_("Kỳ không hợp lệ: ghi quý như 2026-Q4 hoặc tháng như 2026-12."), field=field)
    if not 2020 <= period.first_month.year <= 2100:
        raise ValidationFailed(_("Kỳ phải trong khoảng năm 2020 đến 2100."), field=field)
    return period


def current_quarter(today: date) -> Period:
    return parse_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}")


def parse_households(raw: object, field: str = "households") -> int:
    text = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if text.startswith("-") and text[1:].isdigit():
        raise ValidationFailed(_("Chỉ tiêu không được là số âm."), field=field)
    if not (text.isascii() and text.isdigit()) or len(text) > 7:
        raise ValidationFailed(_("Chỉ tiêu là số hộ, ví dụ 40."), field=field)
    value = int(text)
    if value > TARGET_MAX:
        raise ValidationFailed(_("Chỉ tiêu tối đa %(n)s hộ.", n=f"{TARGET_MAX:,}".replace(",", ".")), field=field)
    return value


def set_target(actor: User, team: Team, task_code: object, period_code: str, households: object) -> Target:
    """Set (or change) a team's target; the view has checked that the actor manages the team."""
    task = task_by_code(task_code if isinstance(task_code, str) else None)
    if task is None:
        raise ValidationFailed(_("Bạn hãy chọn một nhiệm vụ trong danh sách."), field="task")
    value = parse_households(households)
    row = db.session.scalar(
        select(Target)
        .where(Target.team_id == team.id, Target.task_code == task.code, Target.period == period_code)
        .with_for_update()
    )
    if row is None:
        row = Target(team_id=team.id, task_code=task.code, period=period_code, households=value, set_by_id=actor.id)
        flush_or_refuse(ValidationFailed(_("Chỉ tiêu này vừa được đặt. Bạn hãy tải lại trang."), field="households"), row)
    else:
        row.households = value
        row.set_by_id = actor.id
        row.updated_at = utcnow()
    audit.record(actor.id, "fieldwork.target", "team", team.id, task=task.code, period=period_code, households=value)
    return row


def targets_of(team_ids: list[int], period_code: str) -> dict[tuple[int, str], int]:
    if not team_ids:
        return {}
    rows = db.session.execute(
        select(Target.team_id, Target.task_code, Target.households).where(
            Target.team_id.in_(team_ids), Target.period == period_code
        )
    )
    return {(r.team_id, r.task_code): r.households for r in rows}
