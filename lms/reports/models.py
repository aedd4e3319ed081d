"""Rollup counters: per place or team and course, what the dashboards show.

Every row is keyed by (level, place, course, shard). A level is "country" (place "VN"),
"province" (its code), "commune" (its code), "village" (its id) or "team" (its id); a person
counts in the country, their province and home commune, the village of their household and
each team they belong to. course_id 0 holds what belongs to no course (households).

Writers add to the row of their shard (the person's or household's id modulo
ROLLUP_SHARDS) with one upsert, so parallel writers of one busy place touch different rows;
readers sum the shards. See docs/reports.md.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.extensions import Model

LEVELS = ("country", "province", "commune", "village", "team")
COUNTRY = "VN"
NO_COURSE = 0


class Rollup(Model):
    __tablename__ = "rollups"

    level: Mapped[str] = mapped_column(String(8), primary_key=True)
    place: Mapped[str] = mapped_column(String(16), primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    enrolled: Mapped[int] = mapped_column(default=0)
    started: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    certified: Mapped[int] = mapped_column(default=0)
    # Households (of the place) with at least one person who completed the course; on the
    # NO_COURSE row, the households the place has.
    households: Mapped[int] = mapped_column(default=0)


class RollupDays(Model):
    """How many completions took this many days from enrolment (capped at DAYS_CAP): the
    median comes from this histogram, a bounded number of rows per place."""

    __tablename__ = "rollup_days"

    level: Mapped[str] = mapped_column(String(8), primary_key=True)
    place: Mapped[str] = mapped_column(String(16), primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    days: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    learners: Mapped[int] = mapped_column(default=0)


class RollupWeek(Model):
    """Enrolments, completions and certificates per week (the Monday it starts), for the trend."""

    __tablename__ = "rollup_weeks"

    level: Mapped[str] = mapped_column(String(8), primary_key=True)
    place: Mapped[str] = mapped_column(String(16), primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[date] = mapped_column(primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    enrolled: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    certified: Mapped[int] = mapped_column(default=0)


class HouseholdProgress(Model):
    """How many people of a household completed a course: a household is "reached" for the
    course when this goes from 0 to 1, and no longer when it falls back to 0."""

    __tablename__ = "household_progress"

    household_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    completers: Mapped[int] = mapped_column(default=0)
