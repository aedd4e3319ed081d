"""Keeping the rollup counters: one upsert per table and event, in the event's transaction.

A person counts in the places `places_of_person` names (country, province, home commune, the
village of their household, their teams). An event adds its deltas to those places' rows of
the person's shard; a change of commune, household or team moves the person's whole
contribution (`person_contribution`) from the places they left to the places they joined.
`rebuild` recomputes everything from the records with other queries (aggregates per level),
so a test can hold the two against each other.

Hot rows: every enrolment in the country adds to the country row. Rows are split into
ROLLUP_SHARDS shards by the person's (or household's) id, so parallel writers wait for each
other only when their ids fall in the same shard; readers sum the shards (a GROUP BY over at
most ROLLUP_SHARDS rows per place). Rows of one event are upserted in key order, so two
transactions never take the same rows in opposite order (no deadlock).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import String, cast, delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.core.extensions import db
from lms.learning.models import CourseCompletion, Enrollment
from lms.places.models import Commune, Household, TeamMembership
from lms.reports.models import COUNTRY, NO_COURSE, HouseholdProgress, Rollup, RollupDays, RollupWeek

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_SHARDS = 16
# Completions that took longer than this many days count in the last bucket of the histogram.
DAYS_CAP = 730

Key = tuple[str, str]  # (level, place)


def shards() -> int:
    return int(current_app.config.get("ROLLUP_SHARDS") or DEFAULT_SHARDS)


def shard_of(number: int) -> int:
    return number % shards()


def week_of(moment: datetime) -> date:
    """The Monday (Vietnam time) of the week the moment falls in."""
    day = moment.astimezone(VIETNAM).date()
    return day - timedelta(days=day.weekday())


def days_between(start: datetime | None, end: datetime) -> int:
    if start is None:
        return 0
    return max(0, min(DAYS_CAP, (end - start).days))


# --- whose places -------------------------------------------------------------------------


def _commune_keys(commune_code: str | None, province_code: str | None) -> list[Key]:
    keys: list[Key] = [("country", COUNTRY)]
    if commune_code:
        keys += [("province", province_code or ""), ("commune", commune_code)]
    return keys


def places_of_person(user_id: int) -> list[Key]:
    row = db.session.execute(
        select(User.home_commune_code, Commune.province_code, Household.village_id)
        .select_from(User)
        .outerjoin(Commune, Commune.code == User.home_commune_code)
        .outerjoin(Household, Household.id == User.household_id)
        .where(User.id == user_id)
    ).one()
    keys = _commune_keys(row.home_commune_code, row.province_code)
    if row.village_id is not None:
        keys.append(("village", str(row.village_id)))
    teams = db.session.scalars(select(TeamMembership.team_id).where(TeamMembership.user_id == user_id))
    keys += [("team", str(team_id)) for team_id in teams]
    return keys


def places_of_old_home(user_id: int, commune_code: str | None, household_id: int | None) -> list[Key]:
    """The places a person counted in before a move (their teams stay the same)."""
    province = db.session.scalar(select(Commune.province_code).where(Commune.code == commune_code)) if commune_code else None
    keys = _commune_keys(commune_code, province)
    if household_id is not None:
        village = db.session.scalar(select(Household.village_id).where(Household.id == household_id))
        if village is not None:
            keys.append(("village", str(village)))
    teams = db.session.scalars(select(TeamMembership.team_id).where(TeamMembership.user_id == user_id))
    return keys + [("team", str(team_id)) for team_id in teams]


def places_of_household(household_id: int) -> list[Key]:
    row = db.session.execute(
        select(Household.commune_code, Household.village_id, Commune.province_code)
        .join(Commune, Commune.code == Household.commune_code)
        .where(Household.id == household_id)
    ).one()
    return [*_commune_keys(row.commune_code, row.province_code), ("village", str(row.village_id))]


# --- writing ------------------------------------------------------------------------------


def _insert(model):
    return (pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert)(model)


def _upsert(model, key_columns: tuple[str, ...], rows: list[dict[str, Any]], counters: Iterable[str]) -> None:
    if not rows:
        return
    rows.sort(key=lambda row: tuple(row[column] for column in key_columns))
    statement = _insert(model).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={name: getattr(model, name) + statement.excluded[name] for name in counters},
    )
    db.session.execute(statement)


_ROLLUP_KEY = ("level", "place", "course_id", "shard")
_WEEK_KEY = ("level", "place", "course_id", "week", "shard")
_DAYS_KEY = ("level", "place", "course_id", "days", "shard")
COUNTERS = ("enrolled", "started", "completed", "certified", "households")
WEEK_COUNTERS = ("enrolled", "completed", "certified")


def add(keys: Iterable[Key], course_id: int, shard: int, **deltas: int) -> None:
    full = {name: deltas.get(name, 0) for name in COUNTERS}
    rows = [{"level": level, "place": place, "course_id": course_id, "shard": shard, **full} for level, place in set(keys)]
    _upsert(Rollup, _ROLLUP_KEY, rows, [name for name in COUNTERS if full[name]])


def add_week(keys: Iterable[Key], course_id: int, moment: datetime, shard: int, **deltas: int) -> None:
    full = {name: deltas.get(name, 0) for name in WEEK_COUNTERS}
    week = week_of(moment)
    rows = [
        {"level": level, "place": place, "course_id": course_id, "week": week, "shard": shard, **full}
        for level, place in set(keys)
    ]
    _upsert(RollupWeek, _WEEK_KEY, rows, [name for name in WEEK_COUNTERS if full[name]])


def add_days(keys: Iterable[Key], course_id: int, days: int, shard: int, learners: int) -> None:
    rows = [
        {"level": level, "place": place, "course_id": course_id, "days": days, "shard": shard, "learners": learners}
        for level, place in set(keys)
    ]
    _upsert(RollupDays, _DAYS_KEY, rows, ["learners"])


def household_completion(household_id: int, course_id: int, delta: int) -> None:
    """One more (or one fewer) person of the household completed the course; the household's
    places count it as reached when the first one does, and no longer when none is left."""
    statement = _insert(HouseholdProgress).values(household_id=household_id, course_id=course_id, completers=delta)
    statement = statement.on_conflict_do_update(
        index_elements=["household_id", "course_id"],
        set_={"completers": HouseholdProgress.completers + statement.excluded.completers},
    ).returning(HouseholdProgress.completers)
    completers = db.session.execute(statement).scalar_one()
    if (delta > 0 and completers == delta) or (delta < 0 and completers == 0):
        add(places_of_household(household_id), course_id, shard_of(household_id), households=1 if delta > 0 else -1)


# --- a person's whole contribution ----------------------------------------------------------


@dataclass
class CourseFacts:
    course_id: int
    enrolled_at: datetime | None = None
    started: bool = False
    completed_at: datetime | None = None
    certified_at: datetime | None = None


def person_contribution(user_id: int) -> list[CourseFacts]:
    facts: dict[int, CourseFacts] = {}
    for course_id, enrolled_at, started_at in db.session.execute(
        select(Enrollment.course_id, Enrollment.enrolled_at, Enrollment.started_at).where(Enrollment.user_id == user_id)
    ):
        facts[course_id] = CourseFacts(course_id, enrolled_at, started_at is not None)
    for course_id, completed_at in db.session.execute(
        select(CourseCompletion.course_id, CourseCompletion.completed_at).where(CourseCompletion.user_id == user_id)
    ):
        facts.setdefault(course_id, CourseFacts(course_id)).completed_at = completed_at
    for course_id, issued_at in db.session.execute(
        select(Certificate.course_id, Certificate.issued_at).where(
            Certificate.user_id == user_id, Certificate.revoked_at.is_(None)
        )
    ):
        facts.setdefault(course_id, CourseFacts(course_id)).certified_at = issued_at
    return list(facts.values())


def apply_contribution(user_id: int, keys: list[Key], sign: int) -> None:
    if not keys:
        return
    shard = shard_of(user_id)
    for fact in person_contribution(user_id):
        add(
            keys,
            fact.course_id,
            shard,
            enrolled=sign if fact.enrolled_at else 0,
            started=sign if fact.started else 0,
            completed=sign if fact.completed_at else 0,
            certified=sign if fact.certified_at else 0,
        )
        if fact.enrolled_at:
            add_week(keys, fact.course_id, fact.enrolled_at, shard, enrolled=sign)
        if fact.completed_at:
            add_week(keys, fact.course_id, fact.completed_at, shard, completed=sign)
            add_days(keys, fact.course_id, days_between(fact.enrolled_at, fact.completed_at), shard, sign)
        if fact.certified_at:
            add_week(keys, fact.course_id, fact.certified_at, shard, certified=sign)


def completed_courses(user_id: int) -> list[int]:
    return list(db.session.scalars(select(CourseCompletion.course_id).where(CourseCompletion.user_id == user_id)))


# --- rebuilding from the records ------------------------------------------------------------


def _mapping(owner, level: str, place, *joins, where=None):
    """A select of (owner id, level, place) rows, labelled for use as a subquery."""
    stmt = select(owner.label("owner_id"), literal(level).label("level"), place.label("place"))
    for target, on in joins:
        stmt = stmt.join(target, on)
    return stmt.where(where) if where is not None else stmt


def _person_places():
    """(user id, level, place) for every level: whom each person counts for."""
    return [
        _mapping(User.id, "country", literal(COUNTRY)),
        _mapping(User.id, "province", Commune.province_code, (Commune, Commune.code == User.home_commune_code)),
        _mapping(User.id, "commune", User.home_commune_code, where=User.home_commune_code.is_not(None)),
        _mapping(User.id, "village", cast(Household.village_id, String), (Household, Household.id == User.household_id)),
        _mapping(TeamMembership.user_id, "team", cast(TeamMembership.team_id, String)),
    ]


def _household_places():
    """(household id, level, place) for every level but teams."""
    return [
        _mapping(Household.id, "country", literal(COUNTRY)),
        _mapping(Household.id, "province", Commune.province_code, (Commune, Commune.code == Household.commune_code)),
        _mapping(Household.id, "commune", Household.commune_code),
        _mapping(Household.id, "village", cast(Household.village_id, String)),
    ]


def rebuild(batch: int = 5000) -> dict[str, int]:
    """Recompute every counter from the records, in the caller's transaction."""
    for model in (Rollup, RollupWeek, RollupDays, HouseholdProgress):
        db.session.execute(delete(model))
    counters: dict[tuple[str, str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    weeks: dict[tuple[str, str, int, date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(WEEK_COUNTERS, 0))
    days: dict[tuple[str, str, int, int], int] = defaultdict(int)
    for places in _person_places():
        mapping = places.subquery()
        for level, place, course_id, enrolled, started in db.session.execute(
            select(mapping.c.level, mapping.c.place, Enrollment.course_id, func.count(), func.count(Enrollment.started_at))
            .join(Enrollment, Enrollment.user_id == mapping.c.owner_id)
            .group_by(mapping.c.level, mapping.c.place, Enrollment.course_id)
        ):
            counters[(level, place, course_id)]["enrolled"] += enrolled
            counters[(level, place, course_id)]["started"] += started
        for level, place, course_id, certified in db.session.execute(
            select(mapping.c.level, mapping.c.place, Certificate.course_id, func.count())
            .join(Certificate, Certificate.user_id == mapping.c.owner_id)
            .where(Certificate.revoked_at.is_(None))
            .group_by(mapping.c.level, mapping.c.place, Certificate.course_id)
        ):
            counters[(level, place, course_id)]["certified"] += certified
        # Dates are bucketed by week (Vietnam time) and by days taken here, not in SQL, so
        # both databases bucket alike.
        for level, place, course_id, enrolled_at in db.session.execute(
            select(mapping.c.level, mapping.c.place, Enrollment.course_id, Enrollment.enrolled_at)
            .join(Enrollment, Enrollment.user_id == mapping.c.owner_id)
            .execution_options(yield_per=batch)
        ):
            weeks[(level, place, course_id, week_of(enrolled_at))]["enrolled"] += 1
        same_enrollment = (Enrollment.user_id == CourseCompletion.user_id) & (Enrollment.course_id == CourseCompletion.course_id)
        for level, place, course_id, completed_at, enrolled_at in db.session.execute(
            select(mapping.c.level, mapping.c.place, CourseCompletion.course_id, CourseCompletion.completed_at)
            .add_columns(Enrollment.enrolled_at)
            .join(CourseCompletion, CourseCompletion.user_id == mapping.c.owner_id)
            .outerjoin(Enrollment, same_enrollment)
            .execution_options(yield_per=batch)
        ):
            counters[(level, place, course_id)]["completed"] += 1
            weeks[(level, place, course_id, week_of(completed_at))]["completed"] += 1
            days[(level, place, course_id, days_between(enrolled_at, completed_at))] += 1
        for level, place, course_id, issued_at in db.session.execute(
            select(mapping.c.level, mapping.c.place, Certificate.course_id, Certificate.issued_at)
            .join(Certificate, Certificate.user_id == mapping.c.owner_id)
            .where(Certificate.revoked_at.is_(None))
            .execution_options(yield_per=batch)
        ):
            weeks[(level, place, course_id, week_of(issued_at))]["certified"] += 1
    household_completers = (
        select(User.household_id.label("household_id"), CourseCompletion.course_id, func.count().label("completers"))
        .join(CourseCompletion, CourseCompletion.user_id == User.id)
        .where(User.household_id.is_not(None))
        .group_by(User.household_id, CourseCompletion.course_id)
    )
    progress_rows = [
        {"household_id": household_id, "course_id": course_id, "completers": completers}
        for household_id, course_id, completers in db.session.execute(household_completers)
    ]
    reached = household_completers.subquery()
    for places in _household_places():
        mapping = places.subquery()
        for level, place, households in db.session.execute(
            select(mapping.c.level, mapping.c.place, func.count()).group_by(mapping.c.level, mapping.c.place)
        ):
            counters[(level, place, NO_COURSE)]["households"] += households
        for level, place, course_id, households in db.session.execute(
            select(mapping.c.level, mapping.c.place, reached.c.course_id, func.count())
            .join(reached, reached.c.household_id == mapping.c.owner_id)
            .group_by(mapping.c.level, mapping.c.place, reached.c.course_id)
        ):
            counters[(level, place, course_id)]["households"] += households
    _bulk(Rollup, [{"level": k[0], "place": k[1], "course_id": k[2], "shard": 0, **v} for k, v in counters.items()], batch)
    _bulk(
        RollupWeek,
        [{"level": k[0], "place": k[1], "course_id": k[2], "week": k[3], "shard": 0, **v} for k, v in weeks.items()],
        batch,
    )
    _bulk(
        RollupDays,
        [{"level": k[0], "place": k[1], "course_id": k[2], "days": k[3], "shard": 0, "learners": n} for k, n in days.items()],
        batch,
    )
    _bulk(HouseholdProgress, progress_rows, batch)
    return {"rollups": len(counters), "weeks": len(weeks), "days": len(days), "households": len(progress_rows)}


def _bulk(model, rows: list[dict[str, Any]], batch: int) -> None:
    for start in range(0, len(rows), batch):
        db.session.execute(model.__table__.insert(), rows[start : start + batch])
