"""What /readyz checks: the database answers, Redis answers when it is configured, and how the
job queues stand (depth and the oldest waiting job's age: a stuck worker shows here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lms.core.extensions import db

REDIS_ERRORS = (RedisError, OSError)


@dataclass(frozen=True)
class QueueState:
    name: str
    depth: int
    oldest_age_seconds: float
    failed: int
    finished: int


def _redis(url: str):
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def queue_states(redis_url: str) -> list[QueueState]:
    """Every RQ queue known to Redis, by name."""
    from rq import Queue
    from rq.job import Job

    connection = _redis(redis_url)
    states = []
    for queue in sorted(Queue.all(connection=connection), key=lambda q: q.name):
        age = 0.0
        first = queue.get_job_ids(0, 1)
        job = Job.fetch(first[0], connection=connection) if first else None
        if job is not None and job.enqueued_at is not None:
            enqueued = job.enqueued_at if job.enqueued_at.tzinfo else job.enqueued_at.replace(tzinfo=UTC)
            age = max(0.0, (datetime.now(UTC) - enqueued).total_seconds())
        states.append(
            QueueState(queue.name, queue.count, round(age, 1), queue.failed_job_registry.count, queue.finished_job_registry.count)
        )
    return states


def check(redis_url: str | None) -> tuple[bool, dict[str, Any]]:
    """(ready, report). Not ready when the database or a configured Redis does not answer."""
    report: dict[str, Any] = {}
    ready = True
    try:
        db.session.execute(text("SELECT 1"))
        report["database"] = "ok"
    except SQLAlchemyError as error:
        db.session.rollback()
        report["database"] = f"error: {type(error).__name__}"
        ready = False
    if not redis_url:
        report["redis"] = "not configured"
        return ready, report
    try:
        _redis(redis_url).ping()
        report["redis"] = "ok"
        report["queues"] = {state.name: asdict(state) for state in queue_states(redis_url)}
    except REDIS_ERRORS as error:
        report["redis"] = f"error: {type(error).__name__}"
        ready = False
    return ready, report
