"""The `flask lms` command group."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from lms.core.errors import DomainError
from lms.core.extensions import db


@click.group("lms", help="Lệnh quản trị Học số cộng đồng (administration commands).")
def lms_cli() -> None:
    pass


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def _upgrade() -> None:
    from flask_migrate import upgrade

    upgrade()


def _import_places(path: Path | None) -> tuple[int, int]:
    from lms.places.services import import_places, load_divisions

    counts = import_places(load_divisions(path))
    db.session.commit()
    return counts


def _sync_content() -> None:
    from lms.catalog.services import ContentInvalid, sync_from_disk

    try:
        report = sync_from_disk()
    except ContentInvalid as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise DomainError("nội dung khóa học có lỗi; chạy flask lms content-check") from error
    db.session.commit()
    click.echo("Nội dung: " + "; ".join(report.lines()))


def _ensure_certificate_key() -> None:
    from lms.certificates.keyring import ensure_signing_key

    path, created = ensure_signing_key()
    if created:
        click.echo(f"Khóa ký giấy chứng nhận: đã tạo {path} (hãy sao lưu, không đưa vào kho mã).")


def _create_user(
    phone: str,
    name: str,
    password: str | None,
    role: str | None,
    province: str | None,
    commune: str | None,
    reset_existing: bool = False,
):
    from lms.accounts import services
    from lms.accounts.models import Role, User
    from lms.accounts.phone import normalize_phone

    password = password or secrets.token_urlsafe(9)
    e164 = normalize_phone(phone)
    user = db.session.scalar(select(User).where(User.phone == e164))
    if user is None:
        user = services.register_user(
            phone=phone,
            password=password,
            full_name=name,
            consent=True,
            commune_code=commune if role != "province_official" else None,
        )
    elif reset_existing:
        user.password_hash = services._hash(password)
        user.session_version += 1
    else:
        raise DomainError(f"Số {phone} đã có tài khoản.")
    if role and role not in ("learner", "member", "team_leader"):
        services.assign_role(user, Role(role), province_code=province, commune_code=commune)
    return user, password


@lms_cli.command("init")
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
        provinces, communes = _import_places(places_file)
        click.echo(f"Địa giới: {provinces} tỉnh/thành phố, {communes} xã/phường/đặc khu.")
        _sync_content()
        _ensure_certificate_key()
        if admin_phone:
            user, password = _create_user(admin_phone, admin_name, admin_password, "admin", None, None)
            db.session.commit()
            click.echo(f"Quản trị viên: {user.phone}" + ("" if admin_password else f" / mật khẩu: {password}"))
    except DomainError as error:
        db.session.rollback()
        _fail(f"Lỗi: {error.message}")
    click.echo("Xong.")


@lms_cli.command("places-import")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def places_import_command(path: Path | None) -> None:
    """Load or update provinces and communes (2025 list) by code; PATH is an optional JSON file."""
    try:
        provinces, communes = _import_places(path)
    except (DomainError, KeyError, ValueError) as error:
        db.session.rollback()
        _fail(f"Lỗi khi nạp địa giới: {error}")
    click.echo(f"Đã nạp {provinces} tỉnh/thành phố và {communes} xã/phường/đặc khu.")


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
    try:
        user, password_used = _create_user(phone, name, password, role, province, commune)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        _fail(f"Lỗi: {error.message}")
    click.echo(f"Đã tạo tài khoản {user.phone} ({role})" + ("" if password else f", mật khẩu: {password_used}"))


DEMO_COMMUNE = "00004"  # Phường Ba Đình, Thành phố Hà Nội


@lms_cli.command("demo")
@with_appcontext
def demo_command() -> None:
    """Set up a demo: migrate, load places and content, create four demo accounts and print them."""
    from lms.accounts.models import User
    from lms.places.models import Team, TeamMembership, Village

    try:
        _upgrade()
        from lms.places.models import Commune

        if not db.session.scalar(select(func.count()).select_from(Commune)):
            _import_places(None)
        _sync_content()
        _ensure_certificate_key()
        accounts = [
            ("0900000001", "Quản Trị Viên", "admin", None, None),
            ("0900000002", "Nguyễn Văn Bình", "commune_official", None, DEMO_COMMUNE),
            ("0900000003", "Trần Thị Hoa", "learner", None, DEMO_COMMUNE),
            ("0900000004", "Lê Văn Nam", "learner", None, DEMO_COMMUNE),
        ]
        printed = []
        for phone, name, role, province, commune in accounts:
            user, password = _create_user(phone, name, None, role, province, commune, reset_existing=True)
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
        member = db.session.scalar(select(User).where(User.phone == "+84900000003"))
        if not db.session.scalar(select(TeamMembership).where(TeamMembership.user_id == member.id)):
            db.session.add(TeamMembership(team_id=team.id, user_id=member.id, is_leader=True))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        _fail(f"Lỗi: {error.message}")
    labels = {"admin": "quản trị viên", "commune_official": "cán bộ xã (Phường Ba Đình, Hà Nội)", "learner": "học viên"}
    click.echo("Tài khoản demo (đăng nhập bằng số điện thoại và mật khẩu):")
    for i, (phone, name, role, password) in enumerate(printed):
        label = labels[role]
        if i == 2:
            label = "tổ trưởng Tổ CNSCĐ"
        elif i == 3:
            label = "người dân"
        click.echo(f"  {label:<40} {phone}  mật khẩu: {password}  ({name})")
    click.echo("Mở http://127.0.0.1:5000 để dùng thử.")
