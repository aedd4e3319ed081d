"""Test data: factories for users, villages and teams, a logged-in client helper and the
fixtures that hand them to tests (`factory`, `auth`). Loaded for every test through
`pytest_plugins` in conftest.py; helpers are imported from here (`from tests.factories import ...`)."""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from lms.core.extensions import db

DEMO_COMMUNE = "00004"  # Phường Ba Đình, Hà Nội
OTHER_COMMUNE = "26506"  # Phường Vũng Tàu, Thành phố Hồ Chí Minh
_phones = itertools.count(1)


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
