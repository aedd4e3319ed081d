"""Provinces and communes (2025 reform), villages, households, teams and membership."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.extensions import Model
from lms.core.models import TimestampMixin, utcnow


class CommuneKind(enum.StrEnum):
    XA = "xã"
    PHUONG = "phường"
    DAC_KHU = "đặc khu"


class VillageKind(enum.StrEnum):
    THON = "thôn"
    AP = "ấp"
    BAN = "bản"
    TO_DAN_PHO = "tổ dân phố"
    KHU_PHO = "khu phố"
    BUON = "buôn"
    LANG = "làng"
    KHOM = "khóm"


class Province(Model):
    __tablename__ = "provinces"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(32))
    search_key: Mapped[str] = mapped_column(String(120), index=True)

    communes: Mapped[list[Commune]] = relationship(back_populates="province", order_by="Commune.name")


class Commune(Model):
    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    search_key: Mapped[str] = mapped_column(String(200), index=True)

    province: Mapped[Province] = relationship(back_populates="communes", lazy="joined")

    @property
    def full_name(self) -> str:
        return f"{self.name}, {self.province.name}"


class Village(TimestampMixin, Model):
    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("commune_code", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    commune: Mapped[Commune] = relationship(lazy="joined")
    teams: Mapped[list[Team]] = relationship(back_populates="village", order_by="Team.name")


class Team(TimestampMixin, Model):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("village_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), index=True)
    # Denormalised so scope filters on teams need no join through villages.
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(80))

    village: Mapped[Village] = relationship(back_populates="teams", lazy="joined")
    memberships: Mapped[list[TeamMembership]] = relationship(back_populates="team", cascade="all, delete-orphan")


class TeamMembership(Model):
    __tablename__ = "team_memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_leader: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    team: Mapped[Team] = relationship(back_populates="memberships")
    user = relationship("User", foreign_keys=[user_id], lazy="joined")


HOUSEHOLD_LABEL_MAX = 120


class Household(TimestampMixin, Model):
    """A household of a village, named by an address label ("Số 12, ngõ 3" or "Nhà ông Tư, xóm
    Bãi"). It holds no identity numbers: the label is what a team member writes at the door."""

    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("village_id", "label_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="RESTRICT"), index=True)
    # Denormalised like Team.commune_code, so scope filters need no join through villages.
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code", ondelete="RESTRICT"), index=True)
    label: Mapped[str] = mapped_column(String(HOUSEHOLD_LABEL_MAX))
    # The label folded (lms.core.text.fold): two spellings of one address are one household.
    label_key: Mapped[str] = mapped_column(String(HOUSEHOLD_LABEL_MAX))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    village: Mapped[Village] = relationship(lazy="joined")


class RosterImport(TimestampMixin, Model):
    """One roster file an official uploaded: checked into a preview first, then applied (inline
    or as a background job) with its progress kept here."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code", ondelete="RESTRICT"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # "members" or "learners"
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    stored_path: Mapped[str | None] = mapped_column(String(500))
    # preview, rejected, queued, running, done, failed
    status: Mapped[str] = mapped_column(String(16), default="preview")
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    matched_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    # The first errors, [{"row": n, "field": "...", "message": "..."}], and anything else the
    # import wants to keep (e.g. the failure of a job).
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    finished_at: Mapped[datetime | None]
