"""Backups: a consistent copy of the SQLite file while the app runs (SQLite's online backup
API, which reads one snapshot however many writers are busy), restore of such a copy, and
pg_dump/pg_restore for PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL

from lms.core.errors import DomainError


class BackupFailed(DomainError):
    pass


def sqlite_file(url: URL) -> Path | None:
    """The database file, or None for another database."""
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupFailed("cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được")
    return Path(url.database).resolve()


def _copy(source: sqlite3.Connection, target: Path) -> None:
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    with closing(sqlite3.connect(part)) as copy:
        source.backup(copy)  # all pages in one step: one read snapshot, consistent
        _verify(copy, part)
    os.replace(part, target)


def _verify(connection: sqlite3.Connection, path: Path) -> None:
    try:
        [result] = connection.execute("PRAGMA integrity_check").fetchone()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise BackupFailed(f"{path} không phải cơ sở dữ liệu SQLite ({error})") from error
    if result != "ok":
        raise BackupFailed(f"{path} bị hỏng: {result}")
    if "alembic_version" not in tables:
        raise BackupFailed(f"{path} không phải cơ sở dữ liệu của Học số cộng đồng")


def backup_sqlite(database: Path, target: Path) -> None:
    """Copy the live database to `target` (written beside it, then renamed: never half a file)."""
    with closing(sqlite3.connect(database, timeout=30)) as source:
        _copy(source, target)


def restore_sqlite(backup: Path, database: Path) -> Path:
    """Put the backup's content into the database file; returns where the replaced content was
    kept. Stop the app processes and workers first (docs/deploy.md)."""
    with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as source:
        _verify(source, backup)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = database.with_name(f"{database.name}.before-restore-{stamp}")
        backup_sqlite(database, kept)
        with closing(sqlite3.connect(database, timeout=30)) as live:
            source.backup(live)
    return kept


@dataclass(frozen=True)
class PgCommand:
    argv: list[str]
    env: dict[str, str]

    def shown(self) -> str:
        return " ".join(self.argv)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    plain = url.set(drivername="postgresql")._replace(password=None)  # set() ignores a None
    env = {"PGPASSWORD": url.password} if url.password else {}
    return plain.render_as_string(hide_password=False), env


def pg_dump_command(url: URL, target: Path) -> PgCommand:
    dsn, env = _libpq(url)
    return PgCommand(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", f"--dbname={dsn}"], env)


def pg_restore_command(url: URL, backup: Path) -> PgCommand:
    dsn, env = _libpq(url)
    argv = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={dsn}", str(backup)]
    return PgCommand(argv, env)


def has_program(name: str) -> bool:
    return shutil.which(name) is not None
