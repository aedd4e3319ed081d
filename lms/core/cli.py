"""The `flask lms` command group. Each feature adds its commands to it (its own cli.py,
imported by its init_app); the commands that span features (init, demo) are in lms/commands.py."""

from __future__ import annotations

import sys
from typing import NoReturn

import click


@click.group("lms", help="Lệnh quản trị Học số cộng đồng (administration commands).")
@click.pass_context
def lms_cli(ctx: click.Context) -> None:
    # Runs before any subcommand (not for --help): a deployment missing a required setting stops
    # here with one line that says what to set.
    from flask.cli import ScriptInfo

    app = ctx.ensure_object(ScriptInfo).load_app()
    for problem in app.config.get("CONFIGURATION_PROBLEMS", []):
        fail(f"Cấu hình chưa đủ: {problem}")


def fail(message: str) -> NoReturn:
    """Print an error in red and exit non-zero."""
    click.secho(message, fg="red", err=True)
    sys.exit(1)
