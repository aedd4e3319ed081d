"""`flask lms` commands."""

from sqlalchemy import select

from lms.accounts.models import User
from lms.core.extensions import db


def test_every_command_has_help(runner):
    for command in ("init", "create-user", "places-import", "demo"):
        result = runner.invoke(args=["lms", command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage" in result.output


def test_init_creates_first_admin_and_reports_places(app, runner):
    result = runner.invoke(args=["lms", "init", "--admin-phone", "0911 222 333", "--admin-password", "quan-tri-123"])
    assert result.exit_code == 0, result.output
    assert "34 tỉnh/thành phố, 3321 xã/phường/đặc khu" in result.output
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.phone == "+84911222333"))
        assert admin.is_admin


def test_create_user_fails_with_nonzero_exit_on_bad_input(runner):
    result = runner.invoke(args=["lms", "create-user", "--phone", "024 3825 1234", "--name", "Ai Đó"])
    assert result.exit_code == 1
    assert "số máy bàn" in result.output
    ok = runner.invoke(
        args=[
            "lms",
            "create-user",
            "--phone",
            "0911222334",
            "--name",
            "Cán Bộ Xã",
            "--role",
            "commune_official",
            "--commune",
            "00004",
        ]
    )
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(args=["lms", "create-user", "--phone", "0911222334", "--name", "Cán Bộ Xã"])
    assert again.exit_code == 1
    unknown = runner.invoke(
        args=[
            "lms",
            "create-user",
            "--phone",
            "0911222335",
            "--name",
            "Cán Bộ Tỉnh",
            "--role",
            "province_official",
            "--province",
            "99",
        ]
    )
    assert unknown.exit_code == 1


def test_places_import_rejects_a_broken_file(runner, tmp_path):
    broken = tmp_path / "places.json"
    broken.write_text('{"not": "a list"}', encoding="utf-8")
    result = runner.invoke(args=["lms", "places-import", str(broken)])
    assert result.exit_code == 1
    assert "Lỗi khi nạp địa giới" in result.output


def test_demo_prints_four_accounts(runner):
    result = runner.invoke(args=["lms", "demo"])
    assert result.exit_code == 0, result.output
    for phone in ("0900000001", "0900000002", "0900000003", "0900000004"):
        assert phone in result.output
