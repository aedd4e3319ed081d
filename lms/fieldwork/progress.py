"""Progress against targets, from the counters (lms/fieldwork/counts.py) and the targets of the
teams below a place; teams that have not reported lately; and the totals evaluation reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.core.extensions import db
from lms.core.models import utcnow
from lms.fieldwork import counts
from lms.fieldwork.models import OutreachEntry, Target
from lms.fieldwork.tasks import load_tasks
from lms.places.models import Commune, Province, Team, Village

QUIET_DAYS = 14
CHILD_LEVEL = {"country": "province", "province": "commune", "commune": "team", "village": "team", "team": None}


@dataclass
class Cell:
    households: int = 0
    people: int = 0
    done: int = 0
    follow_up: int = 0
    target: int | None = None

    @property
    def percent(self) -> int | None:
        if not self.target:
            return None
        return round(100 * self.households / self.target)


@dataclass
class Line:
    key: str
    name: str
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def households(self) -> int:
        return sum(c.households for c in self.cells.values())

    @property
    def people(self) -> int:
        return sum(c.people for c in self.cells.values())


def _lines(level: str, names: list[tuple[str, str]], first: date, last: date, target_sums: dict) -> list[Line]:
    found = counts.totals(level, [k for k, _ in names], first, last)
    lines = []
    for key, name in names:
        line = Line(key, name)
        for task in load_tasks():
            c = found.get((key, task.code), {})
            line.cells[task.code] = Cell(
                c.get("households", 0),
                c.get("people", 0),
                c.get("done", 0),
                c.get("follow_up", 0),
                target_sums.get((key, task.code)),
            )
        lines.append(line)
    return lines


def target_sums(level: str, keys: list[str], period: str) -> dict[tuple[str, str], int]:
    """Targets of the teams in each place, summed per task."""
    if not keys:
        return {}
    stmt = (
        select(Target.task_code, func.sum(Target.households)).join(Team, Team.id == Target.team_id).where(Target.period == period)
    )
    column: Any
    if level == "team":
        column = Team.id
        stmt = stmt.where(Team.id.in_([int(k) for k in keys]))
    elif level == "village":
        column = Team.village_id
        stmt = stmt.where(Team.village_id.in_([int(k) for k in keys]))
    elif level == "commune":
        column = Team.commune_code
        stmt = stmt.where(Team.commune_code.in_(keys))
    elif level == "province":
        column = Commune.province_code
        stmt = stmt.join(Commune, Commune.code == Team.commune_code).where(Commune.province_code.in_(keys))
    else:
        totals = db.session.execute(stmt.group_by(Target.task_code))
        return {(counts.COUNTRY, task): int(total or 0) for task, total in totals}
    rows = db.session.execute(stmt.add_columns(column).group_by(column, Target.task_code))
    return {(str(row[2]), str(row[0])): int(row[1] or 0) for row in rows}


def children(level: str, key: str) -> list[tuple[str, str]]:
    """(key, name) of the places one level below."""
    if level == "country":
        return [(p.code, p.name) for p in db.session.scalars(select(Province).order_by(Province.code))]
    if level == "province":
        return [
            (c.code, c.name)
            for c in db.session.scalars(select(Commune).where(Commune.province_code == key).order_by(Commune.code))
        ]
    if level == "commune":
        teams = db.session.scalars(select(Team).where(Team.commune_code == key).order_by(Team.village_id, Team.id))
        return [(str(t.id), f"{t.name} ({t.village.name})") for t in teams]
    if level == "village":
        return [
            (str(t.id), t.name) for t in db.session.scalars(select(Team).where(Team.village_id == int(key)).order_by(Team.id))
        ]
    return []


def place_progress(level: str, key: str, name: str, period_code: str, first: date, last: date) -> tuple[Line, list[Line]]:
    """The place's own line and its children's lines."""
    own = _lines(level, [(key, name)], first, last, target_sums(level, [key], period_code))[0]
    child_level = CHILD_LEVEL[level]
    rows: list[Line] = []
    if child_level:
        names = children(level, key)
        rows = _lines(child_level, names, first, last, target_sums(child_level, [k for k, _ in names], period_code))
    return own, rows


@dataclass
class QuietTeam:
    team: Team
    last_entry: datetime | None


def teams_of(level: str, key: str):
    stmt = select(Team)
    if level == "team":
        return stmt.where(Team.id == int(key))
    if level == "village":
        return stmt.where(Team.village_id == int(key))
    if level == "commune":
        return stmt.where(Team.commune_code == key)
    if level == "province":
        return stmt.join(Commune, Commune.code == Team.commune_code).where(Commune.province_code == key)
    return stmt


def quiet_teams(level: str, key: str, days: int = QUIET_DAYS, limit: int = 200) -> list[QuietTeam]:
    """Teams of the place without an entry recorded in the last `days` days (oldest first)."""
    teams = list(db.session.scalars(teams_of(level, key).order_by(Team.id)))
    if not teams:
        return []
    # One correlated max() per team: each is a backward scan of the (team_id, created_at) index
    # that stops at its first row, so the cost does not grow with the entries.
    latest = select(func.max(OutreachEntry.created_at)).where(OutreachEntry.team_id == Team.id).correlate(Team).scalar_subquery()
    last = {
        team_id: moment
        for team_id, moment in db.session.execute(select(Team.id, latest).where(Team.id.in_([t.id for t in teams]))).all()
    }
    since = utcnow() - timedelta(days=days)
    quiet = []
    for team in teams:
        moment = last.get(team.id)
        if moment is not None and moment.tzinfo is None:  # SQLite's max() drops the column type
            moment = datetime.fromisoformat(str(moment)).replace(tzinfo=UTC)
        if moment is None or moment < since:
            quiet.append(QuietTeam(team, moment))
    quiet.sort(key=lambda q: (q.last_entry is not None, q.last_entry or since))
    return quiet[:limit]


def place_name(level: str, key: str) -> str:
    if level == "country":
        return _("Cả nước")
    if level == "province":
        p = db.session.get(Province, key)
        return p.name if p else key
    if level == "commune":
        c = db.session.get(Commune, key)
        return c.full_name if c else key
    if level == "village":
        v = db.session.get(Village, int(key))
        return f"{v.name}, {v.commune.name}" if v else key
    t = db.session.get(Team, int(key))
    return f"{t.name} ({t.village.name})" if t else key


# --- for evaluation ------------------------------------------------------------------------


def outreach_totals(level: str, place: str, month: date) -> dict[str, dict[str, int]]:
    """Outreach results of a team ("team", str(id)), village, commune, province or the country
    ("country", "VN") in a month: {task code: {"households", "people", "done", "follow_up",
    "entries"}}, every task of tasks.yaml present (zeros when nothing was recorded). Read from
    the counters, so its cost does not grow with the entries. For the evaluation criteria of the
    team network: lms.reports, which evaluates teams, sits above fieldwork and may import it."""
    month = month.replace(day=1)
    found = counts.totals(level, [str(place)], month, month)
    return {
        task.code: {name: found.get((str(place), task.code), {}).get(name, 0) for name in counts.COUNTERS}
        for task in load_tasks()
    }
