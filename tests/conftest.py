"""Fixtures: one fresh database per test session (SQLite file or a new PostgreSQL
database on the server named by DATABASE_URL), migrated once, places loaded once,
every other table emptied after each test."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url

from lms import create_app
from lms.core.extensions import db, limiter

# Test data (factories, the auth helper and their fixtures) lives in tests/factories.py, and the
# certificate signing-key fixture in tests/cert_helpers.py; both load for every test file.
pytest_plugins = ["tests.factories", "tests.cert_helpers"]
# Imported below before pytest loads it as a plugin, so its asserts are marked for rewriting first.
pytest.register_assert_rewrite("tests.factories")

ARTIFACTS = Path(__file__).parent / "artifacts"
# Loaded once per session and kept between tests: places and the shipped course content.
CONTENT_TABLES = {"courses", "modules", "course_modules", "lessons", "questions", "question_versions"}
KEEP_TABLES = {"provinces", "communes", "alembic_version"} | CONTENT_TABLES


def _postgres_admin_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    import psycopg

    name = f"lms_test_{uuid.uuid4().hex[:10]}"
    admin_url = _postgres_admin_url(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    test_url = make_url(url).set(drivername="postgresql+psycopg", database=name)
    yield test_url.render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "CERTIFICATE_DIR": str(tmp_path_factory.mktemp("certs"))}
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from lms.places.services import import_places, load_divisions

        import_places(load_divisions())
        from lms.catalog.services import sync_from_disk

        sync_from_disk()
        db.session.commit()
    # No app context stays pushed during tests: each request gets its own, as in production.
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                db.session.execute(delete(table))
        db.session.commit()
        limiter.reset()


def reset_content(app) -> None:
    """Drop every content row and load the shipped content again."""
    from lms.catalog.models import Question
    from lms.catalog.services import sync_from_disk

    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in {"provinces", "communes", "alembic_version"}:
                if table.name == "questions":
                    db.session.execute(Question.__table__.update().values(current_version_id=None))
                db.session.execute(delete(table))
        sync_from_disk()
        db.session.commit()


@pytest.fixture
def content_changes(app):
    """For tests that sync other content: the shipped content is restored afterwards."""
    yield
    reset_content(app)


@pytest.fixture
def make_app(database_url):
    """Build extra apps (other config) on the test database; their engines are closed and the
    shared limiter is given back to the session app afterwards."""
    made = []
    saved_limiter = dict(limiter.__dict__)

    def build(**config):
        extra = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **config})
        made.append(extra)
        return extra

    yield build
    for extra in made:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()
    limiter.__dict__.clear()
    limiter.__dict__.update(saved_limiter)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
