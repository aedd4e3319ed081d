"""Quiz attempts and their answers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.extensions import Model
from lms.core.models import utcnow

if TYPE_CHECKING:
    from lms.accounts.models import User
    from lms.catalog.models import Course, Module


class AttemptState(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    EXPIRED = "expired"  # its questions changed before submission
    ABANDONED = "abandoned"  # replaced by a newer attempt before submission


# At most one open attempt per learner and module, held by the database: the loser of two
# parallel "start" clicks hits this index and takes the winner's attempt.
ONE_OPEN_WHERE = text("state = 'open'")


class QuizAttempt(Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "number"),
        Index(
            "uq_quiz_attempts_open_user_id_module_id",
            "user_id",
            "module_id",
            unique=True,
            sqlite_where=ONE_OPEN_WHERE,
            postgresql_where=ONE_OPEN_WHERE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int]
    seed: Mapped[int]
    # [{"version_id": 12, "options": ["c", "a", "d", "b"]}, ...] in display order
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=AttemptState.OPEN.value)
    pass_mark: Mapped[int]
    correct_count: Mapped[int | None]
    total: Mapped[int]
    percent: Mapped[int | None]
    passed: Mapped[bool | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    module: Mapped[Module] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(back_populates="attempt", cascade="all, delete-orphan")


class AttemptAnswer(Model):
    """One row per question of an attempt, so saving one answer never overwrites another."""

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id", ondelete="RESTRICT"))
    chosen: Mapped[list[str]] = mapped_column(JSON)
    is_correct: Mapped[bool | None]
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")
