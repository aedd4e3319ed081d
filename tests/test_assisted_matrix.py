"""Route × role × object matrix for registration at the door, households, the login card and
'people I helped': every role gets exactly the status it should for an object in its place and
one elsewhere, and a refused POST writes nothing (0 leaks)."""

from __future__ import annotations

import pytest

from lms.accounts.models import AssistedRegistration
from lms.places.models import Household
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, csrf_from, next_phone
from tests.test_assisted import citizen_fields, door_fixture  # noqa: F401  (the fixture door)

HANOI = "01"
ROLES = [
    "anonymous",
    "learner",
    "member",
    "leader",
    "other_official",
    "commune_official",
    "province_official",
    "admin",
]


def client_for(app, factory, door, role):
    client = app.test_client()
    if role == "anonymous":
        return client
    phone = {"member": door.phones.member, "leader": door.phones.leader}.get(role)
    if phone is None:
        phone = next_phone()
        kwargs = {
            "learner": {},
            "other_official": {"role": "commune_official", "role_commune": OTHER_COMMUNE},
            "commune_official": {"role": "commune_official", "role_commune": DEMO_COMMUNE},
            "province_official": {"role": "province_official", "province": HANOI},
            "admin": {"role": "admin"},
        }[role]
        factory.user(phone=phone, **kwargs)
    assert Auth(client).login(phone).status_code == 302
    return client


def gets(door, owner):
    village = door.village if owner == "here" else door.far_village
    team = door.team if owner == "here" else door.far_team
    return {
        "register": "/field/register",
        "households": f"/field/villages/{village}/households",
        "api": f"/api/field/households?village={village}",
        "helped": "/helped",
        "team": f"/helped/teams/{team}",
        "card": "/login/card",
    }


LOGIN = 302
# role -> route -> (status for "here", status for "there")
EXPECTED = {
    "anonymous": dict(
        register=(LOGIN,) * 2, households=(LOGIN,) * 2, api=(404, 404), helped=(LOGIN,) * 2, team=(LOGIN,) * 2, card=(200, 200)
    ),
    "learner": dict(
        register=(404, 404), households=(404, 404), api=(404, 404), helped=(404, 404), team=(404, 404), card=(302, 302)
    ),
    "member": dict(
        register=(200, 200), households=(200, 404), api=(200, 404), helped=(200, 200), team=(404, 404), card=(302, 302)
    ),
    "leader": dict(
        register=(200, 200), households=(200, 404), api=(200, 404), helped=(200, 200), team=(200, 404), card=(302, 302)
    ),
    "other_official": dict(
        register=(404, 404), households=(404, 200), api=(404, 200), helped=(404, 404), team=(404, 200), card=(302, 302)
    ),
    "commune_official": dict(
        register=(404, 404), households=(200, 404), api=(200, 404), helped=(404, 404), team=(200, 404), card=(302, 302)
    ),
    "province_official": dict(
        register=(404, 404), households=(200, 404), api=(200, 404), helped=(404, 404), team=(200, 404), card=(302, 302)
    ),
    "admin": dict(
        register=(404, 404), households=(200, 200), api=(200, 200), helped=(404, 404), team=(200, 200), card=(302, 302)
    ),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_its_scope_says(app, factory, door, role):
    client = client_for(app, factory, door, role)
    mismatches = []
    for index, owner in enumerate(("here", "there")):
        for name, url in gets(door, owner).items():
            status = client.get(url).status_code
            if status != EXPECTED[role][name][index]:
                mismatches.append((owner, name, url, status))
    assert mismatches == []


def token_for(client) -> str:
    page = client.get("/login")  # its form for anonymous visitors, the home page's log-out form for the others
    return csrf_from(page.text if page.status_code == 200 else client.get("/").text)


@pytest.mark.parametrize("role", ROLES)
def test_adding_a_household_works_only_where_the_role_may(app, factory, door, role):
    client = client_for(app, factory, door, role)
    token = token_for(client)
    statuses = []
    for village in (door.village, door.far_village):
        response = client.post(f"/field/villages/{village}/households", data={"csrf_token": token, "label": f"Nhà {role}"})
        statuses.append(response.status_code)
    allowed = [expected == 200 for expected in EXPECTED[role]["households"]]
    assert statuses == [302 if ok else (LOGIN if role == "anonymous" else 404) for ok in allowed]
    made = {
        "here": factory.count(Household, Household.village_id == door.village),
        "there": factory.count(Household, Household.village_id == door.far_village),
    }
    assert made == {"here": int(allowed[0]), "there": int(allowed[1])}


@pytest.mark.parametrize("role", ROLES)
def test_registering_works_only_for_members_in_their_village(app, factory, door, role):
    client = client_for(app, factory, door, role)
    token = token_for(client)
    statuses = []
    for village in (door.village, door.far_village):
        data = {"csrf_token": token, "form_key": f"matrix-key-{role}-{village}-0123456789"}
        data.update(citizen_fields(door, village=str(village), household_new=f"Nhà số {village}"))
        statuses.append(client.post("/field/register", data=data).status_code)
    expected = {
        "anonymous": [LOGIN, LOGIN],
        "member": [200, 422],
        "leader": [200, 422],
    }.get(role, [404, 404])
    assert statuses == expected
    registered = factory.count(AssistedRegistration)
    assert registered == (1 if role in ("member", "leader") else 0)
    assert factory.count(Household, Household.village_id == door.far_village) == 0
