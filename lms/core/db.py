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
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import Select, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from lms.core.errors import ValidationFailed
from lms.core.extensions import db
from lms.core.text import vi_sort_key

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


# --- Vietnamese order -------------------------------------------------------------------


def _vi_collation(left: str, right: str) -> int:
    a, b = vi_sort_key(left), vi_sort_key(right)
    return (a > b) - (a < b)


# Once per row of a sort. A small cache of its own: it keeps the few place names that repeat on
# every row of a sort by commune, while people's names, each seen once, would only churn
# vi_sort_key's larger cache (and fill memory with keys of a scan).
_row_vi_sort_key = functools.lru_cache(maxsize=256)(vi_sort_key.__wrapped__)


def _vi_key(text: str | None) -> bytes | None:
    return _row_vi_sort_key(text) if isinstance(text, str) else None


@event.listens_for(Engine, "connect")
def _register_vi_collation(dbapi_connection, connection_record) -> None:
    # Every SQLite connection gets the "vi" collation (for COLLATE vi anywhere) and the vi_key()
    # function that vi_order sorts by: SQLite computes a function once per row and compares the
    # keys in C, while a collation calls Python for every comparison (n log n calls; ten times
    # slower on 100,000 different names).
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.create_collation("vi", _vi_collation)
        dbapi_connection.create_function("vi_key", 1, _vi_key, deterministic=True)


class _ViOrder(ColumnElement):
    """An expression in Vietnamese order (see vi_order)."""

    inherit_cache = True
    _traverse_internals = [("element", InternalTraversal.dp_clauseelement)]

    def __init__(self, element) -> None:
        self.element = coercions.expect(roles.ExpressionElementRole, element)
        self.type = self.element.type


@compiles(_ViOrder)
def _vi_order_default(element: _ViOrder, compiler, **kw) -> str:
    return compiler.process(element.element, **kw)


@compiles(_ViOrder, "postgresql")
def _vi_order_postgresql(element: _ViOrder, compiler, **kw) -> str:
    return f'{compiler.process(element.element, **kw)} COLLATE "vi-x-icu"'


@compiles(_ViOrder, "sqlite")
def _vi_order_sqlite(element: _ViOrder, compiler, **kw) -> str:
    return f"vi_key({compiler.process(element.element, **kw)})"


def vi_order(column) -> ColumnElement:
    """An ORDER BY expression that sorts a text column in Vietnamese order ("Cà Mau" before
    "Cao Bằng", "Dak Lak" before "Đà Nẵng", tones only breaking ties): COLLATE "vi-x-icu" on
    PostgreSQL, on SQLite the key vi_sort_key computes, through the vi_key() function registered on
    every connection (as is a "vi" collation giving the same order)."""
    return _ViOrder(column)


# --- pages of a listing -----------------------------------------------------------------

MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its rows, its number (from 1), the page size and the total count."""

    items: list[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        """The position (from 1) of the first row on this page, 0 when there are none."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.size + len(self.items)


def page_number(raw: str | None) -> int:
    """The page asked for in a query string: ASCII digits from 1 to MAX_PAGE, 1 when absent.
    Anything else is a ValidationFailed (a 400 with a message), never a server error."""
    if raw is None or raw == "":
        return 1
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 7 or not 1 <= int(raw) <= MAX_PAGE:
        raise ValidationFailed(_("Số trang không hợp lệ: hãy dùng một số từ 1 trở lên."), field="page")
    return int(raw)


def paginate(stmt: Select, number: int, size: int, *, scalars: bool = True, total: int | None = None) -> Page:
    """Count the rows of stmt (unless the caller counted them, e.g. with a lighter query) and
    fetch page `number` of it; a page past the end shows the last page. stmt must carry an
    ORDER BY that ends on a unique column, so pages never overlap or skip a row. With
    scalars=False the items are rows rather than the first column's values."""
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // size))
    number = min(number, pages)
    window: Any = stmt.limit(size).offset((number - 1) * size)
    items: list[Any] = list(db.session.scalars(window)) if scalars else list(db.session.execute(window))
    return Page(items=items, number=number, size=size, total=total)
