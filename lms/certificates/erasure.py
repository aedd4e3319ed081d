"""What account deletion does to certificates: revoke them, blank the printed name, delete the files.

A certificate carries the holder's name and is public on the verify page; once the
person erases their account (Law 91/2025/QH15), the record stays only as a revoked
code, so a printed copy can no longer be confirmed."""

from __future__ import annotations

from sqlalchemy import select

from lms.certificates import credentials, storage
from lms.certificates.models import Certificate
from lms.core import signals
from lms.core.extensions import db
from lms.core.models import utcnow

ERASED_NAME = "(đã xóa theo yêu cầu)"
ERASED_REASON = "Người nhận đã xóa tài khoản và dữ liệu cá nhân."


def erase_for_user(user_id: int) -> int:
    """Flushes; returns how many certificates were erased. Each one still valid is announced
    as revoked (certificate_revoked, no actor: nobody revoked it, the holder left)."""
    certificates = db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)).all()
    now = utcnow()
    revoked = []
    for certificate in certificates:
        # Every revision's PDF and preview: "<code>-r<revision>.pdf|png".
        for path in storage.pdf_path(certificate).parent.glob(f"{certificate.code}-r*.*"):
            path.unlink(missing_ok=True)
        certificate.printed_name = ERASED_NAME
        if certificate.revoked_at is None:
            certificate.revoked_at = now
            certificate.revoke_reason = ERASED_REASON
            revoked.append(certificate)
    db.session.flush()
    for certificate in certificates:
        credentials.erase(certificate)  # bits set, stored documents (they carry the name) deleted
    for certificate in revoked:
        signals.certificate_revoked.send("certificates", certificate=certificate, actor=None, reason=ERASED_REASON)
    return len(certificates)


def erase_on_account_deletion(_sender, *, user, **_) -> None:
    """Receiver of signals.account_deleted."""
    erase_for_user(user.id)
