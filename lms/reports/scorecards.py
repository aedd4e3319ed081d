"""Monthly scorecards of teams, communes and provinces, scored by the criteria in
criteria/evaluation.yaml.

A month's scorecards are computed once, after the month has ended, from the records as they
stood at its end (Vietnam time): team memberships, certificates valid at that moment,
course completions, households and learning activity of the last 30 days. Each scorecard
stores its raw counts, every criterion's value, score and level, and the criteria version
and file hash used, so an edit of the criteria file changes the months computed after it and
never a month already computed. See docs/evaluation.md.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask_babel import gettext as _
from sqlalchemy import JSON, Date, Float, Index, String, UniqueConstraint, delete, distinct, func, insert, or_, select, union
from sqlalchemy.orm import Mapped, mapped_column

from lms.accounts.models import AssistedRegistration, User
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.core.errors import ValidationFailed
from lms.core.extensions import Model, db
from lms.core.models import utcnow
from lms.learning.models import CourseCompletion, LessonProgress
from lms.places.models import Commune, Household, Province, Team, TeamMembership
from lms.reports.models import COUNTRY

CRITERIA_FILE = Path(__file__).resolve().parents[2] / "criteria" / "evaluation.yaml"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CITIZENS_COURSE = "nguoi-dan"
MEMBERS_COURSE = "thanh-vien"
ACTIVE_DAYS = 30
LEVELS = ("country", "province", "commune", "team")
INSERT_CHUNK = 5000
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Scorecard(Model):
    __tablename__ = "scorecards"
    __table_args__ = (
        UniqueConstraint("month", "level", "place"),
        Index("ix_scorecards_rank", "month", "level", "province_code", "score"),
        Index("ix_scorecards_history", "level", "place", "month"),
        Index("ix_scorecards_top", "month", "level", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    level: Mapped[str] = mapped_column(String(8))  # country, province, commune or team
    place: Mapped[str] = mapped_column(String(16))  # VN, province or commune code, team id
    province_code: Mapped[str] = mapped_column(String(2))  # "" for the country
    commune_code: Mapped[str | None] = mapped_column(String(5))
    score: Mapped[float] = mapped_column(Float)
    level_key: Mapped[str] = mapped_column(String(32))
    level_name: Mapped[str] = mapped_column(String(80))  # as the criteria named it that month
    criteria_version: Mapped[str] = mapped_column(String(32))
    criteria_sha256: Mapped[str] = mapped_column(String(64))
    # {"raw": {...}, "criteria": [...], "level_name": ..., "criteria_name": ...}: everything the
    # page shows, as computed, so later criteria never change it.
    breakdown: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- the criteria ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    label: str
    unit: str  # "%" or "" (a ratio)


# What the app can compute; the criteria file picks among them. Raw counts per place:
# members, members_certified, members_active, helped, households, households_reached,
# residents_certified.
METRICS: dict[str, Metric] = {
    "members_certified_share": Metric("Thành viên có chứng nhận khóa thành viên ÷ thành viên", "%"),
    "households_reached_share": Metric("Hộ có người hoàn thành khóa người dân ÷ hộ đã ghi nhận", "%"),
    "citizens_certified_per_member": Metric("Người dân có chứng nhận khóa người dân ÷ thành viên", ""),
    "citizens_helped_per_member": Metric("Người dân được tổ đăng ký giúp ÷ thành viên", ""),
    "members_active_share_30d": Metric("Thành viên có hoạt động trong 30 ngày cuối tháng ÷ thành viên", "%"),
}


def metric_value(metric: str, raw: dict[str, int]) -> float | None:
    """A metric from a place's raw counts; None when its denominator is zero."""
    members, households = raw.get("members", 0), raw.get("households", 0)

    def share(part: int, whole: int) -> float | None:
        return 100.0 * part / whole if whole else None

    if metric == "members_certified_share":
        return share(raw.get("members_certified", 0), members)
    if metric == "households_reached_share":
        return share(raw.get("households_reached", 0), households)
    if metric == "citizens_certified_per_member":
        return raw.get("residents_certified", 0) / members if members else None
    if metric == "citizens_helped_per_member":
        return raw.get("helped", 0) / members if members else None
    if metric == "members_active_share_30d":
        return share(raw.get("members_active", 0), members)
    raise KeyError(metric)


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    metric: str
    target: float
    weight: float


@dataclass(frozen=True)
class Level:
    key: str
    name: str
    min_score: float


@dataclass(frozen=True)
class Criteria:
    version: str
    name: str
    criteria: tuple[Criterion, ...]
    levels: tuple[Level, ...]  # highest first
    sha256: str

    def level_for(self, score: float) -> Level:
        for level in self.levels:
            if score >= level.min_score:
                return level
        return self.levels[-1]


class CriteriaError(ValueError):
    pass


def parse_criteria(text: str) -> Criteria:
    """The criteria of a YAML text, checked: a clear message for every mistake."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CriteriaError(f"Tệp tiêu chí không đọc được: {exc}") from exc
    if not isinstance(data, dict):
        raise CriteriaError("Tệp tiêu chí phải là một bảng (version, name, levels, criteria).")
    version, name = data.get("version"), data.get("name")
    if not isinstance(version, str | int | float) or not str(version).strip() or len(str(version)) > 32:
        raise CriteriaError("Thiếu 'version' (tối đa 32 ký tự).")
    criteria, keys = [], set()
    for index, item in enumerate(data.get("criteria") or []):
        if not isinstance(item, dict):
            raise CriteriaError(f"Tiêu chí thứ {index + 1} phải là một bảng.")
        key, metric = str(item.get("key") or ""), item.get("metric")
        if not key or key in keys:
            raise CriteriaError(f"Tiêu chí thứ {index + 1}: 'key' thiếu hoặc trùng.")
        if metric not in METRICS:
            raise CriteriaError(f"Tiêu chí {key}: chỉ số '{metric}' không có; chọn một trong {', '.join(METRICS)}.")
        try:
            target, weight = float(item["target"]), float(item["weight"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CriteriaError(f"Tiêu chí {key}: 'target' và 'weight' phải là số.") from exc
        if target <= 0 or weight <= 0:
            raise CriteriaError(f"Tiêu chí {key}: 'target' và 'weight' phải lớn hơn 0.")
        keys.add(key)
        criteria.append(Criterion(key, str(item.get("name") or key), metric, target, weight))
    if not criteria:
        raise CriteriaError("Cần ít nhất một tiêu chí.")
    levels = []
    for item in data.get("levels") or []:
        try:
            levels.append(Level(str(item["key"]), str(item["name"]), float(item["min_score"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise CriteriaError("Mỗi mức xếp loại cần 'key', 'name' và 'min_score' (số).") from exc
    if not levels:
        raise CriteriaError("Cần ít nhất một mức xếp loại.")
    levels.sort(key=lambda level: level.min_score, reverse=True)
    return Criteria(
        str(version),
        str(name or ""),
        tuple(criteria),
        tuple(levels),
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_criteria(path: Path | None = None) -> Criteria:
    return parse_criteria((path or CRITERIA_FILE).read_text(encoding="utf-8"))


def score(criteria: Criteria, raw: dict[str, int]) -> dict[str, Any]:
    """The breakdown of one place: each criterion's value, score (0–100) and level, the
    weighted score and its level. A metric without a denominator scores 0."""
    rows, total_weight, points = [], 0.0, 0.0
    for criterion in criteria.criteria:
        value = metric_value(criterion.metric, raw)
        part = 0.0 if value is None else 100.0 * min(value / criterion.target, 1.0)
        part = round(part, 2)
        level = criteria.level_for(part)
        rows.append(
            {
                "key": criterion.key,
                "name": criterion.name,
                "metric": criterion.metric,
                "unit": METRICS[criterion.metric].unit,
                "value": None if value is None else round(value, 4),
                "target": criterion.target,
                "weight": criterion.weight,
                "score": part,
                "level_key": level.key,
                "level_name": level.name,
            }
        )
        total_weight += criterion.weight
        points += criterion.weight * part
    total = round(points / total_weight, 2)
    level = criteria.level_for(total)
    return {
        "criteria_name": criteria.name,
        "raw": dict(raw),
        "criteria": rows,
        "score": total,
        "level_key": level.key,
        "level_name": level.name,
    }


# --- months ------------------------------------------------------------------------------------


def parse_month(text: str | None) -> date:
    match = _MONTH.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2999:
        raise ValidationFailed(_("Tháng phải có dạng NNNN-TT, ví dụ 2026-11."), field="month")
    return date(int(match.group(1)), int(match.group(2)), 1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def month_end(month: date) -> datetime:
    """The instant the month ends (midnight of the next month's first day, Vietnam time), in UTC."""
    return datetime.combine(next_month(month), time(0), VIETNAM).astimezone(UTC)


def last_finished_month(now: datetime | None = None) -> date:
    local = (now or utcnow()).astimezone(VIETNAM).date()
    this_month = date(local.year, local.month, 1)
    return (this_month - timedelta(days=1)).replace(day=1)


# --- raw counts --------------------------------------------------------------------------------


def _course_id(slug: str) -> int:
    return db.session.scalar(select(Course.id).where(Course.slug == slug)) or -1


def _valid_certificates(course_id: int, end: datetime):
    return select(Certificate.user_id).where(
        Certificate.course_id == course_id,
        Certificate.issued_at < end,
        or_(Certificate.revoked_at.is_(None), Certificate.revoked_at >= end),
    )


def _member_group(level: str):
    """(group column, select from memberships joined as far as the level needs)."""
    stmt = select().select_from(TeamMembership).join(Team, Team.id == TeamMembership.team_id)
    if level == "team":
        return TeamMembership.team_id, stmt
    if level == "commune":
        return Team.commune_code, stmt
    return Commune.province_code, stmt.join(Commune, Commune.code == Team.commune_code)


def _household_group(level: str):
    stmt = select().select_from(Household)
    if level == "village":
        return Household.village_id, stmt
    if level == "commune":
        return Household.commune_code, stmt
    return Commune.province_code, stmt.join(Commune, Commune.code == Household.commune_code)


def _resident_group(level: str):
    stmt = select().select_from(User)
    if level == "village":
        return Household.village_id, stmt.join(Household, Household.id == User.household_id)
    if level == "commune":
        return User.home_commune_code, stmt
    return Commune.province_code, stmt.join(Commune, Commune.code == User.home_commune_code)


def _counts(stmt) -> dict[str, int]:
    return {str(place): int(n) for place, n in db.session.execute(stmt) if place is not None}


def raw_counts(level: str, end: datetime) -> dict[str, dict[str, int]]:
    """Raw counts per place of the level (team id, commune or province code) at `end`.
    Teams take the households and residents of their village."""
    members_course, citizens_course = _course_id(MEMBERS_COURSE), _course_id(CITIZENS_COURSE)
    since = end - timedelta(days=ACTIVE_DAYS)
    active = union(
        select(LessonProgress.user_id).where(LessonProgress.read_at >= since, LessonProgress.read_at < end),
        select(CourseCompletion.user_id).where(CourseCompletion.completed_at >= since, CourseCompletion.completed_at < end),
        select(AssistedRegistration.member_id).where(
            AssistedRegistration.created_at >= since, AssistedRegistration.created_at < end
        ),
    ).subquery()
    result: dict[str, dict[str, int]] = defaultdict(dict)

    group, base = _member_group(level)
    members = base.add_columns(group, func.count(distinct(TeamMembership.user_id))).where(
        TeamMembership.added_at < end, Team.created_at < end
    )
    measures = {
        "members": members,
        "members_certified": members.where(TeamMembership.user_id.in_(_valid_certificates(members_course, end))),
        "members_active": members.where(TeamMembership.user_id.in_(select(active.c[0]))),
    }
    for name, stmt in measures.items():
        for place, n in _counts(stmt.group_by(group)).items():
            result[place][name] = n
    helped = (
        base.add_columns(group, func.count(distinct(AssistedRegistration.id)))
        .join(AssistedRegistration, AssistedRegistration.member_id == TeamMembership.user_id)
        .where(TeamMembership.added_at < end, Team.created_at < end, AssistedRegistration.created_at < end)
        .group_by(group)
    )
    for place, n in _counts(helped).items():
        result[place]["helped"] = n

    where = "village" if level == "team" else level
    hgroup, hbase = _household_group(where)
    households = _counts(hbase.add_columns(hgroup, func.count(Household.id)).where(Household.created_at < end).group_by(hgroup))
    completers = select(CourseCompletion.user_id).where(
        CourseCompletion.course_id == citizens_course, CourseCompletion.completed_at < end
    )
    reached = _counts(
        hbase.add_columns(hgroup, func.count(distinct(Household.id)))
        .join(User, User.household_id == Household.id)
        .where(Household.created_at < end, User.id.in_(completers))
        .group_by(hgroup)
    )
    rgroup, rbase = _resident_group(where)
    residents = _counts(
        rbase.add_columns(rgroup, func.count(distinct(User.id)))
        .where(User.id.in_(_valid_certificates(citizens_course, end)))
        .group_by(rgroup)
    )
    if level == "team":
        villages = {str(team_id): str(village_id) for team_id, village_id in db.session.execute(select(Team.id, Team.village_id))}
        for place, counts in result.items():
            village = villages.get(place, "")
            counts["households"] = households.get(village, 0)
            counts["households_reached"] = reached.get(village, 0)
            counts["residents_certified"] = residents.get(village, 0)
    else:
        for place in set(households) | set(reached) | set(residents):
            result[place]["households"] = households.get(place, 0)
            result[place]["households_reached"] = reached.get(place, 0)
            result[place]["residents_certified"] = residents.get(place, 0)
    return result


RAW_KEYS = ("members", "members_certified", "members_active", "helped", "households", "households_reached", "residents_certified")


def _places(level: str, end: datetime) -> list[tuple[str, str, str | None]]:
    """(place, province code, commune code) of every place scored at this level."""
    if level == "country":
        return [(COUNTRY, "", None)]
    if level == "province":
        return [(code, code, None) for code in db.session.scalars(select(Province.code))]
    if level == "commune":
        return [(code, province, code) for code, province in db.session.execute(select(Commune.code, Commune.province_code))]
    rows = db.session.execute(
        select(Team.id, Commune.province_code, Team.commune_code)
        .join(Commune, Commune.code == Team.commune_code)
        .where(Team.created_at < end)
    )
    return [(str(team_id), province, commune) for team_id, province, commune in rows]


# --- computing a month -------------------------------------------------------------------------


@dataclass
class Outcome:
    month: date
    kept: int = 0
    written: dict[str, int] | None = None
    criteria_version: str = ""


def compute_month(
    month: date, *, criteria: Criteria | None = None, now: datetime | None = None, replace: bool = False
) -> Outcome:
    """Write the month's scorecards (the caller commits). A month already computed is kept as
    it is unless `replace` (a deliberate recomputation, e.g. after a data correction)."""
    end = month_end(month)
    if end > (now or utcnow()):
        raise ValidationFailed(
            _("Tháng %(month)s chưa kết thúc, chưa tính được phiếu điểm.", month=month.strftime("%Y-%m")), field="month"
        )
    existing = db.session.scalar(select(func.count()).select_from(Scorecard).where(Scorecard.month == month)) or 0
    if existing and not replace:
        return Outcome(month, kept=existing)
    if existing:
        db.session.execute(delete(Scorecard).where(Scorecard.month == month))
    criteria = criteria or load_criteria()
    stamp = utcnow()
    written = {}
    province_counts: dict[str, dict[str, int]] = {}
    for level in ("province", "country", "commune", "team"):  # provinces first: the country sums them
        if level == "country":
            # The country's counts are the sum of its provinces'.
            counts = {COUNTRY: {key: sum(c.get(key, 0) for c in province_counts.values()) for key in RAW_KEYS}}
        else:
            counts = raw_counts(level, end)
        if level == "province":
            province_counts = counts
        rows = []
        for place, province, commune in _places(level, end):
            raw = {key: counts.get(place, {}).get(key, 0) for key in RAW_KEYS}
            card = score(criteria, raw)
            rows.append(
                {
                    "month": month,
                    "level": level,
                    "place": place,
                    "province_code": province,
                    "commune_code": commune,
                    "score": card["score"],
                    "level_key": card["level_key"],
                    "level_name": card["level_name"][:80],
                    "criteria_version": criteria.version,
                    "criteria_sha256": criteria.sha256,
                    "breakdown": card,
                    "computed_at": stamp,
                }
            )
        for start in range(0, len(rows), INSERT_CHUNK):
            db.session.execute(insert(Scorecard), rows[start : start + INSERT_CHUNK])
        written[level] = len(rows)
    return Outcome(month, written=written, criteria_version=criteria.version)


# --- reading -----------------------------------------------------------------------------------


def months_computed() -> list[date]:
    """The months computed, newest first (read from the country's row of each month, by index)."""
    return list(
        db.session.scalars(
            select(Scorecard.month)
            .where(Scorecard.level == "country", Scorecard.place == COUNTRY)
            .order_by(Scorecard.month.desc())
        )
    )


def card(month: date, level: str, place: str) -> Scorecard | None:
    return db.session.scalar(
        select(Scorecard).where(Scorecard.month == month, Scorecard.level == level, Scorecard.place == place)
    )


@dataclass(frozen=True)
class Rank:
    """What a ranking shows of a scorecard (no breakdown: a table of hundreds of places reads
    three columns, not their JSON)."""

    place: str
    score: float
    level_name: str
    criteria_version: str


def ranks(month: date, level: str, places: list[str]) -> dict[str, Rank]:
    if not places:
        return {}
    rows = db.session.execute(
        select(Scorecard.place, Scorecard.score, Scorecard.level_name, Scorecard.criteria_version).where(
            Scorecard.month == month, Scorecard.level == level, Scorecard.place.in_(places)
        )
    )
    return {row[0]: Rank(*row) for row in rows}


def cards(month: date, level: str, places: list[str]) -> dict[str, Scorecard]:
    if not places:
        return {}
    rows = db.session.scalars(
        select(Scorecard).where(Scorecard.month == month, Scorecard.level == level, Scorecard.place.in_(places))
    )
    return {row.place: row for row in rows}


def history(level: str, place: str, months: int = 12) -> list[Scorecard]:
    return list(
        db.session.scalars(
            select(Scorecard)
            .where(Scorecard.level == level, Scorecard.place == place)
            .order_by(Scorecard.month.desc())
            .limit(months)
        )
    )
