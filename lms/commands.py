"""Commands that span features: `flask lms init` (a new deployment) and `flask lms demo`."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from lms.accounts.models import Role, User
from lms.accounts.phone import normalize_phone
from lms.accounts.services import create_account
from lms.catalog.services import ContentInvalid, sync_from_disk
from lms.certificates.keyring import ensure_signing_key
from lms.core.cli import fail, lms_cli
from lms.core.errors import DomainError
from lms.core.extensions import db
from lms.places.cli import import_and_commit
from lms.places.models import Commune, Province, Team, TeamMembership, Village


def init_app(app: Flask) -> None:
    lms_cli.add_command(init_command)
    lms_cli.add_command(demo_command)


def _upgrade() -> None:
    from flask_migrate import upgrade

    upgrade()


def _sync_content() -> None:
    try:
        report = sync_from_disk()
    except ContentInvalid as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise DomainError("nội dung khóa học có lỗi; chạy flask lms content-check") from error
    db.session.commit()
    click.echo("Nội dung: " + "; ".join(report.lines()))


def _ensure_certificate_key() -> None:
    path, created = ensure_signing_key()
    if created:
        click.echo(f"Khóa ký giấy chứng nhận: đã tạo {path} (hãy sao lưu, không đưa vào kho mã).")


@click.command("init")
@click.option("--admin-phone", envvar="LMS_ADMIN_PHONE", help="Số di động của quản trị viên đầu tiên.")
@click.option("--admin-password", envvar="LMS_ADMIN_PASSWORD", help="Mật khẩu (mặc định: sinh ngẫu nhiên và in ra).")
@click.option("--admin-name", envvar="LMS_ADMIN_NAME", default="Quản trị viên", show_default=True)
@click.option(
    "--places-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Tệp JSON địa giới thay cho dữ liệu đóng gói sẵn.",
)
@with_appcontext
def init_command(admin_phone, admin_password, admin_name, places_file) -> None:
    """Migrate the database, load provinces and communes, create the first admin."""
    try:
        _upgrade()
        provinces, communes = import_and_commit(places_file)
        click.echo(f"Địa giới: {provinces} tỉnh/thành phố, {communes} xã/phường/đặc khu.")
        _sync_content()
        _ensure_certificate_key()
        if admin_phone:
            password = admin_password or secrets.token_urlsafe(9)
            user = create_account(admin_phone, admin_name, password, Role.ADMIN)
            db.session.commit()
            click.echo(f"Quản trị viên: {user.phone}" + ("" if admin_password else f" / mật khẩu: {password}"))
    except DomainError as error:
        db.session.rollback()
        fail(f"Lỗi: {error.message}")
    click.echo("Xong.")


DEMO_COMMUNE = "00004"  # Phường Ba Đình, Thành phố Hà Nội


@click.command("demo")
@click.option("--reset-passwords", is_flag=True, help="Đặt mật khẩu mới cho các tài khoản demo đã có (và in ra).")
@with_appcontext
def demo_command(reset_passwords: bool) -> None:
    """Set up a demo: migrate, load places and content, create four demo accounts and print them.

    Run again, it keeps the accounts' passwords (printed the first time) unless --reset-passwords."""

    try:
        _upgrade()
        if not db.session.scalar(select(func.count()).select_from(Commune)):
            import_and_commit(None)
            loaded = "đã nạp"
        else:
            loaded = "đã có sẵn"
        provinces = db.session.scalar(select(func.count()).select_from(Province))
        communes = db.session.scalar(select(func.count()).select_from(Commune))
        communes_text = f"{communes:,}".replace(",", ".")  # Vietnamese thousands: 3.321
        click.echo(f"Địa giới ({loaded}): {provinces} tỉnh/thành phố, {communes_text} xã/phường/đặc khu.")
        _sync_content()
        _ensure_certificate_key()
        accounts = [
            ("0900000001", "Quản Trị Viên", "admin", None, None),
            ("0900000002", "Nguyễn Văn Bình", "commune_official", None, DEMO_COMMUNE),
            ("0900000003", "Trần Thị Hoa", "learner", None, DEMO_COMMUNE),
            ("0900000004", "Lê Văn Nam", "learner", None, DEMO_COMMUNE),
        ]
        printed: list[tuple[str, str, str, str | None]] = []
        for phone, name, role, province, commune in accounts:
            existing = db.session.scalar(select(User.id).where(User.phone == normalize_phone(phone)))
            if existing is not None and not reset_passwords:
                printed.append((phone, name, role, None))  # its password stays what the first run printed
                continue
            password = secrets.token_urlsafe(9)
            account_role = Role(role) if role != "learner" else None
            create_account(phone, name, password, account_role, province_code=province, commune_code=commune, reset_existing=True)
            printed.append((phone, name, role, password))
        db.session.flush()
        village = db.session.scalar(select(Village).where(Village.commune_code == DEMO_COMMUNE))
        if village is None:
            village = Village(commune_code=DEMO_COMMUNE, name="Tổ dân phố số 1", kind="tổ dân phố")
            db.session.add(village)
            db.session.flush()
        team = db.session.scalar(select(Team).where(Team.village_id == village.id))
        if team is None:
            team = Team(village_id=village.id, commune_code=DEMO_COMMUNE, name="Tổ công nghệ số cộng đồng")
            db.session.add(team)
            db.session.flush()
        member = db.session.execute(select(User).where(User.phone == "+84900000003")).scalar_one()
        if not db.session.scalar(select(TeamMembership).where(TeamMembership.user_id == member.id)):
            db.session.add(TeamMembership(team_id=team.id, user_id=member.id, is_leader=True))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        fail(f"Lỗi: {error.message}")
    labels = {"admin": "quản trị viên", "commune_official": "cán bộ xã (Phường Ba Đình, Hà Nội)", "learner": "học viên"}
    click.echo("Tài khoản demo (đăng nhập bằng số điện thoại và mật khẩu):")
    for i, (phone, name, role, kept_or_new) in enumerate(printed):
        label = labels[role]
        if i == 2:
            label = "tổ trưởng Tổ CNSCĐ"
        elif i == 3:
            label = "người dân"
        shown = kept_or_new if kept_or_new is not None else "không đổi (như lần chạy trước)"
        click.echo(f"  {label:<40} {phone}  mật khẩu: {shown}  ({name})")
    if any(entry[3] is None for entry in printed):
        click.echo("Mật khẩu của tài khoản đã có được giữ nguyên; thêm --reset-passwords để đặt mật khẩu mới.")
    click.echo("Mở http://127.0.0.1:5000 để dùng thử.")
