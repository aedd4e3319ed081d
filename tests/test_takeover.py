"""Who may manage whom: joining a team never lets an official reset someone's password, and
officials' and admins' accounts are never reset by a peer or a lower role."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, csrf_from, login_as, next_phone

NEW_PASSWORD = "da-chiem-quyen-9"


def _reset_form(phone, code):
    return {"phone": phone, "code": code, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}


def _code_in(html: str) -> str | None:
    match = re.search(r'class="code"[^>]*>(\d{4}) (\d{4})<', html)
    return match.group(1) + match.group(2) if match else None


@pytest.mark.parametrize("victim_role", [{"role": "admin"}, {"role": "province_official", "province": "79"}, {}])
def test_commune_official_cannot_take_over_an_account_through_a_team(app, factory, victim_role):
    """The attack as reported: add the victim to a team of my commune, open their page, issue a
    reset code, set a password, log in with their rights."""
    victim_phone = next_phone()
    victim = factory.user(phone=victim_phone, name="Nạn Nhân", commune=OTHER_COMMUNE, **victim_role)
    team = factory.team(factory.village(commune=DEMO_COMMUNE))
    official, official_auth, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)

    added = official_auth.post(f"/manage/teams/{team}", {"phone": victim_phone})
    assert "Nạn Nhân" not in added.text
    assert "Không thêm được số này." in added.text
    assert official.get(f"/people/{victim}").status_code == 404
    token = csrf_from(official.get("/account").text)
    shown = official.post(f"/people/{victim}/reset-code", data={"csrf_token": token})
    assert shown.status_code == 404
    assert _code_in(shown.text) is None

    from lms.accounts.models import ResetCode
    from lms.places.models import TeamMembership

    assert factory.count(TeamMembership, TeamMembership.user_id == victim) == 0
    assert factory.count(ResetCode, ResetCode.user_id == victim) == 0
    assert Auth(app.test_client()).login(victim_phone, NEW_PASSWORD).status_code != 302


def test_adding_a_stranger_and_a_missing_number_look_the_same(app, factory):
    stranger_phone = next_phone()
    factory.user(phone=stranger_phone, name="Người Lạ", commune=OTHER_COMMUNE)
    team = factory.team(factory.village())
    _, official_auth, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)

    def answer(phone):
        page = official_auth.post(f"/manage/teams/{team}", {"phone": phone})
        main = re.search(r"<main\b.*</main>", page.text, flags=re.S).group(0)
        return page.status_code, re.sub(r'name="csrf_token"[^>]*>', "", main).replace(phone, "PHONE")

    stranger, missing = answer(stranger_phone), answer(next_phone())
    assert "Không thêm được số này." in stranger[1]
    assert stranger == missing


def test_a_resident_is_added_and_named(app, factory):
    resident_phone = next_phone()
    resident = factory.user(phone=resident_phone, name="Cư Dân Xã", commune=DEMO_COMMUNE)
    team = factory.team(factory.village())
    _, official_auth, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    response = official_auth.post(f"/manage/teams/{team}", {"phone": resident_phone}, follow_redirects=True)
    assert "Đã thêm Cư Dân Xã vào tổ." in response.text
    from lms.places.models import TeamMembership

    assert factory.count(TeamMembership, TeamMembership.user_id == resident, TeamMembership.team_id == team) == 1


def test_membership_does_not_widen_who_sees_a_person(app, factory):
    """A member who lives elsewhere (added before moving, or by an admin) stays out of the
    official's reach: neither their page nor a reset code."""
    mover = factory.user(name="Người Chuyển Đi", commune=OTHER_COMMUNE)
    factory.team(factory.village(), members=(mover,))
    official, official_auth, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    assert official.get(f"/people/{mover}").status_code == 404
    assert f'href="/people/{mover}"' not in official.get("/people").text
    token = csrf_from(official.get("/account").text)
    assert official.post(f"/people/{mover}/reset-code", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize(
    "issuer, victim",
    [
        ({"role": "commune_official", "role_commune": DEMO_COMMUNE}, {"role": "admin"}),
        ({"role": "commune_official", "role_commune": DEMO_COMMUNE}, {"role": "commune_official", "role_commune": DEMO_COMMUNE}),
        ({"role": "commune_official", "role_commune": DEMO_COMMUNE}, {"role": "province_official", "province": "01"}),
        ({"role": "province_official", "province": "01"}, {"role": "province_official", "province": "01"}),
        ({"role": "province_official", "province": "01"}, {"role": "commune_official", "role_commune": DEMO_COMMUNE}),
        ({"role": "admin"}, {"role": "admin"}),
    ],
)
def test_no_reset_code_for_an_equal_or_higher_role_living_in_scope(app, factory, issuer, victim):
    from lms.accounts.models import ResetCode

    victim_id = factory.user(name="Cán Bộ Khác", commune=DEMO_COMMUNE, **victim)
    client, _, _, _ = login_as(app, factory, **issuer)
    page = client.get(f"/people/{victim_id}")
    assert page.status_code == 200
    assert "Cấp mã đặt lại mật khẩu</button>" not in page.text
    assert "chỉ quản trị viên hệ thống được cấp mã đặt lại mật khẩu" in page.text
    response = client.post(f"/people/{victim_id}/reset-code", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 403
    assert _code_in(response.text) is None
    assert factory.count(ResetCode, ResetCode.user_id == victim_id) == 0


def test_admin_resets_an_official_and_sees_the_reset(app, factory):
    from lms.core.audit import AuditEvent

    official_phone = next_phone()
    official = factory.user(phone=official_phone, name="Cán Bộ Quên", role="commune_official", role_commune=DEMO_COMMUNE)
    admin, admin_auth, admin_id, _ = login_as(app, factory, role="admin", name="Quản Trị")
    shown = admin_auth.post(f"/people/{official}/reset-code", page=f"/people/{official}")
    code = _code_in(shown.text)
    assert code
    reset = Auth(app.test_client()).post("/reset", _reset_form(official_phone, code))
    assert reset.status_code == 302
    history = admin.get(f"/people/{official}").text
    assert "Lịch sử đặt lại mật khẩu" in history
    assert "cấp mã đặt lại" in history and "(Quản Trị)" in history
    assert "đã đặt mật khẩu mới bằng mã" in history
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == str(official))).all()
    assert "password.reset_code" in actions and "password.reset" in actions


def test_server_command_resets_an_admin(app, factory, runner):
    phone = next_phone()
    factory.user(phone=phone, role="admin")
    result = runner.invoke(args=["lms", "reset-code", "--phone", phone])
    assert result.exit_code == 0, result.output
    code = re.search(r": (\d{8}) ", result.output).group(1)
    assert Auth(app.test_client()).post("/reset", _reset_form(phone, code)).status_code == 302
    assert Auth(app.test_client()).login(phone, NEW_PASSWORD).status_code == 302
    assert runner.invoke(args=["lms", "reset-code", "--phone", next_phone()]).exit_code == 1


def test_commune_official_still_resets_a_citizen_of_the_commune(app, factory):
    phone = next_phone()
    citizen = factory.user(phone=phone, name="Dân Thường", commune=DEMO_COMMUNE)
    _, official_auth, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    code = _code_in(official_auth.post(f"/people/{citizen}/reset-code", page=f"/people/{citizen}").text)
    assert code
    assert Auth(app.test_client()).post("/reset", _reset_form(phone, code)).status_code == 302
