"""`flask lms rollups-rebuild`: recompute the dashboards' counters from the records."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from lms.core.cli import lms_cli
from lms.core.extensions import db
from lms.reports import rollups


@lms_cli.command("rollups-rebuild")
@with_appcontext
def rollups_rebuild_command() -> None:
    """Recompute every rollup counter from enrolments, completions, certificates and households,
    in one transaction: the dashboards show the old numbers until the new ones are committed."""
    started = time.perf_counter()
    counts = rollups.rebuild()
    db.session.commit()
    click.echo(
        f"Đã tính lại {counts['rollups']} dòng số liệu, {counts['weeks']} dòng theo tuần, "
        f"{counts['days']} dòng số ngày hoàn thành và {counts['households']} hộ gia đình "
        f"trong {time.perf_counter() - started:.1f} giây."
    )
