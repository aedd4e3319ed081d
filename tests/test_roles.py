"""Role management in the browser (/manage/roles): who appoints whom, removals, audit rows and
history, forms that keep what was typed, escalation attempts and the last admin."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, csrf_from, login_as, next_phone

HANOI, HCMC = "01", "79"
HOAN_KIEM = "00070"  # another ward of Hà Nội
NEUTRAL = "Không giao được vai trò cho số này."


def page_token(client) -> str:
    return csrf_from(client.get("/manage/roles").text)


def appoint(client, kind, place, phone, token=None):
    token = token or page_token(client)
    return client.post(
        f"/manage/roles/{kind}",
        data={f"{kind}-csrf_token": token, f"{kind}-place": place, f"{kind}-phone": phone},
    )


def remove(client, kind, place, user_id, token=None):
    token = token or page_token(client)
    return client.post(f"/manage/roles/{kind}/{place}/{user_id}/remove", data={"csrf_token": token})


def roles_of(app, user_id):
    from lms.accounts.models import RoleAssignment

    with app.app_context():
        rows = db.session.execute(
            select(RoleAssignment.role, RoleAssignment.province_code, RoleAssignment.commune_code).where(
                RoleAssignment.user_id == user_id
            )
        ).all()
    return {tuple(row) for row in rows}


def audit_rows(app, action):
    from lms.core.audit import AuditEvent

    with app.app_context():
        return [
            (event.actor_id, event.target_id, event.detail)
            for event in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        ]


def is_leader(app, team_id, user_id):
    from lms.places.models import TeamMembership

    with app.app_context():
        return db.session.scalar(
            select(TeamMembership.is_leader).where(TeamMembership.team_id == team_id, TeamMembership.user_id == user_id)
        )


def signed_in_as(app, phone):
    client = app.test_client()
    assert Auth(client).login(phone).status_code == 302
    return client


def test_admin_appoints_a_province_official_who_has_the_scope_at_once(app, factory):
    admin, _, admin_id, _ = login_as(app, factory, role="admin")
    phone = next_phone()
    person = factory.user(phone=phone, name="Đỗ Minh Khang", commune=DEMO_COMMUNE)
    appointee = signed_in_as(app, phone)
    assert appointee.get(f"/manage/communes/{HOAN_KIEM}").status_code == 404

    response = appoint(admin, "province_official", HANOI, f"{phone[:4]} {phone[4:7]} {phone[7:]}")
    assert response.status_code == 302
    assert roles_of(app, person) == {("province_official", HANOI, None)}
    assert audit_rows(app, "role.assign")[-1] == (
        admin_id,
        str(person),
        {"role": "province_official", "province": HANOI, "commune": None},
    )
    # The same session, not a new login: the scope is read from the roles on every request.
    assert appointee.get(f"/manage/communes/{HOAN_KIEM}").status_code == 200
    assert appointee.get(f"/manage/communes/{OTHER_COMMUNE}").status_code == 404
    page = admin.get("/manage/roles").text
    assert "Đã giao vai trò cán bộ tỉnh (Thành phố Hà Nội) cho Đỗ Minh Khang." in page
    assert "Giao vai trò cán bộ tỉnh (Thành phố Hà Nội) cho Đỗ Minh Khang" in page  # the history


def test_a_double_click_appoints_once_and_answers_success_twice(app, factory):
    admin = login_as(app, factory, role="admin")[0]
    phone = next_phone()
    person = factory.user(phone=phone)
    token = page_token(admin)
    first = appoint(admin, "province_official", HANOI, phone, token)
    second = appoint(admin, "province_official", HANOI, phone, token)
    assert (first.status_code, second.status_code) == (302, 302)
    assert roles_of(app, person) == {("province_official", HANOI, None)}
    assert [row[1] for row in audit_rows(app, "role.assign") if row[2]["role"] == "province_official"] == [str(person)]


def test_province_official_appoints_and_removes_commune_officials_of_the_province(app, factory):
    official, _, official_id, _ = login_as(app, factory, role="province_official", province=HANOI)
    phone = next_phone()
    person = factory.user(phone=phone, name="Vũ Thị Lan", commune=HOAN_KIEM)
    appointee = signed_in_as(app, phone)

    assert appoint(official, "commune_official", DEMO_COMMUNE, phone).status_code == 302
    assert roles_of(app, person) == {("commune_official", None, DEMO_COMMUNE)}
    assert appointee.get(f"/manage/communes/{DEMO_COMMUNE}").status_code == 200
    page = official.get("/manage/roles").text
    assert "Vũ Thị Lan" in page and "Phường Ba Đình, Thành phố Hà Nội" in page

    token = page_token(official)
    assert remove(official, "commune_official", DEMO_COMMUNE, person, token).status_code == 302
    assert roles_of(app, person) == set()
    assert audit_rows(app, "role.remove") == [
        (official_id, str(person), {"role": "commune_official", "province": None, "commune": DEMO_COMMUNE})
    ]
    # Still signed in, no longer an official: the very next request says so.
    assert appointee.get(f"/manage/communes/{DEMO_COMMUNE}").status_code == 404
    assert appointee.get("/account").status_code == 200
    again = remove(official, "commune_official", DEMO_COMMUNE, person, token)
    assert again.status_code == 302
    assert "Người này không còn giữ vai trò này." in official.get("/manage/roles").text
    assert len(audit_rows(app, "role.remove")) == 1
    history = official.get("/manage/roles").text
    assert "Bỏ vai trò cán bộ xã (Phường Ba Đình, Thành phố Hà Nội) của Vũ Thị Lan" in history


def test_commune_official_makes_a_member_team_leader_and_back(app, factory):
    official, _, official_id, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    phone = next_phone()
    member = factory.user(phone=phone, name="Hoàng Văn Bình")
    team = factory.team(factory.village(), members=(member,))
    leader_client = signed_in_as(app, phone)
    assert leader_client.get(f"/manage/teams/{team}").status_code == 404

    assert appoint(official, "team_leader", str(team), phone).status_code == 302
    assert is_leader(app, team, member) is True
    assert leader_client.get(f"/manage/teams/{team}").status_code == 200
    assert audit_rows(app, "team.set_leader") == [(official_id, str(team), {"user": member, "leader": True})]
    page = official.get("/manage/roles").text
    assert "Đặt Hoàng Văn Bình làm tổ trưởng: Tổ công nghệ số cộng đồng — Thôn Đông, Phường Ba Đình" in page

    assert remove(official, "team_leader", str(team), member).status_code == 302
    assert is_leader(app, team, member) is False
    assert leader_client.get(f"/manage/teams/{team}").status_code == 404
    assert audit_rows(app, "team.set_leader")[-1] == (official_id, str(team), {"user": member, "leader": False})
    assert "Bỏ vai trò tổ trưởng của Hoàng Văn Bình: Tổ công nghệ số cộng đồng — Thôn Đông" in official.get("/manage/roles").text


def test_team_leader_must_be_a_member_of_the_team(app, factory):
    official = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)[0]
    phone = next_phone()
    resident = factory.user(phone=phone)
    team = factory.team(factory.village())
    response = appoint(official, "team_leader", str(team), phone)
    assert response.status_code == 422
    assert "Không đặt được số này làm tổ trưởng. Chỉ đặt được người đã là thành viên của tổ" in response.text
    assert is_leader(app, team, resident) is None


@pytest.mark.parametrize("case", ["no_account", "other_province", "deleted", "official", "admin", "malformed_kept"])
def test_appointee_outside_what_the_official_manages_gets_one_neutral_message(app, factory, case):
    from lms.accounts import services
    from lms.accounts.models import User

    official = login_as(app, factory, role="province_official", province=HANOI)[0]
    phone = next_phone()
    if case == "other_province":
        factory.user(phone=phone, commune=OTHER_COMMUNE)
    elif case == "official":
        factory.user(phone=phone, role="commune_official", role_commune=HOAN_KIEM)
    elif case == "admin":
        factory.user(phone=phone, role="admin")
    elif case == "deleted":
        uid = factory.user(phone=phone)
        with app.test_request_context():
            services.delete_account(db.session.get(User, uid), "mat-khau-123")
            db.session.commit()
    typed = phone if case != "malformed_kept" else "09-12 345"
    before = audit_rows(app, "role.assign")
    response = appoint(official, "commune_official", DEMO_COMMUNE, typed)
    assert response.status_code == 422
    html = response.text
    if case == "malformed_kept":
        assert "Số di động Việt Nam có 10 chữ số" in html
    else:
        assert NEUTRAL in html
    # What was typed stays in the form, next to the field the message names.
    assert f'value="{typed}"' in html
    assert re.search(rf'<option selected value="{DEMO_COMMUNE}">|<option value="{DEMO_COMMUNE}" selected>', html)
    assert 'id="commune_official-phone-error"' in html
    assert audit_rows(app, "role.assign") == before


def test_a_place_outside_the_scope_or_past_the_integer_range_names_the_place_field(app, factory):
    official = login_as(app, factory, role="province_official", province=HANOI)[0]
    phone = next_phone()
    person = factory.user(phone=phone)
    for place in (OTHER_COMMUNE, "99999", "2147483648", "9" * 400, "０００４", ""):
        response = appoint(official, "commune_official", place, phone)
        assert response.status_code == 422, place
        assert "Bạn hãy chọn xã/phường trong danh sách." in response.text or "Bạn hãy chọn nơi giao vai trò." in response.text, (
            place
        )
        assert 'id="commune_official-place-error"' in response.text
        assert f'value="{phone}"' in response.text
    assert appoint(official, "commune_official", "00004\x00", phone).status_code == 400  # NUL: refused app-wide
    leader_official = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)[0]
    for place in ("2147483648", "9223372036854775808", "-1", "1.5"):
        response = appoint(leader_official, "team_leader", place, phone)
        assert response.status_code == 422, place
        assert "Bạn hãy chọn tổ trong danh sách." in response.text
    assert roles_of(app, person) == set()


def test_escalation_attempts_are_404_and_change_nothing(app, factory):
    from lms.accounts.models import RoleAssignment

    commune_official, _, commune_id, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    province_official, _, province_id, _ = login_as(app, factory, role="province_official", province=HANOI)
    admin, _, admin_id, _ = login_as(app, factory, role="admin")
    phone = next_phone()
    factory.user(phone=phone)
    before = factory.count(RoleAssignment)
    attempts = [
        (commune_official, "province_official", HANOI),
        (commune_official, "commune_official", DEMO_COMMUNE),
        (commune_official, "admin", ""),
        (province_official, "province_official", HANOI),
        (province_official, "admin", ""),
        (admin, "admin", ""),
        (admin, "learner", ""),
    ]
    for client, kind, place in attempts:
        assert appoint(client, kind, place, phone).status_code == 404, kind
    assert appoint(admin, "commune_official\x00", DEMO_COMMUNE, phone).status_code == 400  # NUL: refused app-wide
    # Removing a peer's or a superior's role, or one's own, from a level that cannot appoint it.
    removals = [
        (commune_official, "commune_official", DEMO_COMMUNE, commune_id),
        (commune_official, "province_official", HANOI, province_id),
        (province_official, "province_official", HANOI, province_id),
        (province_official, "admin", "0", admin_id),
        (admin, "admin", "0", admin_id),
        (province_official, "commune_official", OTHER_COMMUNE, commune_id),
        (commune_official, "team_leader", "2147483648", commune_id),
        (province_official, "commune_official", DEMO_COMMUNE, 2**31),
        (province_official, "commune_official", "9" * 400, commune_id),
    ]
    for client, kind, place, user_id in removals:
        assert remove(client, kind, place, user_id).status_code == 404, (kind, place, user_id)
    assert factory.count(RoleAssignment) == before
    assert roles_of(app, commune_id) == {("commune_official", None, DEMO_COMMUNE)}


def test_nobody_removes_their_own_role_from_the_web(app, factory):
    from lms.accounts import services
    from lms.accounts.models import Role, User

    client, _, uid, _ = login_as(app, factory, role="province_official", province=HANOI)
    with app.app_context():
        services.assign_role(db.session.get(User, uid), Role.COMMUNE_OFFICIAL, commune_code=DEMO_COMMUNE)
        db.session.commit()
    page = client.get("/manage/roles").text
    assert "Vai trò của bạn" in page
    assert f"/manage/roles/commune_official/{DEMO_COMMUNE}/{uid}/remove" not in page
    response = remove(client, "commune_official", DEMO_COMMUNE, uid)
    assert response.status_code == 302
    assert "Bạn không thể tự bỏ vai trò của chính mình." in client.get("/manage/roles").text
    assert roles_of(app, uid) == {("province_official", HANOI, None), ("commune_official", None, DEMO_COMMUNE)}


def test_the_last_admin_is_never_removed(app, factory):
    from lms.accounts import services
    from lms.accounts.models import Role, User
    from lms.core.errors import Conflict

    first = factory.user(role="admin")
    second = factory.user(role="admin")
    with app.app_context():
        assert services.remove_role(db.session.get(User, first), Role.ADMIN) is True
        db.session.commit()
        with pytest.raises(Conflict):
            services.remove_role(db.session.get(User, second), Role.ADMIN)
        db.session.rollback()
    assert roles_of(app, second) == {("admin", None, None)}
    assert [row[2]["role"] for row in audit_rows(app, "role.remove")] == ["admin"]


def test_the_service_refuses_a_role_held_through_a_team_and_a_commune_role_without_a_commune(app, factory):
    from lms.accounts import services
    from lms.accounts.models import Role, User
    from lms.core.errors import ValidationFailed

    uid = factory.user()
    with app.app_context():
        user = db.session.get(User, uid)
        with pytest.raises(ValidationFailed) as leader:
            services.assign_role(user, Role.TEAM_LEADER)
        with pytest.raises(ValidationFailed) as no_commune:
            services.assign_role(user, Role.COMMUNE_OFFICIAL)
        db.session.rollback()
    assert leader.value.field == "role"
    assert no_commune.value.field == "commune"
    assert roles_of(app, uid) == set()


def test_holders_list_pages_with_a_count(app, factory):
    from lms.accounts import services
    from lms.accounts.models import Role, RoleAssignment, User
    from lms.accounts.roles import PER_PAGE

    admin = login_as(app, factory, role="admin")[0]
    with app.app_context():
        for i in range(PER_PAGE + 3):
            user = services.register_user(
                phone=next_phone(), password="mat-khau-123", full_name="Người Thứ " + "A" * (i % 5 + 1), consent=True
            )
            db.session.add(RoleAssignment(user=user, role=Role.PROVINCE_OFFICIAL.value, province_code=HANOI))
        db.session.commit()
        assert db.session.scalar(select(User.id).limit(1)) is not None
    first = admin.get("/manage/roles").text
    assert f"Cán bộ tỉnh ({PER_PAGE + 3})" in first
    assert "Trang 1/2" in first
    assert first.count("/remove") == PER_PAGE
    second = admin.get("/manage/roles?province_official_page=2").text
    assert "Trang 2/2" in second and second.count("/remove") == 3
    assert "Trang 2/2" in admin.get("/manage/roles?province_official_page=7").text  # past the end: the last page
    assert admin.get("/manage/roles?province_official_page=99999999999999").status_code == 400


def test_menu_entry_only_for_officials(app, factory):
    official = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)[0]
    learner = login_as(app, factory)[0]
    assert 'href="/manage/roles"' in official.get("/").text
    assert 'href="/manage/roles"' not in learner.get("/").text


def test_parallel_appointments_of_one_person_make_one_role_and_parallel_removals_one_event(app, factory):
    from lms.accounts.models import RoleAssignment
    from tests.parallel import run_in_parallel

    phone = next_phone()
    person = factory.user(phone=phone)
    admins = []
    for _ in range(2):
        client = login_as(app, factory, role="admin")[0]
        admins.append((client.get_cookie("session").value, page_token(client)))

    def as_admin(i):
        client = app.test_client()
        client.set_cookie("session", admins[i % 2][0])
        return client, admins[i % 2][1]

    def send_appoint(i):
        client, token = as_admin(i)
        return appoint(client, "province_official", HANOI, phone, token).status_code

    assert run_in_parallel(8, send_appoint) == [302] * 8
    assert factory.count(RoleAssignment, RoleAssignment.user_id == person) == 1
    assert len([row for row in audit_rows(app, "role.assign") if row[1] == str(person)]) == 1

    def send_remove(i):
        client, token = as_admin(i)
        return remove(client, "province_official", HANOI, person, token).status_code

    assert run_in_parallel(8, send_remove) == [302] * 8
    assert roles_of(app, person) == set()
    assert len(audit_rows(app, "role.remove")) == 1


def test_history_shows_a_member_added_as_leader_but_not_a_plain_member(app, factory):
    official = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)[0]
    team = factory.team(factory.village())
    leader_phone, plain_phone = next_phone(), next_phone()
    factory.user(phone=leader_phone, name="Trịnh Văn Đầu")
    factory.user(phone=plain_phone, name="Trịnh Văn Thường")
    page = f"/manage/teams/{team}"
    token = csrf_from(official.get(page).text)
    assert official.post(page, data={"csrf_token": token, "phone": leader_phone, "is_leader": "y"}).status_code == 302
    assert official.post(page, data={"csrf_token": token, "phone": plain_phone}).status_code == 302
    history = official.get("/manage/roles").text.split("Thay đổi gần đây", 1)[1]
    assert "Thêm Trịnh Văn Đầu vào Tổ công nghệ số cộng đồng — Thôn Đông, Phường Ba Đình và đặt làm tổ trưởng" in history
    assert "Trịnh Văn Thường" not in history
