"""The `lms` command (pyproject's console script), above the app assembly: `flask --app wsgi …` without the flags.

`lms init`, `lms backup PATH`, `lms content-sync` … are the `flask lms` commands, and
Flask's own are there too: `lms db upgrade`, `lms run`, `lms shell`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    from lms.app import create_app

    return create_app()


class LmsGroup(FlaskGroup):
    """Flask's command group with the `lms` group's commands lifted to the top level."""

    def _lms_group(self, ctx: click.Context) -> click.Group | None:
        group = super().get_command(ctx, "lms")
        return group if isinstance(group, click.Group) else None

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx)) - {"lms"}
        group = self._lms_group(ctx)
        return sorted(names | set(group.list_commands(ctx) if group else ()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None or name == "lms":
            return command
        group = self._lms_group(ctx)
        return group.get_command(ctx, name) if group else None


cli = LmsGroup(
    create_app=_create_app,
    add_version_option=False,
    help="Học số cộng đồng: lệnh quản trị (administration commands). `lms COMMAND --help` for each.",
)


def main() -> None:
    cli.main(prog_name="lms")
