"""The `flask lms` command group. Each feature adds its commands to it (its own cli.py,
imported by its init_app); the commands that span features (init, demo) are in lms/commands.py."""

from __future__ import annotations

import sys
from typing import NoReturn

import click


@click.group("lms", help="Lệnh quản trị Học số cộng đồng (administration commands).")
def lms_cli() -> None:
    pass


def fail(message: str) -> NoReturn:
    """Print an error in red and exit non-zero."""
    click.secho(message, fg="red", err=True)
    sys.exit(1)
