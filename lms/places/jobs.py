"""Roster imports outside the request: an RQ queue when REDIS_URL is set, the request otherwise.

A file bigger than ROSTER_INLINE_BYTES is checked and written by `flask lms roster-worker`
when a queue is configured; anything else runs in the request that asked for it. The worker
reports the rows it has read under a Redis key that expires after HEARTBEAT_SECONDS, which is
both the progress bar's number and the sign that the run is alive: a run marked "running" whose
key has gone was killed, and may be started again (it wrote nothing: docs/rosters.md).
"""

from __future__ import annotations

import logging
import os
import sys

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext
from flask_babel import gettext as _
from redis.exceptions import RedisError

from lms.core.cli import lms_cli
from lms.core.extensions import db
from lms.places import rosters

log = logging.getLogger(__name__)
QUEUE_NAME = "rosters"
HEARTBEAT_SECONDS = 300
JOB_TIMEOUT_SECONDS = 3600


def queue():
    """The RQ queue, or None when REDIS_URL is not configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    state = current_app.extensions.setdefault("lms_rosters", {})
    if state.get("queue") is None:
        from redis import Redis
        from rq import Queue

        state["queue"] = Queue(QUEUE_NAME, connection=Redis.from_url(url), default_timeout=JOB_TIMEOUT_SECONDS)
    return state["queue"]


def in_background(size: int) -> bool:
    return size > rosters.setting("ROSTER_INLINE_BYTES") and queue() is not None


def _progress_key(import_id: int) -> str:
    return f"lms:roster-import:{import_id}:rows"


def report(import_id: int, rows: int) -> None:
    q = queue()
    if q is None:
        return
    try:
        q.connection.set(_progress_key(import_id), rows, ex=HEARTBEAT_SECONDS)
    except RedisError:
        log.warning("could not report the progress of roster import %s", import_id, exc_info=True)


def progress(import_id: int) -> tuple[int | None, bool | None]:
    """(rows read so far, alive) from the queue; (None, None) without one or when it is down."""
    q = queue()
    if q is None:
        return None, None
    try:
        value = q.connection.get(_progress_key(import_id))
    except RedisError:
        return None, None
    if value is None:
        return None, False
    return int(value), True


def start(import_id: int, size: int) -> str:
    """Run a queued import now (small file, or no queue) or hand it to the worker. Returns the
    import's status afterwards ("queued" when handed over)."""
    if not in_background(size):
        return rosters.run(import_id)
    q = queue()
    try:
        report(import_id, 0)  # alive from the moment it is queued
        q.enqueue(run_job, import_id, job_timeout=JOB_TIMEOUT_SECONDS, result_ttl=600, failure_ttl=86400)
    except RedisError:
        log.warning("could not queue roster import %s", import_id, exc_info=True)
        rosters.claim(
            import_id,
            from_status=("queued",),
            to_status="failed",
            failure=_("Hàng đợi xử lý nền đang không hoạt động. Chưa có gì được ghi; bạn hãy thử lại sau ít phút."),
        )
        db.session.commit()
        return "failed"
    return "queued"


def _app():
    """The worker's app: `flask lms roster-worker` runs jobs inside its app context."""
    if not has_app_context():
        raise RuntimeError("Roster import jobs run in `flask lms roster-worker`, which provides the app.")
    return current_app._get_current_object()


def run_job(import_id: int) -> str:
    """RQ job: check or write one import (rosters.run takes it once, however often queued)."""
    app = _app()
    with app.app_context():
        try:
            return rosters.run(import_id, progress=lambda rows: report(import_id, rows))
        finally:
            db.session.remove()


@lms_cli.command("roster-worker")
@click.option("--burst", is_flag=True, help="Dừng khi hàng đợi hết việc.")
@click.option("--nice", "niceness", default=10, show_default=True, help="Độ ưu tiên thấp hơn để trang web vẫn nhanh.")
@with_appcontext
def roster_worker_command(burst: bool, niceness: int) -> None:
    """Run an RQ worker that checks and writes roster imports (needs REDIS_URL)."""
    from rq import SimpleWorker

    q = queue()
    if q is None:
        click.secho("Chưa cấu hình REDIS_URL: danh sách được nhập ngay trong yêu cầu, không cần worker.", fg="red", err=True)
        sys.exit(1)
    if niceness:
        os.nice(niceness)
    click.echo(f"Worker nhập danh sách: hàng đợi {q.name}")
    SimpleWorker([q], connection=q.connection).work(burst=burst, with_scheduler=False, logging_level="WARNING")
