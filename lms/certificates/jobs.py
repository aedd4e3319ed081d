"""Rendering outside the request: an RQ queue when REDIS_URL is set.

Certificates to render are remembered on the SQLAlchemy session and enqueued only after the
transaction commits, so a worker never looks for a row that is not there yet (and nothing is
enqueued for a transaction that rolled back). Job ids are deterministic per code and revision:
asking twice (a double click on "prepare", a refresh) never queues the same render twice.
"""

from __future__ import annotations

import logging

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.certificates import settings

log = logging.getLogger(__name__)
QUEUE_NAME = "certificates"
_PENDING = "lms_certificates_to_render"
_ACTIVE = ("queued", "started", "deferred", "scheduled")


def queue():
    """The RQ queue, or None when REDIS_URL is not configured."""
    url = settings.redis_url()
    if not url:
        return None
    state = current_app.extensions.setdefault("lms_certificates", {})
    if state.get("queue") is None:
        from redis import Redis
        from rq import Queue

        state["queue"] = Queue(QUEUE_NAME, connection=Redis.from_url(url), default_timeout=120)
    return state["queue"]


def job_id(code: str, revision: int) -> str:
    return f"certificate-{code}-r{revision}"


def enqueue(certificate_id: int, code: str, revision: int) -> bool:
    """Queue one render unless the same render is already waiting or running. False when no queue."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    q = queue()
    if q is None:
        return False
    jid = job_id(code, revision)
    try:
        status = Job.fetch(jid, connection=q.connection).get_status(refresh=False)
        if status is not None and str(getattr(status, "value", status)) in _ACTIVE:
            return True
    except NoSuchJobError:
        pass
    q.enqueue(render_job, certificate_id, job_id=jid, result_ttl=300, failure_ttl=86400, description=f"PDF {code} r{revision}")
    return True


def render_after_commit(session: Session, certificate_id: int, code: str, revision: int) -> None:
    """Ask for a render once the current transaction commits (only when a queue is configured)."""
    if has_app_context() and settings.redis_url():
        session.info.setdefault(_PENDING, set()).add((certificate_id, code, revision))


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    for certificate_id, code, revision in sorted(pending):
        try:
            enqueue(certificate_id, code, revision)
        except RedisError:  # Redis down: the PDF is rendered on first download instead
            log.warning("could not queue certificate %s for rendering", code, exc_info=True)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _app():
    """The Flask app of the worker: `flask lms cert-worker` runs jobs inside its app context
    (a SimpleWorker, in the command's process). Certificates never build the app themselves:
    the assembly sits above every feature."""
    if not has_app_context():
        raise RuntimeError("Certificate render jobs run in `flask lms cert-worker`, which provides the app.")
    return current_app._get_current_object()


def render_job(certificate_id: int) -> str:
    """RQ job: make sure the certificate's current PDF exists. Never writes to the database."""
    from lms.certificates import storage
    from lms.certificates.models import Certificate
    from lms.core.extensions import db

    app = _app()
    with app.app_context():
        try:
            certificate = db.session.get(Certificate, certificate_id)
            if certificate is None:
                return "missing"
            [snapshot] = storage.detach([certificate])  # no transaction open while rendering
            storage.ensure_pdf(snapshot)
            return snapshot.code
        finally:
            db.session.remove()
