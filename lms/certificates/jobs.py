"""Rendering outside the request: an RQ queue when REDIS_URL is set.

Certificates to render are remembered on the SQLAlchemy session and enqueued only after the
transaction commits, so a worker never looks for a row that is not there yet (and nothing is
enqueued for a transaction that rolled back). Job ids are deterministic per code and revision:
asking twice (a double click on "prepare", a refresh) never queues the same render twice.
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lms.certificates import settings

log = logging.getLogger(__name__)
QUEUE_NAME = "certificates"
# Certificates per backlog job: one queue round trip, one database query and one app context
# for this many renders (about a second of work), so the queue's own cost stays a few per cent.
BATCH_SIZE = 25
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


def batch_job_id(rows: list[tuple[int, str, int]]) -> str:
    digest = hashlib.sha256(",".join(f"{code}-r{revision}" for _, code, revision in rows).encode()).hexdigest()
    return f"certificates-batch-{digest[:20]}"


def enqueue_batches(rows: list[tuple[int, str, int]], batch_size: int = BATCH_SIZE) -> int:
    """Queue the renders of (id, code, revision) rows in jobs of `batch_size`, each id once.
    Job ids come from the rows, so asking again for the same rows queues nothing more.
    Returns how many certificates were asked for (0 without a queue)."""
    from rq import Queue
    from rq.job import Job

    q = queue()
    if q is None or not rows:
        return 0
    chunks = [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]
    ids = [batch_job_id(chunk) for chunk in chunks]
    existing = Job.fetch_many(ids, connection=q.connection)
    fresh = []
    for chunk, jid, job in zip(chunks, ids, existing, strict=True):
        status = job.get_status(refresh=False) if job is not None else None
        if status is not None and str(getattr(status, "value", status)) in _ACTIVE:
            continue
        fresh.append(
            Queue.prepare_data(
                render_batch_job, ([cid for cid, _, _ in chunk],), job_id=jid, result_ttl=3600, failure_ttl=86400,
                description=f"PDF x{len(chunk)}",
            )
        )  # fmt: skip
    for start in range(0, len(fresh), 500):  # one pipeline per 500 jobs
        q.enqueue_many(fresh[start : start + 500])
    return len(rows)


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


def render_batch_job(certificate_ids: list[int]) -> dict:
    """RQ job: the PDFs of these certificates. One query for all of them (columns only, no
    joins), the transaction ended before rendering; never writes to the database. Returns where
    its time went, in milliseconds (the benchmark adds these up)."""
    from lms.certificates import storage
    from lms.certificates.models import Certificate
    from lms.core.extensions import db

    started = time.perf_counter()
    app = _app()
    timings = {"render": 0.0, "render_cpu": 0.0, "disk": 0.0}
    with app.app_context():
        try:
            rows = db.session.execute(
                select(*storage.SNAPSHOT_COLUMNS).where(Certificate.id.in_(certificate_ids), Certificate.revoked_at.is_(None))
            ).all()
            db.session.rollback()
            fetched = time.perf_counter()
            made = 0
            for row in rows:
                storage.ensure_pdf(storage.Snapshot(*row), timings)
                made += int(timings.pop("made", 0))
        finally:
            db.session.remove()
    return _account(len(certificate_ids), made, started, fetched, timings)


def _account(asked: int, made: int, started: float, fetched: float, timings: dict) -> dict:
    return {
        "asked": asked,
        "rendered": made,
        "db_ms": (fetched - started) * 1000,
        "render_ms": timings["render"] * 1000,
        "render_cpu_ms": timings["render_cpu"] * 1000,
        "disk_ms": timings["disk"] * 1000,
        "total_ms": (time.perf_counter() - started) * 1000,
    }


def render_job(certificate_id: int) -> dict:
    """RQ job: make sure the certificate's current PDF exists (one certificate: after an issue,
    a correction or a download that came first). Never writes to the database. Returns where
    its time went, as render_batch_job does."""
    from lms.certificates import storage
    from lms.certificates.models import Certificate
    from lms.core.extensions import db

    started = time.perf_counter()
    app = _app()
    timings = {"render": 0.0, "render_cpu": 0.0, "disk": 0.0}
    with app.app_context():
        try:
            certificate = db.session.get(Certificate, certificate_id)
            snapshots = storage.detach([certificate] if certificate is not None else [])  # no transaction while rendering
            fetched = time.perf_counter()
            for snapshot in snapshots:
                storage.ensure_pdf(snapshot, timings)
        finally:
            db.session.remove()
    return _account(1, int(timings.pop("made", 0)), started, fetched, timings)
