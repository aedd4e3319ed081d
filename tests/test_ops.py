"""Operations: the client address behind a reverse proxy, health, readiness and metrics,
robots.txt and favicon, the version in the footer, and backup and restore."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import tomllib
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from lms.ops import backup as backups
from tests.factories import Auth, next_phone

ROOT = Path(__file__).resolve().parent.parent
OPS_REDIS_URL = "redis://127.0.0.1:6379/12"
PROXY = "127.0.0.1"  # nginx on the same machine


def _version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def _login_via(app, forwarded_for: str, phone: str, password: str = "mat-khau-123"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROXY
    client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Auth(client).login(phone, password)


# Proxy


def test_logins_from_twelve_clients_behind_one_trusted_proxy_are_twelve_buckets(make_app, factory):
    proxied = make_app(PROXY_FIX_X_FOR=1, LOGIN_RATE_LIMIT="10 per minute")
    phone = next_phone()
    factory.user(phone=phone)
    statuses = [_login_via(proxied, f"198.51.100.{i + 1}", phone).status_code for i in range(12)]
    assert statuses == [302] * 12


def test_the_per_address_limit_still_holds_for_one_client_behind_the_proxy(make_app, factory):
    proxied = make_app(PROXY_FIX_X_FOR=1, LOGIN_RATE_LIMIT="10 per minute")
    phone = next_phone()
    factory.user(phone=phone)
    statuses = [_login_via(proxied, "198.51.100.77", phone).status_code for _ in range(11)]
    assert statuses == [302] * 10 + [429]


def test_the_login_back_off_keys_on_the_forwarded_client(make_app, factory):
    proxied = make_app(PROXY_FIX_X_FOR=1)
    phone = next_phone()
    factory.user(phone=phone)
    statuses = [_login_via(proxied, "203.0.113.9", phone, f"sai-{i}").status_code for i in range(6)]
    assert statuses == [422] * 5 + [429]
    # The owner, behind the same proxy but from another address, is not slowed by the guesser.
    assert _login_via(proxied, "198.51.100.21", phone).status_code == 302


def test_without_the_setting_a_forwarded_for_header_is_ignored(make_app, factory):
    """Nobody may pick their own bucket by sending X-Forwarded-For to an app with no proxy."""
    direct = make_app(LOGIN_RATE_LIMIT="10 per minute")
    phone = next_phone()
    factory.user(phone=phone)
    statuses = [_login_via(direct, f"198.51.100.{i + 1}", phone).status_code for i in range(12)]
    assert statuses == [302] * 10 + [429, 429]


def test_only_as_many_hops_as_trusted_proxies_are_believed(make_app, factory):
    """A client that writes its own X-Forwarded-For gets it prefixed to what nginx appends:
    with one trusted proxy only nginx's hop counts, so forging the first hop buys nothing."""
    proxied = make_app(PROXY_FIX_X_FOR=1, LOGIN_RATE_LIMIT="10 per minute")
    phone = next_phone()
    factory.user(phone=phone)
    statuses = [_login_via(proxied, f"10.9.9.{i + 1}, 198.51.100.5", phone).status_code for i in range(11)]
    assert statuses == [302] * 10 + [429]


# Health, readiness, metrics


def test_healthz_answers_with_the_version(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "version": _version()}


def test_the_footer_shows_the_version(client):
    assert f'<span class="version">v{_version()}</span>' in client.get("/").text


def test_readyz_checks_the_database_and_says_redis_is_not_configured(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
    assert response.json["redis"] == "not configured"


def test_readyz_is_unavailable_when_the_configured_redis_does_not_answer(make_app):
    broken = make_app(REDIS_URL="redis://127.0.0.1:1/0", RATELIMIT_STORAGE_URI="memory://")
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["redis"].startswith("error")
    assert response.json["database"] == "ok"


@pytest.fixture
def ops_redis():
    import redis

    # Redis runs on the project's machines and .ci/test starts one when it is missing: never skip.
    connection = redis.Redis.from_url(OPS_REDIS_URL)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def _waiting_job(connection, queue_name: str) -> None:
    from rq import Queue

    Queue(queue_name, connection=connection).enqueue("builtins.print", "x")


def test_readyz_reports_queue_depth_and_the_oldest_job(make_app, ops_redis):
    with_redis = make_app(REDIS_URL=OPS_REDIS_URL)
    _waiting_job(ops_redis, "certificates")
    _waiting_job(ops_redis, "certificates")
    response = with_redis.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["redis"] == "ok"
    queue = response.json["queues"]["certificates"]
    assert queue["depth"] == 2
    assert queue["oldest_age_seconds"] >= 0
    assert queue["failed"] == 0


def test_metrics_from_this_machine_show_latency_per_endpoint_and_queues(make_app, ops_redis):
    with_redis = make_app(REDIS_URL=OPS_REDIS_URL)
    client = with_redis.test_client()
    client.get("/healthz")
    _waiting_job(ops_redis, "certificates")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.text
    assert 'lms_request_duration_seconds_count{endpoint="ops.health",method="GET"}' in text
    assert 'lms_responses_total{endpoint="ops.health",method="GET",status="200"}' in text
    assert 'lms_queue_jobs{queue="certificates"} 1.0' in text
    assert "lms_redis_up 1.0" in text


def test_metrics_refused_from_elsewhere_and_through_a_proxy(client):
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.8"})
    assert outside.status_code == 403
    assert "lms_request_duration_seconds" not in outside.text
    assert "Không có quyền truy cập" in outside.text
    # nginx on this machine forwarding someone else's request: still refused.
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.8"})
    assert proxied.status_code == 403


def test_metrics_with_a_token_need_the_token_even_from_this_machine(make_app):
    guarded = make_app(METRICS_TOKEN="bi-mat-cua-prometheus")
    client = guarded.test_client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer sai"}).status_code == 403
    allowed = client.get(
        "/metrics", headers={"Authorization": "Bearer bi-mat-cua-prometheus"}, environ_base={"REMOTE_ADDR": "198.51.100.8"}
    )
    assert allowed.status_code == 200
    assert "lms_responses_total" in allowed.text


def test_robots_txt_keeps_crawlers_to_the_public_pages(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /" in lines
    assert "Allow: /$" in lines


def test_favicon_ico_is_the_project_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.data == (ROOT / "lms/core/static/favicon.svg").read_bytes()
    assert "max-age=604800" in response.headers["Cache-Control"]
    response.close()


# Backup and restore


def _name_of(app, user_id) -> str:
    from lms.accounts.models import User

    with app.app_context():
        return db.session.scalar(select(User.full_name).where(User.id == user_id))


def _rename(app, user_id, name) -> None:
    from lms.accounts.models import User

    with app.app_context():
        db.session.get(User, user_id).full_name = name
        db.session.commit()


def test_backup_then_restore_brings_the_data_back(app, factory, runner, tmp_path):
    uid = factory.user(name="Trần Thị Sao Lưu")
    target = tmp_path / "lms-backup.db"
    made = runner.invoke(args=["lms", "backup", str(target)])
    assert made.exit_code == 0, made.output
    assert "Đã sao lưu" in made.output
    assert target.stat().st_size > 0
    _rename(app, uid, "Tên Đã Bị Đổi")
    assert _name_of(app, uid) == "Tên Đã Bị Đổi"

    with app.app_context():
        url = db.engine.url
        db.session.remove()
        db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        restored = runner.invoke(args=["lms", "restore", str(target), "--yes"])
        assert restored.exit_code == 0, restored.output
        assert "Đã khôi phục" in restored.output
        assert list(Path(url.database).parent.glob("*.before-restore-*"))
    else:
        # PostgreSQL is restored by hand with the command the tool prints (docs/deploy.md).
        refused = runner.invoke(args=["lms", "restore", str(target), "--yes"])
        assert refused.exit_code == 1
        assert "pg_restore --clean" in refused.output
        command = backups.pg_restore_command(url, target)
        assert subprocess.run(command.argv, env={"PATH": "/usr/bin:/bin", **command.env}, check=False).returncode == 0  # noqa: S603
    assert _name_of(app, uid) == "Trần Thị Sao Lưu"


def test_backup_refuses_to_overwrite_a_file(runner, tmp_path):
    target = tmp_path / "exists.db"
    target.write_bytes(b"earlier backup")
    result = runner.invoke(args=["lms", "backup", str(target)])
    assert result.exit_code == 1
    assert "--overwrite" in result.output
    assert target.read_bytes() == b"earlier backup"


def _small_database(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
        connection.execute("CREATE TABLE notes (body TEXT)")
        connection.execute("INSERT INTO notes VALUES ('đã lưu')")
        connection.commit()


def test_a_sqlite_backup_taken_during_a_write_holds_only_committed_data(tmp_path):
    live = tmp_path / "live.db"
    _small_database(live)
    with closing(sqlite3.connect(live, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")  # a request in the middle of its transaction
        writer.execute("INSERT INTO notes VALUES ('chưa lưu')")
        backups.backup_sqlite(live, tmp_path / "copy.db")
        writer.execute("COMMIT")
    with closing(sqlite3.connect(tmp_path / "copy.db")) as copy:
        assert [row[0] for row in copy.execute("SELECT body FROM notes")] == ["đã lưu"]


def test_restore_refuses_a_file_that_is_not_a_backup_and_keeps_the_data(tmp_path):
    live = tmp_path / "live.db"
    _small_database(live)
    stranger = tmp_path / "other.db"
    with closing(sqlite3.connect(stranger)) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.commit()
    (tmp_path / "junk.db").write_bytes(b"not a database at all " * 100)
    for wrong in (stranger, tmp_path / "junk.db"):
        with pytest.raises(backups.BackupFailed):
            backups.restore_sqlite(wrong, live)
    with closing(sqlite3.connect(live)) as connection:
        assert [row[0] for row in connection.execute("SELECT body FROM notes")] == ["đã lưu"]


def test_backup_of_postgresql_without_pg_dump_prints_the_command(make_app, tmp_path, monkeypatch):
    pg_app = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://lms:mat-khau@db.example/lms_{uuid.uuid4().hex[:6]}")
    monkeypatch.setattr(backups, "has_program", lambda name: False)
    result = pg_app.test_cli_runner().invoke(args=["lms", "backup", str(tmp_path / "lms.dump")])
    assert result.exit_code == 1
    assert "pg_dump --format=custom" in result.output
    assert "mat-khau" not in result.output  # the password goes in PGPASSWORD, never on screen


# The deployment kit's files


def test_the_env_example_lists_every_setting_of_the_readme():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n\n## ", 1)[0]
    documented = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            documented |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    example = (ROOT / "deploy/hocso.env.example").read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, re.M))
    aliases = {"LMS_RATELIMIT", "LMS_CERT_SIGNING_KEY", "LMS_CERT_TEMPLATE_DIR", "LMS_CERT_NAME_MASKING"}
    aliases |= {"LMS_CERT_VERIFY_RATE_LIMIT", "LMS_CERT_DOWNLOAD_RATE_LIMIT"}
    assert {"LMS_PROXY_FIX_X_FOR", "LMS_METRICS_TOKEN", "SECRET_KEY", "LMS_PUBLIC_URL"} <= documented
    assert sorted(documented - aliases - listed) == []


def test_nginx_accepts_no_bigger_body_than_the_app():
    from lms.core.config import BaseConfig
    from lms.places.rosters import DEFAULTS

    site = (ROOT / "deploy/nginx-hocso.conf").read_text()
    # The server's limit is the app's; the roster upload route alone takes files up to the
    # app's roster limit plus the rest of its form.
    server_wide, *per_route = re.findall(r"client_max_body_size (\d+)m;", site)
    assert int(server_wide) * 1024 * 1024 == BaseConfig.MAX_CONTENT_LENGTH
    [roster_route] = per_route
    assert "location = /rosters/new" in site.split(f"client_max_body_size {roster_route}m;")[0].rsplit("}", 1)[-1]
    assert int(roster_route) * 1024 * 1024 > DEFAULTS["ROSTER_MAX_BYTES"] + 64 * 1024 > int(roster_route) * 1024 * 1024 - 2**20


# Packaging


def _requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_pyproject_declares_the_requirements_with_upper_bounds():
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    assert project["dependencies"] == _requirements()
    assert project["scripts"]["lms"] == "lms.console:main"
    for spec in _requirements():
        assert "<" in spec or "==" in spec, f"{spec} has no upper bound"
    assert "weasyprint>=70.0,<70.1" in _requirements()  # one minor: its rendering changes between versions
    assert "vietnam-provinces==2025.10.1" in _requirements()  # place data must not change under an install


def test_the_lms_command_runs_the_flask_lms_commands_without_app_flags(database_url, make_app, monkeypatch):
    """(make_app: gives the shared limiter back to the session app afterwards.)"""
    from click.testing import CliRunner

    from lms.console import cli

    monkeypatch.setenv("LMS_ENV", "testing")
    monkeypatch.setenv("DATABASE_URL", database_url)
    listed = CliRunner().invoke(cli, ["--help"])
    assert listed.exit_code == 0, listed.output
    for command in ("init", "backup", "restore", "content-sync", "cert-worker", "db", "run"):
        assert f"  {command} " in listed.output
    shown = CliRunner().invoke(cli, ["version"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.strip() == _version()


def _locked(lock: Path) -> dict[str, set[str]]:
    from packaging.utils import canonicalize_name

    pins: dict[str, set[str]] = {}
    for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", lock.read_text(), re.M):
        pins.setdefault(canonicalize_name(name), set()).add(version)
    return pins


@pytest.mark.parametrize("source", ["requirements.txt", "requirements-dev.txt"])
def test_the_lock_file_pins_every_requirement_within_its_bounds(source):
    """A requirement added or re-bounded without compiling the lock again fails here
    (the command is at the top of the .lock file)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = _locked(ROOT / source.replace(".txt", ".lock"))
    for line in (ROOT / source).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        versions = pins.get(canonicalize_name(requirement.name), set())
        assert any(requirement.specifier.contains(v, prereleases=True) for v in versions), (
            f"{source}: {line} is not in the lock (locked: {sorted(versions) or 'nothing'})"
        )
