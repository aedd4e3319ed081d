"""Field work records: local platforms, targets, the outreach log with its history, and the
counters the reports read (see docs/fieldwork.md)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.extensions import Model
from lms.core.models import TimestampMixin, utcnow

NOTE_MAX = 300
OUTCOMES = ("done", "follow_up")


class LocalPlatform(TimestampMixin, Model):
    """A platform a province or commune asks its teams to bring to people (an app of the
    province, a local health book...): a sub-item of a task, seen by the teams of that place."""

    __tablename__ = "fieldwork_platforms"
    __table_args__ = (UniqueConstraint("level", "place", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(8))  # "province" or "commune"
    place: Mapped[str] = mapped_column(String(5), index=True)  # its code
    task_code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Target(Model):
    """Households a team is to reach for a task in a period ("2026-Q4" or "2026-12"), or within
    a campaign (period "c<id>")."""

    __tablename__ = "fieldwork_targets"
    __table_args__ = (
        UniqueConstraint("team_id", "task_code", "period"),
        CheckConstraint("households >= 0", name="households_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    task_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(12))
    households: Mapped[int] = mapped_column(default=0)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutreachEntry(TimestampMixin, Model):
    """A household (or some of its people) helped with a task on a day, by a team member. Never
    holds an identity number or a password: only the household's address label is linked."""

    __tablename__ = "outreach_entries"
    __table_args__ = (
        UniqueConstraint("client_id"),
        UniqueConstraint("household_id", "task_code", "done_on"),
        CheckConstraint("people >= 1 AND people <= 50", name="people_range"),
        Index("ix_outreach_entries_team_created", "team_id", "created_at"),
        Index("ix_outreach_entries_member_created", "member_id", "created_at"),
        Index("ix_outreach_entries_household_task", "household_id", "task_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Made by the phone (a UUID) so a queue sent twice stores one entry.
    client_id: Mapped[str] = mapped_column(String(36))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="RESTRICT"))
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code", ondelete="RESTRICT"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="RESTRICT"))
    task_code: Mapped[str] = mapped_column(String(32))
    item_code: Mapped[str | None] = mapped_column(String(40))
    done_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(10))  # "done" or "follow_up"
    people: Mapped[int] = mapped_column(SmallInteger, default=1)
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutreachRevision(Model):
    """Every version of an entry (1 = as first recorded), with who made it and when."""

    __tablename__ = "outreach_revisions"
    __table_args__ = (UniqueConstraint("entry_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("outreach_entries.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column()
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class OutreachCount(Model):
    """Counters per place, task and month (the first day), split in shards by household id like
    the reports' rollups. Levels: country, province, commune, village, team.
    households: households whose first "done" entry for the task falls in the month, so the
    months of a quarter add up to the households reached in it."""

    __tablename__ = "outreach_counts"

    level: Mapped[str] = mapped_column(String(8), primary_key=True)
    place: Mapped[str] = mapped_column(String(16), primary_key=True)
    task_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    entries: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    follow_up: Mapped[int] = mapped_column(default=0)
    people: Mapped[int] = mapped_column(default=0)
    households: Mapped[int] = mapped_column(default=0)


class OutreachDay(Model):
    """Done entries and households first reached per place, task and day (for campaigns' daily
    progress), sharded like OutreachCount."""

    __tablename__ = "outreach_days"

    level: Mapped[str] = mapped_column(String(8), primary_key=True)
    place: Mapped[str] = mapped_column(String(16), primary_key=True)
    task_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    done: Mapped[int] = mapped_column(default=0)
    households: Mapped[int] = mapped_column(default=0)


class HouseholdTask(Model):
    """The day a household was first helped to "done" with a task (None: not yet), locked while
    an entry of the pair is written so two writers agree on which month counts it."""

    __tablename__ = "outreach_household_tasks"

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    task_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_done_on: Mapped[date | None] = mapped_column(Date)


class Campaign(TimestampMixin, Model):
    """A time-boxed push on one task in a commune (e.g. ten days on online public services);
    its targets are Target rows with period "c<id>"."""

    __tablename__ = "fieldwork_campaigns"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    task_code: Mapped[str] = mapped_column(String(32))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
