"""Audit log of privileged actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.extensions import Model, db
from lms.core.models import utcnow


class AuditEvent(Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def record(actor_id: int | None, action: str, target_type: str, target_id: Any, **detail: Any) -> AuditEvent:
    """Add an audit row to the current transaction (flushes; the caller commits)."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail,
        request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(event)
    db.session.flush()
    return event
