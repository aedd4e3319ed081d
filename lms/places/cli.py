"""`flask lms places-import`: provinces and communes from the national list."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.core.cli import fail, lms_cli
from lms.core.errors import DomainError
from lms.core.extensions import db
from lms.places.services import import_places, load_divisions


def import_and_commit(path: Path | None) -> tuple[int, int]:
    counts = import_places(load_divisions(path))
    db.session.commit()
    return counts


@lms_cli.command("places-import")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def places_import_command(path: Path | None) -> None:
    """Load or update provinces and communes (2025 list) by code; PATH is an optional JSON file."""
    try:
        provinces, communes = import_and_commit(path)
    except (DomainError, KeyError, ValueError) as error:
        db.session.rollback()
        fail(f"Lỗi khi nạp địa giới: {error}")
    click.echo(f"Đã nạp {provinces} tỉnh/thành phố và {communes} xã/phường/đặc khu.")
