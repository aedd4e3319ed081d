"""A deployment missing a required setting: `--help` still works, a command or a server stops with
one line saying what to set, and no page is ever served."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent


def _bare_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "FLASK_")) and k not in ("SECRET_KEY",)}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=_bare_env(), capture_output=True, text=True, timeout=120)  # noqa: S603


def test_help_works_without_any_configuration():
    result = _run(sys.executable, "-m", "flask", "--app", "wsgi", "lms", "--help")
    assert result.returncode == 0, result.stderr
    assert "content-check" in result.stdout and "Traceback" not in result.stderr


def test_a_command_without_secret_key_says_what_to_set_in_one_line():
    result = _run(sys.executable, "-m", "flask", "--app", "wsgi", "lms", "content-check")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "Cấu hình chưa đủ: SECRET_KEY must be set in production (environment variable SECRET_KEY, a long random string)."
    ]


def test_the_server_entry_point_refuses_in_one_line():
    result = _run(sys.executable, "-c", "import wsgi")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "Học số cộng đồng: SECRET_KEY must be set in production (environment variable SECRET_KEY, a long random string)."
    )


def test_an_app_built_for_a_command_never_serves_a_page(monkeypatch):
    from lms import create_app
    from lms.core import config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", None)
    with click.Context(click.Command("help")):
        app = create_app(
            {"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://", "PUBLIC_BASE_URL": "https://hocso.example.gov.vn"}
        )
    response = app.test_client().get("/privacy", base_url="https://hocso.example.gov.vn")
    assert response.status_code == 503
    assert "SECRET_KEY must be set in production" in response.text
