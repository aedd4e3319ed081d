"""Counters of the outreach log, kept in the entry's own transaction (no signal: the fieldwork
feature owns both the entries and their counters).

An entry counts in five places: the country, its province, its commune, its village and the
team that made it (levels as in lms/reports/rollups.py). Rows are split in shards by household
id, like the reports' rollups, so members of one commune writing at once add to different rows;
the rows of one change are upserted in key order in one statement (no deadlock). Readers sum
the shards.

"Households reached" for a task counts a household once, in the month (and day) of its first
"done" entry for that task. outreach_household_tasks keeps that day per (household, task); a
writer locks the pair's row, recomputes the earliest done day from the entries and moves the
household's count when it changed (a correction, a later entry dated earlier).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.core.extensions import db
from lms.fieldwork.models import HouseholdTask, OutreachCount, OutreachDay, OutreachEntry
from lms.places.models import Commune, Team

COUNTRY = "VN"
DEFAULT_SHARDS = 16
COUNTERS = ("entries", "done", "follow_up", "people", "households")
DAY_COUNTERS = ("done", "households")
Key = tuple[str, str]


def shards() -> int:
    return int(current_app.config.get("ROLLUP_SHARDS") or DEFAULT_SHARDS)


def month_of(day: date) -> date:
    return day.replace(day=1)


_provinces: dict[str, str] = {}


def province_of(commune_code: str) -> str:
    """A commune's province (kept per process: the 2025 codes do not move between provinces)."""
    if commune_code not in _provinces:
        found = db.session.scalar(select(Commune.province_code).where(Commune.code == commune_code))
        if found is None:
            return ""
        _provinces[commune_code] = found
    return _provinces[commune_code]


def places_of_entry(entry: OutreachEntry) -> list[Key]:
    province = province_of(entry.commune_code)
    return [
        ("country", COUNTRY),
        ("province", province),
        ("commune", entry.commune_code),
        ("village", str(entry.village_id)),
        ("team", str(entry.team_id)),
    ]


def insert_of(model):
    """The dialect's INSERT (with ON CONFLICT) for a model."""
    return _insert(model)


def _insert(model):
    return (pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert)(model)


def _upsert(model, key_columns: tuple[str, ...], rows: list[dict[str, Any]], counters: Iterable[str]) -> None:
    counters = list(counters)
    if not rows or not counters:
        return
    rows.sort(key=lambda row: tuple(row[column] for column in key_columns))
    statement = _insert(model).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={name: getattr(model, name) + statement.excluded[name] for name in counters},
    )
    db.session.execute(statement)


_COUNT_KEY = ("level", "place", "task_code", "month", "shard")
_DAY_KEY = ("level", "place", "task_code", "day", "shard")


def _facts(entry: OutreachEntry) -> dict[str, int]:
    done = entry.outcome == "done"
    return {"entries": 1, "done": int(done), "follow_up": int(not done), "people": entry.people if done else 0}


def apply(changes: list[tuple[list[Key], int, str, date, int, dict[str, int]]]) -> None:
    """changes: (places, household id, task, day, sign, facts); summed per row, then one upsert
    per table."""
    months: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    days: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DAY_COUNTERS, 0))
    n = shards()
    for places, household_id, task, day, sign, facts in changes:
        shard = household_id % n
        for level, place in set(places):
            row = months[(level, place, task, month_of(day), shard)]
            for name, value in facts.items():
                row[name] += sign * value
            if facts.get("done") or facts.get("households"):
                drow = days[(level, place, task, day, shard)]
                for name in DAY_COUNTERS:
                    drow[name] += sign * facts.get(name, 0)
    count_rows = [dict(zip(_COUNT_KEY, key, strict=True), **v) for key, v in months.items() if any(v.values())]
    day_rows = [dict(zip(_DAY_KEY, key, strict=True), **v) for key, v in days.items() if any(v.values())]
    _upsert(OutreachCount, _COUNT_KEY, count_rows, [c for c in COUNTERS if any(r[c] for r in count_rows)])
    _upsert(OutreachDay, _DAY_KEY, day_rows, [c for c in DAY_COUNTERS if any(r[c] for r in day_rows)])


def entry_change(entry: OutreachEntry, sign: int) -> tuple[list[Key], int, str, date, int, dict[str, int]]:
    return (places_of_entry(entry), entry.household_id, entry.task_code, entry.done_on, sign, _facts(entry))


def reach_changes(entry: OutreachEntry, household_id: int, task_code: str) -> list[tuple]:
    """Lock the (household, task) pair, recompute its first done day from the entries (the
    session is flushed, so the entry being written counts) and return the moves of its
    "households reached" count."""
    statement = _insert(HouseholdTask).values(household_id=household_id, task_code=task_code, first_done_on=None)
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["household_id", "task_code"]))
    stored = db.session.scalar(
        select(HouseholdTask.first_done_on)
        .where(HouseholdTask.household_id == household_id, HouseholdTask.task_code == task_code)
        .with_for_update()
    )
    db.session.flush()
    first = db.session.scalar(
        select(func.min(OutreachEntry.done_on)).where(
            OutreachEntry.household_id == household_id,
            OutreachEntry.task_code == task_code,
            OutreachEntry.outcome == "done",
        )
    )
    if first == stored:
        return []
    db.session.execute(
        update(HouseholdTask)
        .where(HouseholdTask.household_id == household_id, HouseholdTask.task_code == task_code)
        .values(first_done_on=first)
    )
    places = places_of_entry(entry)
    moves = []
    if stored is not None:
        moves.append((places, household_id, task_code, stored, -1, {"households": 1}))
    if first is not None:
        moves.append((places, household_id, task_code, first, 1, {"households": 1}))
    return moves


# --- reading --------------------------------------------------------------------------------


def totals(level: str, places: list[str], first_month: date, last_month: date) -> dict[tuple[str, str], dict[str, int]]:
    """{(place, task): counters} summed over the months first_month..last_month (inclusive)."""
    if not places:
        return {}
    rows = db.session.execute(
        select(
            OutreachCount.place,
            OutreachCount.task_code,
            *[func.sum(getattr(OutreachCount, c)).label(c) for c in COUNTERS],
        )
        .where(
            OutreachCount.level == level,
            OutreachCount.place.in_(places),
            OutreachCount.month >= first_month,
            OutreachCount.month <= last_month,
        )
        .group_by(OutreachCount.place, OutreachCount.task_code)
    )
    return {(r.place, r.task_code): {c: int(getattr(r, c) or 0) for c in COUNTERS} for r in rows}


def daily(level: str, place: str, task_code: str, first: date, last: date) -> dict[date, dict[str, int]]:
    rows = db.session.execute(
        select(OutreachDay.day, *[func.sum(getattr(OutreachDay, c)).label(c) for c in DAY_COUNTERS])
        .where(
            OutreachDay.level == level,
            OutreachDay.place == place,
            OutreachDay.task_code == task_code,
            OutreachDay.day >= first,
            OutreachDay.day <= last,
        )
        .group_by(OutreachDay.day)
    )
    return {r.day: {c: int(getattr(r, c) or 0) for c in DAY_COUNTERS} for r in rows}


def rebuild() -> None:
    """Recompute the counters from the entries (after a restore or an import by SQL)."""
    db.session.execute(delete(OutreachCount))
    db.session.execute(delete(OutreachDay))
    db.session.execute(delete(HouseholdTask))
    entries = list(db.session.scalars(select(OutreachEntry).order_by(OutreachEntry.id)))
    provinces = dict(db.session.execute(select(Commune.code, Commune.province_code)).all())
    first: dict[tuple[int, str], OutreachEntry] = {}
    changes = []
    for e in entries:
        places = _keys(e, provinces)
        changes.append((places, e.household_id, e.task_code, e.done_on, 1, _facts(e)))
        if e.outcome == "done":
            key = (e.household_id, e.task_code)
            if key not in first or e.done_on < first[key].done_on:
                first[key] = e
    for (household_id, task), e in first.items():
        db.session.add(HouseholdTask(household_id=household_id, task_code=task, first_done_on=e.done_on))
        changes.append((_keys(e, provinces), household_id, task, e.done_on, 1, {"households": 1}))
    apply(changes)
    db.session.flush()


def _keys(e: OutreachEntry, provinces: dict[str, str]) -> list[Key]:
    return [
        ("country", COUNTRY),
        ("province", provinces.get(e.commune_code, "")),
        ("commune", e.commune_code),
        ("village", str(e.village_id)),
        ("team", str(e.team_id)),
    ]


def team_ids_of_commune(commune_code: str) -> list[int]:
    return list(db.session.scalars(select(Team.id).where(Team.commune_code == commune_code)))
