"""Fixtures: one fresh database per test session (SQLite file or a new PostgreSQL
database on the server named by DATABASE_URL), migrated once, places loaded once,
every other table emptied after each test."""

from __future__ import annotations

import itertools
import os
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import make_url

from lms import create_app
from lms.core.extensions import db, limiter

ARTIFACTS = Path(__file__).parent / "artifacts"
# Loaded once per session and kept between tests: places and the shipped course content.
CONTENT_TABLES = {"courses", "modules", "course_modules", "lessons", "questions", "question_versions"}
KEEP_TABLES = {"provinces", "communes", "alembic_version"} | CONTENT_TABLES
DEMO_COMMUNE = "00004"  # Phường Ba Đình, Hà Nội
OTHER_COMMUNE = "26506"  # Phường Vũng Tàu, Thành phố Hồ Chí Minh
_phones = itertools.count(1)


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


def next_phone() -> str:
    return f"09{next(_phones):08d}"


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)


class Factory:
    def __init__(self, app):
        self.app = app

    def user(
        self,
        *,
        phone=None,
        name="Nguyễn Văn An",
        password="mat-khau-123",
        commune=DEMO_COMMUNE,
        role=None,
        province=None,
        role_commune=None,
    ):
        from lms.accounts import services
        from lms.accounts.models import Role

        with self.app.app_context():
            user = services.register_user(
                phone=phone or next_phone(), password=password, full_name=name, consent=True, commune_code=commune
            )
            if role:
                services.assign_role(user, Role(role), province_code=province, commune_code=role_commune)
            db.session.commit()
            return user.id

    def village(self, commune=DEMO_COMMUNE, name="Thôn Đông"):
        from lms.places.models import Village

        with self.app.app_context():
            v = Village(commune_code=commune, name=name, kind="thôn")
            db.session.add(v)
            db.session.commit()
            return v.id

    def team(self, village_id, name="Tổ công nghệ số cộng đồng", members=(), leader=None):
        from lms.places.models import Team, TeamMembership, Village

        with self.app.app_context():
            village = db.session.get(Village, village_id)
            t = Team(village_id=village_id, commune_code=village.commune_code, name=name)
            db.session.add(t)
            db.session.flush()
            for uid in members:
                db.session.add(TeamMembership(team_id=t.id, user_id=uid, is_leader=(uid == leader)))
            db.session.commit()
            return t.id

    def get_user(self, user_id):
        from lms.accounts.models import User

        with self.app.app_context():
            user = db.session.get(User, user_id)
            if user is not None:
                db.session.expunge(user)
            return user

    def count(self, model, *where):
        with self.app.app_context():
            return len(db.session.scalars(select(model).where(*where)).all())


@pytest.fixture
def factory(app):
    return Factory(app)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, phone, password="mat-khau-123"):
        page = self.client.get("/login")
        return self.client.post("/login", data={"csrf_token": csrf_from(page.text), "phone": phone, "password": password})

    def logout(self):
        page = self.client.get("/")
        return self.client.post("/logout", data={"csrf_token": csrf_from(page.text)})

    def post(self, url, data=None, page=None, **kwargs):
        """POST with a CSRF token taken from `page` (or the URL itself)."""
        html = self.client.get(page or url).text
        payload = {"csrf_token": csrf_from(html)}
        payload.update(data or {})
        return self.client.post(url, data=payload, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)


def login_as(app, factory, **user_kwargs):
    """A new client logged in as a new user; returns (client, auth, user_id, phone)."""
    phone = user_kwargs.pop("phone", None) or next_phone()
    uid = factory.user(phone=phone, **user_kwargs)
    client = app.test_client()
    helper = Auth(client)
    response = helper.login(phone)
    assert response.status_code == 302, response.text
    return client, helper, uid, phone
