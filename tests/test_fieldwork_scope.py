"""Who opens which field work page: every route against members, leaders, officials in and out
of scope, a learner and an anonymous visitor. Out of scope is 404 and the page names nothing of
the place (0 leaks); the progress pages show the counters against the targets."""

from __future__ import annotations

import uuid

import pytest

from lms.fieldwork import outreach
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, csrf_from, next_phone
from tests.test_assisted import signed_in
from tests.test_fieldwork import _entry, _send, _token, world_fixture  # noqa: F401  (fixture world)

SECRET_NAMES = ("Tổ Khu phố 1", "Khu phố 1", "Số 9")


@pytest.fixture(name="people")
def people_fixture(app, factory, world):
    phones = {
        "member": world.phones.member,
        "leader": world.phones.leader,
        "second": world.phones.second,
        "far": world.phones.far,
        "official": next_phone(),
        "far_official": next_phone(),
        "province": next_phone(),
        "admin": next_phone(),
        "learner": next_phone(),
    }
    factory.user(phone=phones["official"], role="commune_official", role_commune=DEMO_COMMUNE)
    factory.user(phone=phones["far_official"], role="commune_official", role_commune=OTHER_COMMUNE)
    factory.user(phone=phones["province"], role="province_official", province="01")
    factory.user(phone=phones["admin"], role="admin")
    factory.user(phone=phones["learner"])
    clients = {name: signed_in(app, phone) for name, phone in phones.items()}
    clients["anonymous"] = app.test_client()
    # One entry of the member's and one of the far member's, to open.
    mine = _send(clients["member"], _token(clients["member"]), _entry(world.households[0])).json["id"]
    far = _send(clients["far"], _token(clients["far"]), _entry(world.far_household)).json["id"]
    return clients, mine, far


def _matrix(world, mine, far):
    t, ft, v = world.team, world.far_team, world.village
    member_only = {"member": 200, "leader": 200, "second": 200, "far": 200}
    officials_in = {"official": 200, "province": 200, "admin": 200}
    return [
        ("/field/outreach", member_only),
        (f"/field/outreach/{mine}", {"member": 200}),
        (f"/field/outreach/{far}", {"far": 200}),
        (f"/fieldwork/teams/{t}/targets", officials_in),
        (f"/fieldwork/teams/{ft}/targets", {"far_official": 200, "admin": 200}),
        ("/fieldwork/country/VN", {"admin": 200}),
        ("/fieldwork/province/01", {"province": 200, "admin": 200}),
        (f"/fieldwork/commune/{DEMO_COMMUNE}", officials_in),
        (f"/fieldwork/commune/{OTHER_COMMUNE}", {"far_official": 200, "admin": 200}),
        (f"/fieldwork/village/{v}", officials_in),
        (f"/fieldwork/team/{t}", {**officials_in, "leader": 200}),
        (f"/fieldwork/team/{ft}", {"far_official": 200, "admin": 200}),
        (f"/fieldwork/commune/{DEMO_COMMUNE}/report?format=xlsx", officials_in),
        (f"/fieldwork/commune/{OTHER_COMMUNE}/report?format=xlsx", {"far_official": 200, "admin": 200}),
        ("/fieldwork/platforms", {"official": 200, "far_official": 200, "province": 200, "admin": 200}),
        (f"/fieldwork/commune/{DEMO_COMMUNE}/campaigns", officials_in),
        (f"/fieldwork/commune/{OTHER_COMMUNE}/campaigns", {"far_official": 200, "admin": 200}),
    ]


def test_every_route_answers_only_in_scope_and_leaks_nothing(app, world, people):
    clients, mine, far = people
    leaks = []
    for path, allowed in _matrix(world, mine, far):
        for name, client in clients.items():
            response = client.get(path)
            expected = allowed.get(name, 302 if name == "anonymous" else 404)
            if response.status_code != expected:
                leaks.append((path, name, response.status_code, expected))
            elif expected == 404 and any(secret in response.text for secret in SECRET_NAMES):
                leaks.append((path, name, "names the place"))
    assert leaks == []
    # The queue endpoint: anonymous 401 (the queue keeps its entries), not a member 404.
    entry = _entry(world.households[1])
    assert clients["anonymous"].post("/api/fieldwork/entries", json=entry).status_code in (400, 401)
    for name in ("official", "learner", "admin"):
        client = clients[name]
        token = csrf_from(client.get("/").text)
        assert _send(client, token, dict(entry, client_id=str(uuid.uuid4()))).status_code == 404, name


def test_posts_out_of_scope_change_nothing(app, world, people):
    clients, mine, far = people
    leader, far_official = clients["leader"], clients["far_official"]
    data = {"csrf_token": _token(leader), "period": "2026-Q4", "t-dich-vu-cong": "9"}
    assert leader.post(f"/fieldwork/teams/{world.team}/targets", data=data).status_code == 404
    data["csrf_token"] = csrf_from(far_official.get("/fieldwork/platforms").text)
    assert far_official.post(f"/fieldwork/teams/{world.team}/targets", data=data).status_code == 404
    # A platform for a commune outside the official's scope is refused by the place list.
    response = far_official.post(
        "/fieldwork/platforms", data=dict(data, place=f"commune:{DEMO_COMMUNE}", task="nen-tang-khac", name="Ứng dụng X")
    )
    assert response.status_code == 422 and "Bạn hãy chọn tỉnh hoặc xã/phường" in response.text
    assert leader.post(f"/field/outreach/{far}", data=dict(data, csrf_token=_token(leader))).status_code == 404
    from lms.fieldwork.models import LocalPlatform, Target
    from tests.factories import Factory

    factory = Factory(app)
    assert factory.count(Target) == 0 and factory.count(LocalPlatform) == 0


def test_local_platforms_appear_in_the_commune_teams_items(app, world, people):
    clients, *_ = people
    official = clients["official"]
    page = official.get("/fieldwork/platforms")
    data = {"csrf_token": csrf_from(page.text), "place": f"commune:{DEMO_COMMUNE}", "task": "nen-tang-khac", "name": "Ba Đình Số"}
    assert official.post("/fieldwork/platforms", data=data).status_code == 302
    again = official.post("/fieldwork/platforms", data=dict(data, name="ba dinh so"))
    assert again.status_code == 422 and "Nơi này đã có nền tảng" in again.text
    member = clients["member"]
    log = member.get("/field/outreach").text
    assert "Nền tảng số khác của địa phương: Ba Đình Số" in log
    assert "Ba Đình Số" not in clients["far"].get("/field/outreach").text
    import re

    code = re.search(r'<option value="(local-\d+)">Nền tảng số khác của địa phương: Ba Đình Số', log).group(1)
    token = _token(member)
    assert _send(member, token, _entry(world.households[3], "nen-tang-khac", item=code)).status_code == 201
    assert _send(member, token, _entry(world.households[4], "thanh-toan", item=code)).status_code == 422


def test_progress_pages_show_households_against_targets_and_quiet_teams(app, world, people):
    clients, *_ = people
    official = clients["official"]
    member = clients["member"]
    token = _token(member)
    for household in world.households[1:4]:
        assert _send(member, token, _entry(household)).status_code == 201
    period = outreach.today()
    quarter = f"{period.year}-Q{(period.month - 1) // 3 + 1}"
    page = official.get(f"/fieldwork/teams/{world.team}/targets?period={quarter}")
    data = {"csrf_token": csrf_from(page.text), "period": quarter, "t-dich-vu-cong": "40"}
    assert official.post(f"/fieldwork/teams/{world.team}/targets", data=data).status_code == 302
    commune = official.get(f"/fieldwork/commune/{DEMO_COMMUNE}?period={quarter}").text
    # 4 households (the fixture's entry and three more) of 40: 10%.
    assert "4 / 40 (10%)" in commune
    assert "Tổ Thôn Tây (Thôn Tây): chưa ghi lần nào" in commune
    assert "Tổ Thôn Đông (Thôn Đông): " not in commune
    team = clients["leader"].get(f"/fieldwork/team/{world.team}?period={quarter}").text
    assert "4 / 40 (10%)" in team
    for bad in ("2026-Q0", "abc", "9999-01"):
        assert official.get(f"/fieldwork/commune/{DEMO_COMMUNE}?period={bad}").status_code == 400
    for path in ("/fieldwork/team/99999999999", "/fieldwork/village/abc", "/fieldwork/commune/\x01", "/fieldwork/planet/1"):
        assert official.get(path).status_code in (400, 404)
