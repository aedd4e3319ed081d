"""Role management routes as a matrix of route × role × object: every role against the objects
of its own place ("here") and of another province ("there"). Expected: 0 leaks — out of scope
is 404 (or the form's place message, which is the same for a place that does not exist), the
page lists nobody out of scope, and nothing changes except where the role may change it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, csrf_from, next_phone

HANOI, HCMC = "01", "79"
PLACES = {"here": (HANOI, DEMO_COMMUNE), "there": (HCMC, OTHER_COMMUNE)}
# A distinct name for each person, so a page that shows someone out of scope is caught.
NAMES = {
    ("admin", None): "Quản Trị Viên",
    ("province", "here"): "Lý Thị Hà",
    ("province", "there"): "Lâm Văn Sài",
    ("commune", "here"): "Đinh Thị Ba",
    ("commune", "there"): "Tạ Văn Vũng",
    ("member", "here"): "Mai Văn Đông",
    ("member", "there"): "Mạc Văn Tây",
    ("leader", "here"): "Kiều Thị Bắc",
    ("leader", "there"): "Khúc Thị Nam",
    ("candidate", "here"): "Ông Văn Một",
    ("candidate", "there"): "Ông Văn Hai",
    ("learner", None): "Bà Thị Học",
}


@pytest.fixture
def world(app, factory):
    ids, phones, teams = {}, {}, {}
    for (kind, owner), name in NAMES.items():
        province, commune = PLACES[owner or "here"]
        role = {"admin": "admin", "province": "province_official", "commune": "commune_official"}.get(kind)
        phone = next_phone()
        ids[(kind, owner)] = factory.user(
            phone=phone, name=name, commune=commune, role=role, province=province, role_commune=commune
        )
        phones[(kind, owner)] = phone
    for owner, (_, commune) in PLACES.items():
        village = factory.village(commune=commune)
        member, leader = ids[("member", owner)], ids[("leader", owner)]
        teams[owner] = factory.team(village, members=(member, leader), leader=leader)
    return {"ids": ids, "phones": phones, "teams": teams}


VIEWERS = {
    "anonymous": None,
    "learner": ("learner", None),
    "member": ("member", "here"),
    "leader": ("leader", "here"),
    "commune_official_elsewhere": ("commune", "there"),
    "commune_official": ("commune", "here"),
    "province_official": ("province", "here"),
    "admin": ("admin", None),
}


def client_for(app, world, viewer):
    client = app.test_client()
    if VIEWERS[viewer] is not None:
        assert Auth(client).login(world["phones"][VIEWERS[viewer]]).status_code == 302
    return client


def attempts(world, owner):
    """(name, url, form fields, the change it asks for) for each write route, on one owner's objects."""
    ids, phones, team = world["ids"], world["phones"], world["teams"][owner]
    province, commune = PLACES[owner]

    def appoint(kind, place, phone):
        return f"/manage/roles/{kind}", {f"{kind}-place": place, f"{kind}-phone": phone}

    return [
        ("appoint_province", *appoint("province_official", province, phones[("candidate", owner)]),
         ("+", ids[("candidate", owner)], "province_official", province)),
        ("appoint_commune", *appoint("commune_official", commune, phones[("candidate", owner)]),
         ("+", ids[("candidate", owner)], "commune_official", commune)),
        ("appoint_leader", *appoint("team_leader", str(team), phones[("member", owner)]),
         ("+", ids[("member", owner)], "leader", str(team))),
        ("remove_province", f"/manage/roles/province_official/{province}/{ids[('province', owner)]}/remove", {},
         ("-", ids[("province", owner)], "province_official", province)),
        ("remove_commune", f"/manage/roles/commune_official/{commune}/{ids[('commune', owner)]}/remove", {},
         ("-", ids[("commune", owner)], "commune_official", commune)),
        ("remove_leader", f"/manage/roles/team_leader/{team}/{ids[('leader', owner)]}/remove", {},
         ("-", ids[("leader", owner)], "leader", str(team))),
    ]  # fmt: skip


NONE = {name: 404 for name in ("appoint_province", "appoint_commune", "appoint_leader", "remove_province",
                               "remove_commune", "remove_leader")}  # fmt: skip
OWN_TEAMS = {**NONE, "appoint_leader": "ok", "remove_leader": "ok"}
OTHER_TEAMS = {**NONE, "appoint_leader": 422}
OWN_COMMUNES = {**NONE, "appoint_commune": "ok", "remove_commune": "ok"}
OTHER_COMMUNES = {**NONE, "appoint_commune": 422}
ALL_PROVINCES = {**NONE, "appoint_province": "ok", "remove_province": "ok"}
# (viewer, owner) -> what each write route answers: "login", "ok" (done, back to the page), 404 or 422.
EXPECTED = {
    ("anonymous", "here"): dict.fromkeys(NONE, "login"),
    ("anonymous", "there"): dict.fromkeys(NONE, "login"),
    ("learner", "here"): NONE,
    ("learner", "there"): NONE,
    ("member", "here"): NONE,
    ("member", "there"): NONE,
    ("leader", "here"): NONE,
    ("leader", "there"): NONE,
    ("commune_official_elsewhere", "here"): OTHER_TEAMS,
    ("commune_official_elsewhere", "there"): OWN_TEAMS,
    ("commune_official", "here"): OWN_TEAMS,
    ("commune_official", "there"): OTHER_TEAMS,
    ("province_official", "here"): OWN_COMMUNES,
    ("province_official", "there"): OTHER_COMMUNES,
    ("admin", "here"): ALL_PROVINCES,
    ("admin", "there"): ALL_PROVINCES,
}
PAGE = {"anonymous": "login", "learner": 404, "member": 404, "leader": 404}
# Who each official's page lists: the holders of the roles they appoint, in their scope only.
LISTED = {
    "commune_official_elsewhere": [("leader", "there")],
    "commune_official": [("leader", "here")],
    "province_official": [("commune", "here")],
    "admin": [("province", "here"), ("province", "there")],
}


def held(app, world):
    """Every role in the world: (user, role, place), official roles and team leaders alike."""
    from lms.accounts.models import RoleAssignment
    from lms.places.models import TeamMembership

    with app.app_context():
        roles = {
            (user, role, province or commune)
            for user, role, province, commune in db.session.execute(
                select(RoleAssignment.user_id, RoleAssignment.role, RoleAssignment.province_code, RoleAssignment.commune_code)
            )
        }
        leaders = {
            (user, "leader", str(team))
            for user, team in db.session.execute(
                select(TeamMembership.user_id, TeamMembership.team_id).where(TeamMembership.is_leader.is_(True))
            )
        }
    return roles | leaders


def outcome(response) -> object:
    if response.status_code == 302:
        location = response.headers["Location"]
        return "login" if "/login" in location else "ok" if location.endswith("/manage/roles") else location
    return response.status_code


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_role_routes_matrix_has_no_leaks(app, world, viewer):
    client = client_for(app, world, viewer)
    page = client.get("/manage/roles")
    expected_page = PAGE.get(viewer, 200)
    assert outcome(page) == expected_page
    if expected_page == 200:
        listed = {NAMES[key] for key in LISTED[viewer]}
        # Names appear in the holders' list and in the history of changes; nobody else's may.
        out_of_scope = {name for key, name in NAMES.items() if key[0] in ("province", "commune", "leader")} - listed
        assert [name for name in sorted(listed) if name not in page.text] == []
        assert [name for name in sorted(out_of_scope) if name in page.text] == []
    token = csrf_from(client.get("/login" if viewer == "anonymous" else "/").text)
    mismatches = []
    for owner in ("here", "there"):
        for name, url, fields, (sign, user, role, place) in attempts(world, owner):
            before = held(app, world)
            prefix = url.split("/")[3] + "-" if fields else ""
            response = client.post(url, data={f"{prefix}csrf_token": token, **fields})
            got, want = outcome(response), EXPECTED[(viewer, owner)][name]
            after = held(app, world)
            if want == "ok":
                changed = after ^ before
                if changed != {(user, role, place)} or ((user, role, place) in after) != (sign == "+"):
                    mismatches.append((owner, name, "changed", sorted(changed)))
            elif after != before:
                mismatches.append((owner, name, "changed without right", sorted(after ^ before)))
            if got != want:
                mismatches.append((owner, name, got, want))
    assert mismatches == []
