"""Scope rules as a matrix of route × role × object: nobody sees outside their scope."""

import pytest

from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, csrf_from, login_as

HANOI, HCMC = "01", "79"


@pytest.fixture
def world(app, factory):
    """Two communes in two provinces, each with a citizen, a village, a team and members."""
    w = {}
    for key, commune in (("here", DEMO_COMMUNE), ("there", OTHER_COMMUNE)):
        citizen = factory.user(name="Người Dân", commune=commune)
        member = factory.user(name="Thành Viên", commune=commune)
        leader = factory.user(name="Tổ Trưởng", commune=commune)
        village = factory.village(commune=commune)
        team = factory.team(village, members=(member, leader), leader=leader)
        w[key] = {"commune": commune, "citizen": citizen, "member": member, "leader": leader, "village": village, "team": team}
    return w


def routes(obj):
    return {
        "person": f"/people/{obj['citizen']}",
        "member": f"/people/{obj['member']}",
        "commune": f"/manage/communes/{obj['commune']}",
        "village": f"/manage/villages/{obj['village']}",
        "team": f"/manage/teams/{obj['team']}",
    }


def client_for(app, factory, world, role):
    if role == "learner":
        return login_as(app, factory)[0]
    if role == "team_leader":
        from tests.factories import Auth

        client = app.test_client()
        with app.app_context():
            from lms.accounts.models import User
            from lms.core.extensions import db

            phone = "0" + db.session.get(User, world["here"]["leader"]).phone[3:]
        assert Auth(client).login(phone).status_code == 302
        return client
    kwargs = {
        "commune_official": {"role": "commune_official", "role_commune": DEMO_COMMUNE},
        "province_official": {"role": "province_official", "province": HANOI},
        "admin": {"role": "admin"},
    }[role]
    return login_as(app, factory, **kwargs)[0]


# (role, object owner) -> expected status for each route
EXPECTED = {
    ("learner", "here"): dict(person=404, member=404, commune=404, village=404, team=404),
    ("learner", "there"): dict(person=404, member=404, commune=404, village=404, team=404),
    ("team_leader", "here"): dict(person=404, member=200, commune=404, village=404, team=200),
    ("team_leader", "there"): dict(person=404, member=404, commune=404, village=404, team=404),
    ("commune_official", "here"): dict(person=200, member=200, commune=200, village=200, team=200),
    ("commune_official", "there"): dict(person=404, member=404, commune=404, village=404, team=404),
    ("province_official", "here"): dict(person=200, member=200, commune=200, village=200, team=200),
    ("province_official", "there"): dict(person=404, member=404, commune=404, village=404, team=404),
    ("admin", "here"): dict(person=200, member=200, commune=200, village=200, team=200),
    ("admin", "there"): dict(person=200, member=200, commune=200, village=200, team=200),
}


@pytest.mark.parametrize("role", ["learner", "team_leader", "commune_official", "province_official", "admin"])
def test_scope_matrix_has_no_leaks(app, factory, world, role):
    client = client_for(app, factory, world, role)
    mismatches = []
    for owner in ("here", "there"):
        for name, url in routes(world[owner]).items():
            status = client.get(url).status_code
            if status != EXPECTED[(role, owner)][name]:
                mismatches.append((owner, name, url, status))
    assert mismatches == []


@pytest.mark.parametrize("role", ["team_leader", "commune_official", "province_official", "admin"])
def test_people_list_shows_only_people_in_scope(app, factory, world, role):
    client = client_for(app, factory, world, role)
    html = client.get("/people").text
    for owner in ("here", "there"):
        for key in ("citizen", "member"):
            uid = world[owner][key]
            visible = f'href="/people/{uid}"' in html
            expected = EXPECTED[(role, owner)]["person" if key == "citizen" else "member"] == 200
            assert visible == expected, (owner, key)


def test_learner_gets_404_page_for_people_list(app, factory):
    client = login_as(app, factory)[0]
    response = client.get("/people")
    assert response.status_code == 404  # out of scope is always "not found"
    assert "Trang này dành cho cán bộ và tổ trưởng." in response.text


@pytest.mark.parametrize("role", ["team_leader", "commune_official"])
def test_writes_outside_scope_are_404_and_change_nothing(app, factory, world, role):
    from lms.places.models import TeamMembership, Village

    client = client_for(app, factory, world, role)
    token = csrf_from(client.get("/account").text)
    there = world["there"]
    before_members = factory.count(TeamMembership)
    before_villages = factory.count(Village)
    outsider = factory.user(phone="0987000001")
    attempts = [
        (f"/manage/communes/{there['commune']}", {"name": "Thôn Lạ", "kind": "thôn"}),
        (f"/manage/villages/{there['village']}", {"name": "Tổ Lạ"}),
        (f"/manage/teams/{there['team']}", {"phone": "0987000001"}),
        (f"/manage/teams/{there['team']}/members/{there['member']}/remove", {}),
        (f"/people/{there['citizen']}/reset-code", {}),
    ]
    for url, data in attempts:
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 404, url
    assert factory.count(TeamMembership) == before_members
    assert factory.count(Village) == before_villages
    assert outsider


def test_team_leader_cannot_manage_own_team(app, factory, world):
    from lms.places.models import TeamMembership

    client = client_for(app, factory, world, "team_leader")
    token = csrf_from(client.get("/account").text)
    factory.user(phone="0987000002")
    here = world["here"]
    response = client.post(f"/manage/teams/{here['team']}", data={"csrf_token": token, "phone": "0987000002"})
    assert response.status_code == 404
    assert factory.count(TeamMembership, TeamMembership.team_id == here["team"]) == 2


def test_certificate_menu_only_for_officials(app, factory):
    official = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)[0]
    assert 'href="/certificates/manage"' in official.get("/").text
    learner = login_as(app, factory)[0]
    assert 'href="/certificates/manage"' not in learner.get("/").text
