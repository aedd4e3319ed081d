"""`flask lms create-user` and `flask lms reset-code`: accounts made or recovered on the server."""

from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.accounts import services
from lms.accounts.models import Role
from lms.core.cli import fail, lms_cli
from lms.core.errors import DomainError
from lms.core.extensions import db


@lms_cli.command("create-user")
@click.option("--phone", required=True, help="Số di động, ví dụ 0912345678.")
@click.option("--name", required=True, help="Họ và tên.")
@click.option("--password", help="Mật khẩu (mặc định: sinh ngẫu nhiên và in ra).")
@click.option(
    "--role",
    type=click.Choice(["learner", "commune_official", "province_official", "admin"]),
    default="learner",
    show_default=True,
)
@click.option("--province", help="Mã tỉnh (2 chữ số) cho cán bộ tỉnh.")
@click.option("--commune", help="Mã xã (5 chữ số): xã cư trú, hoặc xã quản lý của cán bộ xã.")
@with_appcontext
def create_user_command(phone, name, password, role, province, commune) -> None:
    """Create an account, optionally with an official or admin role."""
    chosen = password or secrets.token_urlsafe(9)
    try:
        user = services.create_account(
            phone, name, chosen, Role(role) if role != "learner" else None, province_code=province, commune_code=commune
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(f"Lỗi: {error.message}")
    click.echo(f"Đã tạo tài khoản {user.phone} ({role})" + ("" if password else f", mật khẩu: {chosen}"))


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
        fail(f"Lỗi: {error.message}")
    minutes = current_app.config["RESET_CODE_MINUTES"]
    click.echo(f"Mã đặt lại cho {person.full_name} ({person.phone}): {code} (dùng một lần, trong {minutes} phút, tại /reset)")
