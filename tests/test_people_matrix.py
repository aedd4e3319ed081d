"""Route × role × object for the people part (/people, /people/<id>, /people/export): every
viewer gets exactly the people and places of their scope, and 404 for anything else."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, login_as, next_phone

HANOI = "01"  # DEMO_COMMUNE's province; OTHER_COMMUNE is in Thành phố Hồ Chí Minh
ROLES = [
    "anonymous",
    "learner",
    "member",
    "leader",
    "other_commune_official",
    "commune_official",
    "province_official",
    "admin",
]
PEOPLE = ["here_citizen", "here_member", "stranger_in_team", "there_citizen", "there_member"]
NAMES = {
    "here_citizen": "Dân Ở Đây",
    "here_member": "Thành Viên Ở Đây",
    "stranger_in_team": "Người Lạ Trong Tổ",
    "there_citizen": "Dân Ở Xa",
    "there_member": "Thành Viên Ở Xa",
}


@pytest.fixture
def world(app, factory):
    """Two communes in two provinces, each with a citizen, a village and a team; the team here
    has a member who lives in the other commune (membership must not widen who sees them)."""
    w: dict = {"phones": {}}
    for key, name in NAMES.items():
        commune = DEMO_COMMUNE if key.startswith("here") else OTHER_COMMUNE
        w[key] = factory.user(name=name, commune=commune)
    for role in ("member", "leader"):
        phone = next_phone()
        w["phones"][role] = phone
        w[role] = factory.user(phone=phone, name=f"Vai {role}", commune=DEMO_COMMUNE)
    w["here_village"] = factory.village(commune=DEMO_COMMUNE)
    w["there_village"] = factory.village(commune=OTHER_COMMUNE)
    w["here_team"] = factory.team(
        w["here_village"], members=(w["here_member"], w["stranger_in_team"], w["member"], w["leader"]), leader=w["leader"]
    )
    w["there_team"] = factory.team(w["there_village"], members=(w["there_member"],))
    return w


def client_for(app, factory, world, role):
    if role == "anonymous":
        return app.test_client()
    if role in ("member", "leader"):
        client = app.test_client()
        assert Auth(client).login(world["phones"][role]).status_code == 302
        return client
    kwargs = {
        "learner": {},
        "other_commune_official": {"role": "commune_official", "role_commune": OTHER_COMMUNE, "commune": OTHER_COMMUNE},
        "commune_official": {"role": "commune_official", "role_commune": DEMO_COMMUNE},
        "province_official": {"role": "province_official", "province": HANOI},
        "admin": {"role": "admin"},
    }[role]
    return login_as(app, factory, name="Người Xem", **kwargs)[0]


# Whom each role sees (of PEOPLE).
SEES = {
    "anonymous": set(),
    "learner": set(),
    "member": set(),
    "leader": {"here_member", "stranger_in_team"},
    "other_commune_official": {"there_citizen", "there_member", "stranger_in_team"},
    "commune_official": {"here_citizen", "here_member"},
    "province_official": {"here_citizen", "here_member"},
    "admin": set(PEOPLE),
}
# Which place filters each role may use.
PLACES = {
    "anonymous": set(),
    "learner": set(),
    "member": set(),
    "leader": {"here_team"},
    "other_commune_official": {"there_commune", "there_village", "there_team"},
    "commune_official": {"here_commune", "here_village", "here_team"},
    "province_official": {"here_commune", "here_village", "here_team"},
    "admin": {"here_commune", "here_village", "here_team", "there_commune", "there_village", "there_team"},
}
# Whom each place filter holds (before the viewer's scope): villages by household, none here.
IN_PLACE = {
    "here_commune": {"here_citizen", "here_member"},
    "there_commune": {"there_citizen", "there_member", "stranger_in_team"},
    "here_village": set(),
    "there_village": set(),
    "here_team": {"here_member", "stranger_in_team"},
    "there_team": {"there_member"},
}


def place_query(world, place: str) -> str:
    side, kind = place.split("_")
    if kind == "commune":
        return f"commune={DEMO_COMMUNE if side == 'here' else OTHER_COMMUNE}"
    return f"{kind}={world[place]}"


def shown_people(world, html: str) -> set[str]:
    ids = {int(i) for i in re.findall(r'href="/people/(\d+)"', html)}
    return {key for key in PEOPLE if world[key] in ids}


def exported_people(data: bytes) -> set[str]:
    names = {row[0] for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))}
    return {key for key, name in NAMES.items() if name in names}


@pytest.mark.parametrize("role", ROLES)
def test_people_routes_leak_nothing(app, factory, world, role):
    client = client_for(app, factory, world, role)
    sees_list = role in ("leader", "other_commune_official", "commune_official", "province_official", "admin")
    leaks = []

    def expect(url, status, people=None, export=False):
        response = client.get(url)
        if role == "anonymous":
            status = 302
        if response.status_code != status:
            leaks.append((url, "status", response.status_code, status))
            return
        if status == 302:
            if "/login" not in response.headers["Location"]:
                leaks.append((url, "redirect", response.headers["Location"]))
            return
        if people is not None:
            got = exported_people(response.data) if export else shown_people(world, response.text)
            if got != people:
                leaks.append((url, "people", sorted(got), sorted(people)))

    for fmt in ("", "export"):
        base = "/people/export?format=csv" if fmt else "/people?"
        expect(base, 200 if sees_list else 404, SEES[role] if sees_list else None, export=bool(fmt))
        for place in IN_PLACE:
            allowed = place in PLACES[role]
            url = f"{base}&{place_query(world, place)}"
            expect(url, 200 if allowed else 404, IN_PLACE[place] & SEES[role] if allowed else None, export=bool(fmt))
        # The search goes through the same scope: a name out of scope is never found.
        for key in PEOPLE:
            url = f"{base}&q={NAMES[key]}"
            expect(url, 200 if sees_list else 404, {key} & SEES[role] if sees_list else None, export=bool(fmt))
    for key in PEOPLE:
        expect(f"/people/{world[key]}", 200 if key in SEES[role] else 404)
        if key in SEES[role]:
            page = client.get(f"/people/{world[key]}").text
            if NAMES[key] not in page:
                leaks.append((key, "name missing"))
    expect("/people/export?format=xlsx", 200 if sees_list else 404)
    assert leaks == []


@pytest.mark.parametrize("role", ["learner", "member"])
def test_the_refusal_looks_like_any_missing_page(app, factory, world, role):
    client = client_for(app, factory, world, role)
    for url in ("/people", f"/people/{world['here_citizen']}", "/people/export?format=csv"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Trang này dành cho cán bộ và tổ trưởng." in response.text
