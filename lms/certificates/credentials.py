"""The stored, signed credentials of certificates and the status bits that revoke them.

A credential is signed once: when its certificate is issued, or when a name correction makes
the next revision (the previous revision's credential is then marked superseded in the status
list). It is kept as the exact bytes served, so a copy downloaded any day is byte-identical.
Certificates issued before credentials existed, or while the signing key was missing, get
theirs on the first request for it (or from `flask lms cert-credentials`).

Every function flushes; the caller commits. Each one that sets or clears a bit signs the
affected status lists again in the same transaction (status.refresh).
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import select, update

from lms.certificates import badges, status
from lms.certificates.models import Certificate, Credential
from lms.certificates.signing import SigningKeyMissing
from lms.core.db import insert_once
from lms.core.extensions import db
from lms.core.models import utcnow

log = logging.getLogger(__name__)
REVOKED, SUPERSEDED = "revoked", "superseded"


def _find(certificate_id: int, revision: int) -> Credential | None:
    stmt = select(Credential).where(Credential.certificate_id == certificate_id, Credential.revision == revision)
    return db.session.scalar(stmt)


def current(certificate: Certificate) -> Credential | None:
    return _find(certificate.id, certificate.revision)


def issue(certificate: Certificate) -> Credential:
    """The credential of the certificate's current revision, signed now if it has none yet.
    SigningKeyMissing when there is no key (nothing is written then)."""
    row = current(certificate)
    if row is not None and row.document is not None:
        return row
    from lms.certificates import keyring

    keyring.private_key()  # before any write: without a key there is nothing to store
    if row is None:
        credential, inserted = insert_once(
            Credential(certificate_id=certificate.id, revision=certificate.revision),
            lambda: _find(certificate.id, certificate.revision),
        )
        if not inserted and credential.document is not None:
            return credential  # a concurrent transaction signed it first
    else:
        credential = row
    status_list = status.list_for(credential.id)
    list_id, index = status_list.id, status.index_of(credential.id, status_list.seed)
    credential.status_list, credential.status_index = list_id, index
    document = badges.sign_credential(certificate, list_id, index)
    credential.document = json.dumps(document, ensure_ascii=False, indent=2)
    credential.signed_at = utcnow()
    if certificate.revoked_at is not None:  # signed late for a certificate revoked meanwhile
        credential.revoked_at, credential.status_reason = utcnow(), REVOKED
        db.session.flush()
        status.refresh([list_id])
    db.session.flush()
    return credential


def issue_if_possible(certificate: Certificate) -> Credential | None:
    """issue(), but a missing signing key only delays the credential (it is made on the first
    request for it): completing a course never fails for want of a key."""
    try:
        return issue(certificate)
    except SigningKeyMissing:
        log.warning("no signing key: credential of certificate %s not signed yet", certificate.code)
        return None


def stored_document(certificate: Certificate) -> str | None:
    row = current(certificate)
    return row.document if row is not None else None


def _set_bits(certificate_id: int, reason: str, *, below_revision: int | None = None) -> set[int]:
    """Set the bit of the certificate's credentials still clear; the lists touched."""
    condition = [Credential.certificate_id == certificate_id, Credential.revoked_at.is_(None)]
    if below_revision is not None:
        condition.append(Credential.revision < below_revision)
    found = db.session.scalars(select(Credential.status_list).where(*condition, Credential.status_list.is_not(None)))
    lists = {list_id for list_id in found if list_id is not None}
    db.session.execute(
        update(Credential)
        .where(*condition)
        .values(revoked_at=utcnow(), status_reason=reason)
        .execution_options(synchronize_session=False)
    )
    _expire_loaded()
    return lists


def _expire_loaded() -> None:
    """Bulk updates bypass the session: loaded credentials are read again when next used."""
    for item in list(db.session.identity_map.values()):
        if isinstance(item, Credential):
            db.session.expire(item)


def revoke(certificate: Certificate) -> None:
    """The certificate was revoked: every credential of it shows revoked in its list."""
    status.refresh(_set_bits(certificate.id, REVOKED))


def reinstate(certificate: Certificate) -> None:
    """A mistaken revocation was undone: the current revision's credential is valid again
    (earlier revisions stay superseded)."""
    row = current(certificate)
    if row is None or row.status_reason != REVOKED:
        return
    row.revoked_at, row.status_reason = None, None
    db.session.flush()
    if row.status_list is not None:
        status.refresh([row.status_list])


def supersede_and_issue(certificate: Certificate) -> Credential | None:
    """After a name correction raised the revision: the earlier credentials show revoked
    (superseded) and the new revision gets its own credential."""
    lists = _set_bits(certificate.id, SUPERSEDED, below_revision=certificate.revision)
    row = issue_if_possible(certificate)
    status.refresh(lists)
    return row


def erase(certificate: Certificate) -> None:
    """Account erasure: the bits are set and the stored documents, which carry the name, deleted
    (the rows stay, so their bits are never given to anyone else)."""
    lists = _set_bits(certificate.id, REVOKED)
    db.session.execute(
        update(Credential)
        .where(Credential.certificate_id == certificate.id)
        .values(document=None)
        .execution_options(synchronize_session=False)
    )
    _expire_loaded()
    status.refresh(lists)
