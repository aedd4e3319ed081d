"""Users, role assignments and one-time reset codes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from lms.core.extensions import Model
from lms.core.models import TimestampMixin, utcnow
from lms.core.text import fold

NAME_MAX = 80


class Role(enum.StrEnum):
    LEARNER = "learner"
    MEMBER = "member"
    TEAM_LEADER = "team_leader"
    COMMUNE_OFFICIAL = "commune_official"
    PROVINCE_OFFICIAL = "province_official"
    ADMIN = "admin"


# Roles held through a RoleAssignment row; members and leaders come from team membership.
ASSIGNABLE_ROLES = (Role.COMMUNE_OFFICIAL, Role.PROVINCE_OFFICIAL, Role.ADMIN)


class User(TimestampMixin, UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(NAME_MAX))
    # The name folded to lower-case ASCII ("Phạm Thị Ngọc Ánh" -> "pham thi ngoc anh"), kept by
    # the validator below, so accent-free search is an indexed LIKE at any size.
    name_key: Mapped[str] = mapped_column(String(NAME_MAX * 2), default="", server_default="", index=True)
    birth_year: Mapped[int | None]
    home_commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code", ondelete="SET NULL"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    session_version: Mapped[int] = mapped_column(default=1)
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(5))
    is_disabled: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL", use_alter=True), index=True)

    home_commune = relationship("Commune")
    household = relationship("Household", foreign_keys=[household_id])
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="RoleAssignment.user_id",
    )

    # The token of the login being made or used in this request (see UserSession); not stored.
    # Declared for mypy only: a plain annotation in the class body would ask the ORM for a column.
    if TYPE_CHECKING:
        login_token: str | None
    login_token = None

    @validates("full_name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        self.name_key = fold(value or "")
        return value

    def get_id(self) -> str:
        # The session version is part of the login id, so bumping it ends every session; the
        # token names this device's UserSession row, so logging out ends this one.
        return f"{self.id}:{self.session_version}:{self.login_token or ''}"

    @property
    def is_active(self) -> bool:
        return not self.is_disabled and self.deleted_at is None

    def has_role(self, role: Role) -> bool:
        return any(r.role == role for r in self.roles)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def is_official(self) -> bool:
        return any(r.role in (Role.COMMUNE_OFFICIAL, Role.PROVINCE_OFFICIAL, Role.ADMIN) for r in self.roles)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.phone}>"


class RoleAssignment(Model):
    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint(
            "(role = 'admin' AND province_code IS NULL AND commune_code IS NULL)"
            " OR (role = 'province_official' AND province_code IS NOT NULL AND commune_code IS NULL)"
            " OR (role = 'commune_official' AND commune_code IS NOT NULL AND province_code IS NULL)",
            name="scope_matches_role",
        ),
        Index("ix_role_assignments_unique_scope", "user_id", "role", "province_code", "commune_code", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code", ondelete="CASCADE"), index=True)
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])


class ResetCode(Model):
    __tablename__ = "password_reset_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class UserSession(Model):
    """One signed-in device. The session and remember cookies carry its token; logging out
    ends the row, so a copy of either cookie opens nothing afterwards."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class AssistedRegistration(Model):
    """A citizen registered at the door by a team member: who helped, which household, and when
    the consent notice was read aloud and agreed to."""

    __tablename__ = "assisted_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL", use_alter=True), index=True)
    consent_read_aloud_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    citizen: Mapped[User] = relationship(foreign_keys=[citizen_id])
    member: Mapped[User | None] = relationship(foreign_keys=[member_id])
