"""Database engine behaviour (SQLite pragmas, up-front write locks, retries) and insert_once.

On SQLite a deferred transaction that reads and then writes can fail at once
with "database is locked" when another writer got there first, because the
busy handler is not used to upgrade a read snapshot. So every transaction that
may write starts with BEGIN IMMEDIATE: it waits (busy_timeout) for the write
lock instead of failing half-way. GET requests stay read-only and use a plain
deferred BEGIN, so readers never queue behind writers (WAL).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from lms.core.extensions import db

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
_READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
_force_write: ContextVar[bool] = ContextVar("lms_force_write", default=False)


def _wants_write_lock() -> bool:
    if _force_write.get():
        return True
    if has_request_context():
        return request.method not in _READ_ONLY_METHODS
    return True


@contextmanager
def write_intent() -> Iterator[None]:
    """Start the next transaction with the write lock even inside a GET request."""
    token = _force_write.set(True)
    try:
        yield
    finally:
        _force_write.reset(token)


def takes_write_lock(view):
    """For the rare GET view that writes (an audit row on a bulk download): its transaction
    starts with the write lock. Put it above @login_required, which opens the transaction."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with write_intent():
            return view(*args, **kwargs)

    return wrapper


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Let SQLAlchemy emit BEGIN itself (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


def is_retryable(error: Exception) -> bool:
    """PostgreSQL asks to retry a transaction that lost a serialization race."""
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def run_with_retry(session, work, attempts: int = 4):
    """Run work() and commit; on a serialization failure roll back and run it again."""
    from sqlalchemy.exc import DBAPIError

    for attempt in range(attempts):
        try:
            result = work()
            session.commit()
            return result
        except DBAPIError as error:
            session.rollback()
            if not is_retryable(error) or attempt == attempts - 1:
                raise
    raise RuntimeError("unreachable")


def insert_once(row: T, find_existing: Callable[[], T | None]) -> tuple[T, bool]:
    """Insert row inside a savepoint; if a unique constraint says another request (or an
    earlier click) made it first, return that row instead. Returns (row, inserted).

    The caller checks for an existing row first, as the common case; this is for the race
    where two transactions both found none. When find_existing still finds nothing after a
    unique violation, the violation was about something else and is raised."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        existing = find_existing()
        if existing is None:
            raise
        return existing, False
    return row, True


def flush_or_refuse(error: Exception, row: object | None = None) -> None:
    """Add row (if given) and flush inside a savepoint; a unique violation, which a racing
    request causes by writing the same key first, raises `error` (a form message) instead of
    a server error, and the rest of the transaction stays usable."""
    try:
        with db.session.begin_nested():
            if row is not None:
                db.session.add(row)
    except IntegrityError as exc:
        raise error from exc
