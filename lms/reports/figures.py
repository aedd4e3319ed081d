"""Reading the rollup counters: the figures of a list of places, summed over shards.

Each function reads rows in proportion to the places asked for (times shards, courses, days or
weeks, all bounded), never to the learners behind them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from lms.core.extensions import db
from lms.core.models import utcnow
from lms.reports.models import NO_COURSE, Rollup, RollupDays, RollupWeek
from lms.reports.rollups import week_of


@dataclass
class Figures:
    enrolled: int = 0
    started: int = 0
    completed: int = 0
    certified: int = 0
    # Households of the place with at least one person who completed the course.
    households: int = 0
    median_days: float | None = None

    @property
    def not_started(self) -> int:
        return max(0, self.enrolled - self.started)

    @property
    def in_progress(self) -> int:
        return max(0, self.started - self.completed)

    @property
    def rate(self) -> float | None:
        """Completed ÷ enrolled, as a percentage (None when nobody enrolled)."""
        return 100.0 * self.completed / self.enrolled if self.enrolled else None

    def measure(self, name: str):
        return getattr(self, name)


MEASURES = ("enrolled", "not_started", "in_progress", "completed", "certified", "rate", "median_days", "households")


def figures(level: str, places: list[str], course_ids: list[int]) -> dict[tuple[str, int], Figures]:
    """Figures per (place, course) for these places; missing pairs are all zero."""
    result: dict[tuple[str, int], Figures] = defaultdict(Figures)
    if not places or not course_ids:
        return result
    rows = db.session.execute(
        select(
            Rollup.place,
            Rollup.course_id,
            func.sum(Rollup.enrolled),
            func.sum(Rollup.started),
            func.sum(Rollup.completed),
            func.sum(Rollup.certified),
            func.sum(Rollup.households),
        )
        .where(Rollup.level == level, Rollup.place.in_(places), Rollup.course_id.in_(course_ids))
        .group_by(Rollup.place, Rollup.course_id)
    )
    for place, course_id, enrolled, started, completed, certified, households in rows:
        result[(place, course_id)] = Figures(int(enrolled), int(started), int(completed), int(certified), int(households))
    for (place, course_id), median in medians(level, places, course_ids).items():
        result[(place, course_id)].median_days = median
    return result


def household_totals(level: str, places: list[str]) -> dict[str, int]:
    """How many households each place has."""
    if not places:
        return {}
    rows = db.session.execute(
        select(Rollup.place, func.sum(Rollup.households))
        .where(Rollup.level == level, Rollup.place.in_(places), Rollup.course_id == NO_COURSE)
        .group_by(Rollup.place)
    )
    return {place: int(total) for place, total in rows}


def medians(level: str, places: list[str], course_ids: list[int]) -> dict[tuple[str, int], float]:
    """Median days from enrolment to completion, from the per-day histograms."""
    histograms: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    rows = db.session.execute(
        select(RollupDays.place, RollupDays.course_id, RollupDays.days, func.sum(RollupDays.learners))
        .where(RollupDays.level == level, RollupDays.place.in_(places), RollupDays.course_id.in_(course_ids))
        .group_by(RollupDays.place, RollupDays.course_id, RollupDays.days)
        .order_by(RollupDays.place, RollupDays.course_id, RollupDays.days)
    )
    for place, course_id, days, learners in rows:
        if learners:
            histograms[(place, course_id)].append((int(days), int(learners)))
    return {key: median_of(histogram) for key, histogram in histograms.items() if histogram}


def median_of(histogram: list[tuple[int, int]]) -> float:
    """The median of values given as (value, how many) in ascending order."""
    total = sum(count for _value, count in histogram)
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    lower = upper = None
    seen = 0
    for value, count in histogram:
        if lower is None and lower_rank < seen + count:
            lower = value
        if upper_rank < seen + count:
            upper = value
            break
        seen += count
    assert lower is not None and upper is not None
    return (lower + upper) / 2


@dataclass
class Week:
    start: date
    enrolled: int = 0
    completed: int = 0
    certified: int = 0


def trend(level: str, place: str, course_id: int, weeks: int = 26, today: date | None = None) -> list[Week]:
    """The last `weeks` weeks, oldest first, weeks without events included as zeros."""
    this_week = week_of(utcnow()) if today is None else today - timedelta(days=today.weekday())
    first = this_week - timedelta(weeks=weeks - 1)
    by_week = {first + timedelta(weeks=n): Week(first + timedelta(weeks=n)) for n in range(weeks)}
    rows = db.session.execute(
        select(RollupWeek.week, func.sum(RollupWeek.enrolled), func.sum(RollupWeek.completed), func.sum(RollupWeek.certified))
        .where(
            RollupWeek.level == level,
            RollupWeek.place == place,
            RollupWeek.course_id == course_id,
            RollupWeek.week >= first,
        )
        .group_by(RollupWeek.week)
    )
    for week, enrolled, completed, certified in rows:
        if week in by_week:
            by_week[week] = Week(week, int(enrolled), int(completed), int(certified))
    return list(by_week.values())
