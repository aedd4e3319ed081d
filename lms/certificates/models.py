"""The certificate record: one per person and course, with the text it prints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
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


class Credential(Model):
    """The signed Open Badges credential of one revision of a certificate, kept byte for byte.

    Made once, at issue (or at a name correction, which makes the next revision's), and served
    as stored ever after. Its place in a Bitstring Status List (`status_list`, `status_index`)
    is fixed with it; `revoked_at` is that bit: set when the certificate is revoked, when a
    correction supersedes this revision, or when the holder erases their account. Rows are
    never deleted with their slot still needed: the ids keep growing (sqlite_autoincrement), so
    a slot is never handed to another credential."""

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("certificate_id", "revision"),
        UniqueConstraint("status_list", "status_index"),
        Index("ix_credentials_status_list_revoked_at", "status_list", "revoked_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int]
    # Filled right after the insert (they are derived from the id, see status.position).
    status_list: Mapped[int | None]
    status_index: Mapped[int | None]
    signed_at: Mapped[datetime | None]
    # The served bytes (UTF-8 JSON); None until signed, and again after an account erasure.
    document: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None]
    # "revoked" (by an official or an erasure) or "superseded" (a correction made a new one).
    status_reason: Mapped[str | None] = mapped_column(String(16))

    def __repr__(self) -> str:
        return f"<Credential {self.id} certificate={self.certificate_id} r{self.revision}>"


class StatusList(Model):
    """One signed BitstringStatusListCredential (statusPurpose revocation) of LIST_SIZE bits,
    served at /certificates/status/<id> and signed again whenever one of its bits changes."""

    __tablename__ = "credential_status_lists"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Random key of the permutation that spreads this list's credentials over its bits.
    seed: Mapped[str] = mapped_column(String(64))
    document: Mapped[str | None] = mapped_column(Text)
    revoked_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
