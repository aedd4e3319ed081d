"""The certificate record: one per person and course, with the text it prints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.extensions import Model
from lms.core.models import utcnow

# Printed names come from the profile (80 characters at most), but the column is wider so an
# older or imported name is never cut; the template shrinks long names to fit one page.
PRINTED_NAME_MAX = 320


class Certificate(Model):
    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # 12 characters without hyphens (see codes.py); shown as XXXX-XXXX-XXXX.
    code: Mapped[str] = mapped_column(String(12), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"), index=True)
    # What the certificate says, frozen at issue (and at a regeneration): later edits of the
    # course or of the deployment's issuer never change a certificate already handed out.
    printed_name: Mapped[str] = mapped_column(String(PRINTED_NAME_MAX))
    course_title: Mapped[str] = mapped_column(String(200))
    certificate_title: Mapped[str] = mapped_column(String(200))
    issuer_name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised by each regeneration; the stored PDF's file name carries it.
    revision: Mapped[int] = mapped_column(default=1)
    regenerated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    course = relationship("Course", lazy="joined")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def display_code(self) -> str:
        from lms.certificates.codes import format_code

        return format_code(self.code)

    def __repr__(self) -> str:
        return f"<Certificate {self.code} user={self.user_id} course={self.course_id}>"
