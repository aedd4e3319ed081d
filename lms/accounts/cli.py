"""`flask lms reset-code`: the reset path for accounts no one may reset from the web."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.accounts import services
from lms.core.cli import lms_cli
from lms.core.errors import DomainError
from lms.core.extensions import db


@lms_cli.command("reset-code")
@click.option("--phone", required=True, help="Số điện thoại của tài khoản cần đặt lại mật khẩu.")
@with_appcontext
def reset_code_command(phone: str) -> None:
    """Issue a one-time reset code on the server, for any account (admins included).

    Only someone with shell access to the server can run it; the code is audited like one
    issued from the web, with no actor and via=server."""
    try:
        person = services.find_user_by_phone(phone)
        if person is None:
            raise DomainError("không có tài khoản với số này")
        code = services.issue_reset_code_from_server(person)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        click.secho(f"Lỗi: {error.message}", fg="red", err=True)
        sys.exit(1)
    minutes = current_app.config["RESET_CODE_MINUTES"]
    click.echo(f"Mã đặt lại cho {person.full_name} ({person.phone}): {code} (dùng một lần, trong {minutes} phút, tại /reset)")
