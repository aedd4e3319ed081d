"""Parallel requests against accounts and places: limits hold and unique rows become messages.
Meaningful on PostgreSQL with its row locks; on SQLite the same requests queue on BEGIN IMMEDIATE."""

from __future__ import annotations

from sqlalchemy import select

from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, Auth, csrf_from, login_as, next_phone
from tests.parallel import run_in_parallel


def _primed_client(app, url, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = csrf_from(client.get(url).text)
    return client, token


def test_parallel_wrong_codes_each_use_a_try(app, factory):
    from lms.accounts import services
    from lms.accounts.models import ResetCode, User

    phone = next_phone()
    uid = factory.user(phone=phone)
    admin_id = factory.user(role="admin")
    with app.test_request_context():
        code = services.issue_reset_code(db.session.get(User, admin_id), uid)
        db.session.commit()
    wrong = "00000000" if code != "00000000" else "11111111"
    clients = [_primed_client(app, "/reset", f"203.0.113.{i + 1}") for i in range(9)]

    def send(i):
        client, token = clients[i]
        form = {
            "csrf_token": token,
            "phone": phone,
            "code": wrong,
            "password": "mat-khau-moi-5",
            "password_confirm": "mat-khau-moi-5",
        }
        return client.post("/reset", data=form).status_code

    statuses = run_in_parallel(9, send)
    assert statuses == [200] * 9
    with app.app_context():
        assert db.session.scalar(select(ResetCode.failed_attempts).where(ResetCode.user_id == uid)) == 5
    late = Auth(app.test_client()).post(
        "/reset", {"phone": phone, "code": code, "password": "mat-khau-moi-5", "password_confirm": "mat-khau-moi-5"}
    )
    assert "Mã đặt lại không đúng hoặc đã hết hạn" in late.text
    assert Auth(app.test_client()).login(phone, "mat-khau-moi-5").status_code == 422


def test_parallel_right_codes_reset_once(app, factory):
    from lms.accounts import services
    from lms.accounts.models import User
    from lms.core.audit import AuditEvent

    phone = next_phone()
    uid = factory.user(phone=phone)
    admin_id = factory.user(role="admin")
    with app.test_request_context():
        code = services.issue_reset_code(db.session.get(User, admin_id), uid)
        db.session.commit()
    clients = [_primed_client(app, "/reset", f"203.0.113.{i + 20}") for i in range(6)]

    def send(i):
        client, token = clients[i]
        password = f"mat-khau-song-song-{i}"
        form = {"csrf_token": token, "phone": phone, "code": code, "password": password, "password_confirm": password}
        return client.post("/reset", data=form).status_code

    statuses = run_in_parallel(6, send)
    assert sorted(statuses) == [200] * 5 + [302]
    with app.app_context():
        resets = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "password.reset")).all()
    assert len(resets) == 1
    winner = statuses.index(302)
    assert Auth(app.test_client()).login(phone, f"mat-khau-song-song-{winner}").status_code == 302


def test_twelve_parallel_adds_of_one_member_make_one_row(app, factory):
    from lms.places.models import TeamMembership

    member_phone = next_phone()
    member = factory.user(phone=member_phone, commune=DEMO_COMMUNE)
    team = factory.team(factory.village())
    official, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    token = csrf_from(official.get(f"/manage/teams/{team}").text)

    cookie = official.get_cookie("session").value

    def send(_):
        client = app.test_client()
        client.set_cookie("session", cookie)
        return client.post(f"/manage/teams/{team}", data={"csrf_token": token, "phone": member_phone})

    responses = run_in_parallel(12, send)
    assert [r for r in responses if not hasattr(r, "status_code")] == []
    assert sorted(r.status_code for r in responses) == [200] * 11 + [302]
    refused = [r for r in responses if r.status_code != 302]
    assert all("đã là thành viên của tổ này" in r.text for r in refused)
    assert factory.count(TeamMembership, TeamMembership.user_id == member) == 1


def test_twelve_parallel_villages_of_one_name_make_one_row(app, factory):
    from lms.places.models import Village

    official, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    url = f"/manage/communes/{DEMO_COMMUNE}"
    token = csrf_from(official.get(url).text)
    cookie = official.get_cookie("session").value

    def send(_):
        client = app.test_client()
        client.set_cookie("session", cookie)
        return client.post(url, data={"csrf_token": token, "name": "Thôn Song Song", "kind": "thôn"})

    responses = run_in_parallel(12, send)
    assert [r for r in responses if not hasattr(r, "status_code")] == []
    assert sum(r.status_code == 302 for r in responses) == 1
    assert all("Xã này đã có thôn/tổ dân phố cùng tên." in r.text for r in responses if r.status_code != 302)
    assert factory.count(Village, Village.name == "Thôn Song Song") == 1


def test_twelve_parallel_profiles_claiming_one_email(app, factory):
    from lms.accounts.models import User

    people = [login_as(app, factory, name="Người Thứ Nhất") for _ in range(12)]
    forms = []
    for client, *_ in people:
        page = client.get("/account").text
        forms.append((client, csrf_from(page)))

    def send(i):
        client, token = forms[i]
        data = {
            "csrf_token": token,
            "full_name": "Người Thứ Nhất",
            "birth_year": "1980",
            "email": "chung@example.vn",
            "commune": DEMO_COMMUNE,
        }
        return client.post("/account", data=data)

    responses = run_in_parallel(12, send)
    assert [r for r in responses if not hasattr(r, "status_code")] == []
    assert sum(r.status_code == 302 for r in responses) == 1
    assert all("Thư điện tử này đã được dùng cho tài khoản khác." in r.text for r in responses if r.status_code != 302)
    with app.app_context():
        assert len(db.session.scalars(select(User).where(User.email == "chung@example.vn")).all()) == 1
