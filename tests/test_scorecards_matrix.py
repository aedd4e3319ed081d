"""Every scorecard route for every role: who gets the page, who is sent to log in, and who gets
404 (nothing out of scope shows, not even in links or exports)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, login_as, next_phone

SECOND_COMMUNE = "00008"  # Hà Nội
HANOI, HCMC = "01", "79"
ROLES = (
    "anonymous",
    "learner",
    "member",
    "leader",
    "commune_official",
    "other_commune_official",
    "province_official",
    "other_province_official",
    "admin",
)


@pytest.fixture
def world(app, factory):
    from lms.places.models import Team
    from lms.reports import scorecards

    w = {"phones": {"member": next_phone(), "leader": next_phone()}}
    member = factory.user(phone=w["phones"]["member"], name="Thành Viên")
    leader = factory.user(phone=w["phones"]["leader"], name="Tổ Trưởng")
    here, second, there = (factory.village(c, f"Thôn {c}") for c in (DEMO_COMMUNE, SECOND_COMMUNE, OTHER_COMMUNE))
    w["t1"] = factory.team(here, name="Tổ Ba Đình", members=(member, leader), leader=leader)
    w["t2"] = factory.team(second, name="Tổ Hai", members=(factory.user(name="Người Hai", commune=SECOND_COMMUNE),))
    w["t3"] = factory.team(there, name="Tổ Vũng Tàu", members=(factory.user(name="Người Ba", commune=OTHER_COMMUNE),))
    with app.app_context():
        db.session.execute(update(Team).values(created_at=datetime(2026, 10, 1, tzinfo=UTC)))
        scorecards.compute_month(date(2026, 10, 1))
        db.session.commit()
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
        "commune_official": {"role": "commune_official", "role_commune": DEMO_COMMUNE},
        "other_commune_official": {"role": "commune_official", "role_commune": OTHER_COMMUNE, "commune": OTHER_COMMUNE},
        "province_official": {"role": "province_official", "province": HANOI},
        "other_province_official": {"role": "province_official", "province": HCMC},
        "admin": {"role": "admin"},
    }[role]
    return login_as(app, factory, name="Người Xem", **kwargs)[0]


def places(world) -> dict[str, str]:
    return {
        "vn": "vn/VN",
        "hanoi": f"provinces/{HANOI}",
        "hcmc": f"provinces/{HCMC}",
        "here": f"communes/{DEMO_COMMUNE}",
        "second": f"communes/{SECOND_COMMUNE}",
        "there": f"communes/{OTHER_COMMUNE}",
        "t1": f"teams/{world['t1']}",
        "t2": f"teams/{world['t2']}",
        "t3": f"teams/{world['t3']}",
    }


SEES = {
    "anonymous": set(),
    "learner": set(),
    "member": set(),
    "leader": {"t1"},
    "commune_official": {"here", "t1"},
    "other_commune_official": {"there", "t3"},
    "province_official": {"hanoi", "here", "second", "t1", "t2"},
    "other_province_official": {"hcmc", "there", "t3"},
    "admin": {"vn", "hanoi", "hcmc", "here", "second", "there", "t1", "t2", "t3"},
}


@pytest.mark.parametrize("role", ROLES)
def test_scorecard_routes_leak_nothing(app, factory, world, role):
    client = client_for(app, factory, world, role)
    urls = places(world)
    allowed = SEES[role]
    leaks = []
    index = client.get("/reports/scorecards")
    if role == "anonymous":
        assert index.status_code == 302 and "/login" in index.headers["Location"]
    elif not allowed:
        assert index.status_code == 404
    else:
        assert index.status_code in (200, 302)
    for name, path in urls.items():
        for suffix in ("", "/export?format=csv&", "/export?format=xlsx&"):
            response = client.get(f"/reports/scorecards/{path}{suffix or '?'}month=2026-10")
            response.get_data()  # an export streams: read it to the end
            response.close()
            expected = 302 if role == "anonymous" else 200 if name in allowed else 404
            if response.status_code != expected:
                leaks.append((name, suffix, response.status_code, expected))
                continue
            if expected == 200 and not suffix:
                # Links to scorecard pages only of places in scope.
                for linked in re.findall(r'href="/reports/scorecards/([a-z]+/[0-9A-Z]+)', response.text):
                    shown = next(key for key, value in urls.items() if value == linked) if linked in urls.values() else linked
                    if shown in urls and shown not in allowed:
                        leaks.append(("link", name, linked))
            if expected == 404:
                for secret in ("Tổ Ba Đình", "Tổ Hai", "Tổ Vũng Tàu", "Xếp loại"):
                    if secret in response.text:
                        leaks.append(("text", name, secret))
    # The public honour roll and statistics are the same for everyone; no team here scores above 0, so no
    # certificate of merit exists for anyone.
    public = ("/honour?month=2026-10", f"/honour/{HANOI}?month=2026-10", f"/honour/{HCMC}", "/stats", f"/stats/provinces/{HANOI}")
    for path in (*public, f"/stats/communes/{DEMO_COMMUNE}"):
        if client.get(path).status_code != 200:
            leaks.append(("honour", path))
    for team in ("t1", "t2", "t3"):
        merit = client.get(f"/reports/scorecards/teams/{world[team]}/merit.pdf?month=2026-10")
        if merit.status_code != (302 if role == "anonymous" else 404):
            leaks.append(("merit", team, merit.status_code))
    assert leaks == []
