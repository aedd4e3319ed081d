"""Dashboards: the numbers on every level equal direct counts of the records, each level is
limited to the viewer's scope (404 outside it), and hostile addresses get a clean 404."""

from __future__ import annotations

import html
import random
import re

import pytest
from sqlalchemy import and_, distinct, exists, func, select

from lms.core import signals
from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, next_phone

SECOND_COMMUNE = "00008"  # Hà Nội too
NAMES = ["An", "Bình", "Cúc", "Dũng", "Đào", "Giang", "Hà", "Khánh", "Lan", "Minh", "Ngọc", "Phúc", "Quân", "Sơn", "Tâm"]


def complete(person, course):
    from lms.catalog.services import course_modules
    from lms.learning import services as learning
    from lms.learning.models import ModuleCompletion

    learning.record_activity(person, course)
    for row in course_modules(course):
        db.session.add(ModuleCompletion(user_id=person.id, course_id=course.id, module_id=row.module_id, best_percent=90))
    db.session.flush()
    learning.maybe_complete_course(person, course)


@pytest.fixture
def world(app):
    """People in three communes (two provinces), villages with households and teams, each person
    somewhere on the way through the courses; one certificate revoked."""
    from lms.accounts import services as accounts
    from lms.accounts.models import Role
    from lms.catalog.models import Course
    from lms.certificates import services as certificates
    from lms.certificates.models import Certificate
    from lms.learning import services as learning
    from lms.places import services as places
    from lms.places.models import Household, Team, Village

    rng = random.Random(7)
    with app.app_context():
        admin = accounts.create_account(next_phone(), "Quản Trị", "mat-khau-123", Role.ADMIN)
        courses = list(db.session.scalars(select(Course).order_by(Course.id)))
        villages, teams, households = {}, {}, []
        for commune in (DEMO_COMMUNE, SECOND_COMMUNE, OTHER_COMMUNE):
            village = Village(commune_code=commune, name=f"Đông {commune}", kind="thôn")
            db.session.add(village)
            db.session.flush()
            team = Team(village_id=village.id, commune_code=commune, name=f"Tổ Đông {commune}")
            db.session.add(team)
            db.session.flush()
            villages[commune], teams[commune] = village, team
            for number in range(2):
                household = Household(
                    village_id=village.id, commune_code=commune, label=f"Nhà {number}", label_key=f"nha {number}"
                )
                db.session.add(household)
                db.session.flush()
                signals.household_created.send("places", household=household)
                households.append(household)
        people = []
        for index, name in enumerate(NAMES):
            commune = (DEMO_COMMUNE, SECOND_COMMUNE, OTHER_COMMUNE)[index % 3]
            person = accounts.register_user(
                phone=next_phone(), password="mat-khau-123", full_name=f"Trần {name}", consent=True, commune_code=commune
            )
            people.append(person)
            in_commune = [h for h in households if h.commune_code == commune]
            if index % 2 == 0:
                accounts.move_person(person, commune_code=commune, household_id=rng.choice(in_commune).id)
            if index % 4 == 0:
                places.add_member(admin, teams[commune].id, person.phone)
            for course in courses:
                step = rng.choice(("none", "enrolled", "started", "completed"))
                if step == "none":
                    continue
                learning.enroll(person, course)
                if step == "started":
                    learning.record_activity(person, course)
                elif step == "completed":
                    complete(person, course)
        live = list(db.session.scalars(select(Certificate).order_by(Certificate.id)))
        if live:
            certificates.revoke(admin, live[0], "Cấp nhầm")
        db.session.commit()
        return {
            "admin": admin.phone,
            "villages": {c: v.id for c, v in villages.items()},
            "teams": {c: t.id for c, t in teams.items()},
            "courses": [(c.id, c.slug) for c in courses],
        }


def direct_counts(level: str, place: str, course_id: int) -> tuple[int, ...]:
    """(enrolled, not started, in progress, completed, certified, households reached), counted
    from the records with the rules stated in docs/reports.md, not from the counters."""
    from lms.accounts.models import User
    from lms.certificates.models import Certificate
    from lms.learning.models import CourseCompletion, Enrollment
    from lms.places.models import Commune, Household, TeamMembership

    people = select(User.id)
    if level == "province":
        people = people.join(Commune, Commune.code == User.home_commune_code).where(Commune.province_code == place)
    elif level == "commune":
        people = people.where(User.home_commune_code == place)
    elif level == "village":
        people = people.join(Household, Household.id == User.household_id).where(Household.village_id == int(place))
    elif level == "team":
        people = select(TeamMembership.user_id).where(TeamMembership.team_id == int(place))
    ids = people.scalar_subquery()

    def count(stmt):
        return db.session.scalar(stmt) or 0

    enrolled = count(select(func.count()).where(Enrollment.course_id == course_id, Enrollment.user_id.in_(ids)))
    started = count(
        select(func.count()).where(
            Enrollment.course_id == course_id, Enrollment.user_id.in_(ids), Enrollment.started_at.is_not(None)
        )
    )
    completed_stmt = select(func.count()).where(CourseCompletion.course_id == course_id, CourseCompletion.user_id.in_(ids))
    completed = count(completed_stmt)
    in_progress = count(
        select(func.count()).where(
            Enrollment.course_id == course_id,
            Enrollment.user_id.in_(ids),
            Enrollment.started_at.is_not(None),
            ~exists().where(and_(CourseCompletion.user_id == Enrollment.user_id, CourseCompletion.course_id == course_id)),
        )
    )
    certified = count(
        select(func.count()).where(
            Certificate.course_id == course_id, Certificate.user_id.in_(ids), Certificate.revoked_at.is_(None)
        )
    )
    household_scope = select(Household.id)
    if level == "province":
        household_scope = household_scope.join(Commune, Commune.code == Household.commune_code).where(
            Commune.province_code == place
        )
    elif level == "commune":
        household_scope = household_scope.where(Household.commune_code == place)
    elif level == "village":
        household_scope = household_scope.where(Household.village_id == int(place))
    elif level == "team":
        household_scope = household_scope.where(False)
    reached = count(
        select(func.count(distinct(User.household_id)))
        .join(CourseCompletion, CourseCompletion.user_id == User.id)
        .where(CourseCompletion.course_id == course_id, User.household_id.in_(household_scope.scalar_subquery()))
    )
    return enrolled, enrolled - started, in_progress, completed, certified, reached


def table_rows(page: str) -> dict[str, tuple[int, ...]]:
    """The numbers a viewer reads in each place row ("level:key"): enrolled … certified, and
    households reached (teams have none)."""
    rows = {}
    for key, body in re.findall(r'<tr data-place="([^"]+)">(.*?)</tr>', page, flags=re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
        counts = [int(c.replace(".", "")) for c in cells[:5]]
        reached = 0 if cells[7] == "—" else int(cells[7].split("/")[0].strip().replace(".", ""))
        rows[key] = (*counts, reached)
    return rows


def test_every_level_shows_the_direct_counts(app, client, world):
    Auth(client).login(world["admin"])
    pages = [
        ("/reports/vn", "province", ["01", "79"]),
        ("/reports/provinces/01", "commune", [DEMO_COMMUNE, SECOND_COMMUNE]),
        (f"/reports/communes/{DEMO_COMMUNE}", "village", [str(world["villages"][DEMO_COMMUNE])]),
        (f"/reports/villages/{world['villages'][OTHER_COMMUNE]}", "team", [str(world["teams"][OTHER_COMMUNE])]),
    ]
    checked = 0
    for course_id, slug in world["courses"]:
        for url, level, places in pages:
            page = client.get(f"{url}?course={slug}")
            assert page.status_code == 200
            shown = table_rows(page.text)
            with app.app_context():
                for place in places:
                    assert shown[f"{level}:{place}"] == direct_counts(level, place, course_id), (url, slug, place)
                    checked += 1
    with app.app_context():
        assert sum(direct_counts("country", "VN", c)[0] for c, _ in world["courses"]) > 10  # the world is not empty


def test_summary_cards_show_the_place_and_households(app, client, world):
    Auth(client).login(world["admin"])
    page = client.get(f"/reports/communes/{DEMO_COMMUNE}?course=nguoi-dan").text
    citizens_id = next(c for c, slug in world["courses"] if slug == "nguoi-dan")
    with app.app_context():
        enrolled, _ns, in_progress, completed, certified, reached = direct_counts("commune", DEMO_COMMUNE, citizens_id)
    card = re.search(r'<div class="card stat chosen">(.*?)</div>\s*</dl>', page, re.S) or re.search(
        r'<div class="card stat chosen">(.*?)</dl>', page, re.S
    )
    assert card
    values = [int(v.replace(".", "")) for v in re.findall(r"<dd>([\d.]+)</dd>", card.group(1))[:4]]
    assert values == [enrolled, in_progress, completed, certified]
    assert "Hộ gia đình có ít nhất một người hoàn thành khóa học cho người dân" in page
    assert re.search(rf"<strong>{reached}</strong>\s*trên 2 hộ đã ghi nhận", page)


def test_trend_is_an_svg_drawn_on_the_server_within_the_csp(client, world):
    Auth(client).login(world["admin"])
    response = client.get("/reports/vn?course=nguoi-dan")
    page = response.text
    assert '<svg class="trend"' in page and "<polyline" in page
    assert "<script" not in page.split('<svg class="trend"')[1].split("</svg>")[0]
    assert "style=" not in page.split('<svg class="trend"')[1].split("</svg>")[0]
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    # The same numbers as a table: this week's enrolments are all of the world's.
    assert "Số liệu từng tuần" in page


def test_sorting_and_filtering(client, world):
    Auth(client).login(world["admin"])
    page = client.get("/reports/provinces/01?course=nguoi-dan&sort=enrolled&dir=desc").text
    enrolled = [row[0] for row in table_rows(page).values()]
    assert enrolled == sorted(enrolled, reverse=True)
    only = client.get("/reports/provinces/01?course=nguoi-dan&status=enrolled").text
    shown = table_rows(only)
    assert shown and all(row[0] > 0 for row in shown.values())
    assert len(shown) < len(table_rows(page))  # the province's other communes have nobody


ROLES = ("anonymous", "learner", "member", "leader", "official", "official_elsewhere", "province", "admin")


@pytest.fixture
def people(app, factory, world):
    from lms.places.models import TeamMembership

    learner = factory.user()
    member = factory.user()
    leader = factory.user()
    with app.app_context():
        db.session.add(TeamMembership(team_id=world["teams"][DEMO_COMMUNE], user_id=member, is_leader=False))
        db.session.add(TeamMembership(team_id=world["teams"][DEMO_COMMUNE], user_id=leader, is_leader=True))
        db.session.commit()
    ids = {
        "learner": learner,
        "member": member,
        "leader": leader,
        "official": factory.user(role="commune_official", role_commune=DEMO_COMMUNE),
        "official_elsewhere": factory.user(role="commune_official", role_commune=OTHER_COMMUNE, commune=OTHER_COMMUNE),
        "province": factory.user(role="province_official", province="01"),
        "admin": factory.user(role="admin"),
    }
    return {role: factory.get_user(uid).phone for role, uid in ids.items()}


def test_each_level_is_limited_to_the_viewers_scope(app, client, world, people):
    demo_village, other_village = world["villages"][DEMO_COMMUNE], world["villages"][OTHER_COMMUNE]
    demo_team, other_team = world["teams"][DEMO_COMMUNE], world["teams"][OTHER_COMMUNE]
    urls = {
        "country": "/reports/vn",
        "province": "/reports/provinces/01",
        "other_province": "/reports/provinces/79",
        "commune": f"/reports/communes/{DEMO_COMMUNE}",
        "other_commune": f"/reports/communes/{OTHER_COMMUNE}",
        "village": f"/reports/villages/{demo_village}",
        "other_village": f"/reports/villages/{other_village}",
        "team": f"/reports/teams/{demo_team}",
        "other_team": f"/reports/teams/{other_team}",
    }
    allowed = {
        "anonymous": set(),
        "learner": set(),
        "member": set(),
        "leader": {"team"},
        "official": {"commune", "village", "team"},
        "official_elsewhere": {"other_commune", "other_village", "other_team"},
        "province": {"province", "commune", "village", "team"},
        "admin": set(urls),
    }
    leaks = []
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            Auth(client).login(people[role])
        for name, url in urls.items():
            for suffix in ("", "/export?format=csv"):
                target = url + suffix
                status = client.get(target).status_code
                expected = 200 if name in allowed[role] else (302 if role == "anonymous" else 404)
                if status != expected:
                    leaks.append((role, target, status, expected))
    assert leaks == []


def test_reports_index_sends_each_viewer_to_their_place(app, world, people):
    expected = {
        "official": f"/reports/communes/{DEMO_COMMUNE}",
        "province": "/reports/provinces/01",
        "leader": f"/reports/teams/{world['teams'][DEMO_COMMUNE]}",
        "admin": "/reports/vn",
    }
    for role, target in expected.items():
        client = app.test_client()
        Auth(client).login(people[role])
        assert client.get("/reports").headers["Location"].endswith(target)


@pytest.mark.parametrize(
    "url",
    [
        "/reports/villages/99999999999999999999",
        "/reports/teams/2147483648",
        "/reports/villages/-1",
        "/reports/villages/%C2%B2",
        "/reports/teams/1%C2%B2/export",
        "/reports/teams/" + "9" * 5000,
        "/reports/provinces/%00",
        "/reports/communes/0000%00",
        "/reports/communes/" + "9" * 500,
        "/reports/vn?course=%00",
        "/reports/vn?course=khong-co",
        "/reports/vn/export?format=pdf",
        "/reports/teams/1/export?format=%00",
    ],
)
def test_hostile_addresses_get_a_clean_answer(client, world, url):
    Auth(client).login(world["admin"])
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert "<h1>" in response.text or response.is_json


def test_sort_and_status_parameters_that_make_no_sense_are_ignored(client, world):
    Auth(client).login(world["admin"])
    for query in ("sort=__class__", "sort=x&dir=sideways", "status=drop+table", "sort=rate&dir=desc", "sort=" + "a" * 5000):
        assert client.get(f"/reports/vn?{query}").status_code == 200
    refused = client.get("/reports/vn?sort=%00")
    assert refused.status_code == 400 and "<h1>" in refused.text
