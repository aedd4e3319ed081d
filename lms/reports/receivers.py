"""Reports' signal receivers: each event adds to the rollup counters in the sender's transaction.

Connected once, in lms.reports.init_app. Receivers only upsert (and flush nothing else); the
sender's request, command or job commits them with the event.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.core import signals
from lms.core.extensions import db
from lms.learning.models import Enrollment
from lms.places.models import Commune, Village
from lms.reports import rollups
from lms.reports.models import Rollup


def on_enrolled(_sender: str, *, enrollment: Any, user: Any, course: Any, **_: Any) -> None:
    keys = rollups.places_of_person(user.id)
    shard = rollups.shard_of(user.id)
    rollups.add(keys, course.id, shard, enrolled=1)
    rollups.add_week(keys, course.id, enrollment.enrolled_at, shard, enrolled=1)


def on_course_started(_sender: str, *, user: Any, course: Any, **_: Any) -> None:
    rollups.add(rollups.places_of_person(user.id), course.id, rollups.shard_of(user.id), started=1)


def on_course_completed(_sender: str, *, completion: Any, user: Any, course: Any, **_: Any) -> None:
    keys = rollups.places_of_person(user.id)
    shard = rollups.shard_of(user.id)
    enrolled_at = db.session.scalar(
        select(Enrollment.enrolled_at).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )
    rollups.add(keys, course.id, shard, completed=1)
    rollups.add_week(keys, course.id, completion.completed_at, shard, completed=1)
    rollups.add_days(keys, course.id, rollups.days_between(enrolled_at, completion.completed_at), shard, 1)
    if user.household_id is not None:
        rollups.household_completion(user.household_id, course.id, 1)


def _certified(certificate: Any, delta: int) -> None:
    keys = rollups.places_of_person(certificate.user_id)
    shard = rollups.shard_of(certificate.user_id)
    rollups.add(keys, certificate.course_id, shard, certified=delta)
    rollups.add_week(keys, certificate.course_id, certificate.issued_at, shard, certified=delta)


def on_certificate_issued(_sender: str, *, certificate: Any, **_: Any) -> None:
    _certified(certificate, 1)


def on_certificate_revoked(_sender: str, *, certificate: Any, **_: Any) -> None:
    _certified(certificate, -1)


def on_certificate_reinstated(_sender: str, *, certificate: Any, **_: Any) -> None:
    _certified(certificate, 1)


def on_membership_changed(_sender: str, *, user: Any, team_id: int, joined: bool, **_: Any) -> None:
    rollups.apply_contribution(user.id, [("team", str(team_id))], 1 if joined else -1)


def on_person_moved(_sender: str, *, user: Any, commune_code: str | None, household_id: int | None, **_: Any) -> None:
    before = set(rollups.places_of_old_home(user.id, commune_code, household_id))
    after = set(rollups.places_of_person(user.id))
    rollups.apply_contribution(user.id, sorted(before - after), -1)
    rollups.apply_contribution(user.id, sorted(after - before), 1)
    if household_id != user.household_id:
        for course_id in rollups.completed_courses(user.id):
            if household_id is not None:
                rollups.household_completion(household_id, course_id, -1)
            if user.household_id is not None:
                rollups.household_completion(user.household_id, course_id, 1)


def on_household_created(_sender: str, *, household: Any, **_: Any) -> None:
    rollups.add(rollups.places_of_household(household.id), rollups.NO_COURSE, rollups.shard_of(household.id), households=1)


def on_households_created(_sender: str, *, households: Any, **_: Any) -> None:
    """What on_household_created adds for each, summed per place and shard into one upsert."""
    villages = sorted({household.village_id for household in households})
    # The places of every village of the batch in one query (places_of_household, for many).
    places: dict[int, list[rollups.Key]] = {
        village_id: [*rollups._commune_keys(commune_code, province_code), ("village", str(village_id))]
        for village_id, commune_code, province_code in db.session.execute(
            select(Village.id, Village.commune_code, Commune.province_code)
            .join(Commune, Commune.code == Village.commune_code)
            .where(Village.id.in_(villages))
        )
    }
    counts: Counter[tuple[str, str, int]] = Counter()
    for household in households:
        for level, place in places[household.village_id]:
            counts[(level, place, rollups.shard_of(household.id))] += 1
    if not counts:
        return
    zero = dict.fromkeys(rollups.COUNTERS, 0)
    rows = [
        {**zero, "level": level, "place": place, "course_id": rollups.NO_COURSE, "shard": shard, "households": n}
        for (level, place, shard), n in sorted(counts.items())  # key order, as every upsert here
    ]
    # One statement for any number of rows (executemany), so it is compiled once, not per batch.
    insert = (pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert)(Rollup)
    upsert = insert.on_conflict_do_update(
        index_elements=["level", "place", "course_id", "shard"],
        set_={"households": Rollup.households + insert.excluded.households},
    )
    db.session.execute(upsert, rows)


_RECEIVERS = (
    (signals.enrolled, on_enrolled),
    (signals.course_started, on_course_started),
    (signals.course_completed, on_course_completed),
    (signals.certificate_issued, on_certificate_issued),
    (signals.certificate_revoked, on_certificate_revoked),
    (signals.certificate_reinstated, on_certificate_reinstated),
    (signals.membership_changed, on_membership_changed),
    (signals.person_moved, on_person_moved),
    (signals.household_created, on_household_created),
    (signals.households_created, on_households_created),
)


def connect() -> None:
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver)
