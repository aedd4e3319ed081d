"""`flask lms backup`, `flask lms restore` and `flask lms version`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.core.cli import fail, lms_cli
from lms.core.extensions import db
from lms.ops import backup as backups
from lms.ops.version import version


@lms_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Ghi đè tệp sao lưu đã có.")
@with_appcontext
def backup_command(path: Path, overwrite: bool) -> None:
    """Back up the database to PATH while the app runs.

    SQLite: a consistent copy of the file (online backup API). PostgreSQL: pg_dump in its
    custom format (restore with pg_restore; see docs/deploy.md)."""
    if path.exists() and not overwrite:
        fail(f"Lỗi: {path} đã có; chọn tên khác hoặc thêm --overwrite.")
    url = db.engine.url
    try:
        database = backups.sqlite_file(url)
        if database is not None:
            backups.backup_sqlite(database, path)
            click.echo(f"Đã sao lưu {database} vào {path} ({path.stat().st_size} byte).")
            return
    except backups.BackupFailed as error:
        fail(f"Lỗi: {error.message}")
    command = backups.pg_dump_command(url, path)
    if not backups.has_program("pg_dump"):
        fail(
            f"Lỗi: không tìm thấy pg_dump (gói postgresql-client). Cài nó rồi chạy lại, hoặc sao lưu bằng lệnh: {command.shown()}"
        )
    result = subprocess.run(command.argv, env={**os.environ, **command.env}, check=False)  # noqa: S603
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        fail(f"Lỗi: pg_dump thất bại (mã {result.returncode}).")
    click.echo(f"Đã sao lưu PostgreSQL vào {path} ({path.stat().st_size} byte).")
    click.echo("Khôi phục (khi ứng dụng đã dừng): " + backups.pg_restore_command(url, path).shown())


@lms_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Không hỏi lại.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH. Stop the web app and workers first;
    the replaced content is kept beside the database. PostgreSQL: prints the pg_restore command."""
    url = db.engine.url
    try:
        database = backups.sqlite_file(url)
    except backups.BackupFailed as error:
        fail(f"Lỗi: {error.message}")
    if database is None:
        fail(
            "Lỗi: khôi phục PostgreSQL không tự động (dễ mất dữ liệu). Dừng ứng dụng rồi chạy: "
            + backups.pg_restore_command(url, path).shown()
        )
    if not yes:
        click.confirm(f"Thay toàn bộ dữ liệu trong {database} bằng {path}?", abort=True)
    db.session.remove()
    db.engine.dispose()  # no pooled connection keeps pages of the old content
    try:
        kept = backups.restore_sqlite(path.resolve(), database)
    except (backups.BackupFailed, OSError) as error:
        fail(f"Lỗi: {getattr(error, 'message', error)}")
    click.echo(f"Đã khôi phục {database} từ {path}. Dữ liệu cũ giữ ở {kept}.")


@lms_cli.command("version")
def version_command() -> None:
    """Print the running version."""
    click.echo(version())
