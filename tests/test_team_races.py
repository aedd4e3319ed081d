"""Two officials editing the same team at once never lose a member: parallel adds of different
members, adds racing removals, parallel leader changes and a leader change racing the removal
of that member. Each request comes from its own client, as parallel browsers would; meaningful
on PostgreSQL (row locks, READ COMMITTED), and on SQLite the same requests queue on BEGIN
IMMEDIATE. The team's rollup row must count every member who stays, too."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, csrf_from, login_as, next_phone
from tests.parallel import run_in_parallel

HANOI = "01"
COURSE = "nguoi-dan"


@pytest.fixture
def officials(app, factory):
    """A commune official and the province official above them, each with a primed client
    (session cookie and CSRF token) that parallel requests copy."""
    primed = []
    for kwargs in ({"role": "commune_official", "role_commune": DEMO_COMMUNE}, {"role": "province_official", "province": HANOI}):
        client = login_as(app, factory, **kwargs)[0]
        primed.append((client.get_cookie("session").value, csrf_from(client.get("/manage").text)))
    return primed


def post_as(app, official, url, data=None):
    cookie, token = official
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def residents(factory, count, name="Người Trong Tổ"):
    phones = [next_phone() for _ in range(count)]
    return phones, [factory.user(phone=phone, name=name) for phone in phones]


def enroll_all(app, user_ids):
    from lms.accounts.models import User
    from lms.catalog.models import Course
    from lms.learning.services import enroll

    with app.test_request_context("/", method="POST"):
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        for uid in user_ids:
            enroll(db.session.get(User, uid), course)
        db.session.commit()


def members(app, team):
    from lms.places.models import TeamMembership

    with app.app_context():
        return dict(
            db.session.execute(
                select(TeamMembership.user_id, TeamMembership.is_leader).where(TeamMembership.team_id == team)
            ).all()
        )


def team_enrolled(app, team) -> int:
    from lms.catalog.models import Course
    from lms.reports.models import Rollup

    with app.app_context():
        course = db.session.scalar(select(Course.id).where(Course.slug == COURSE))
        total = db.session.scalar(
            select(func.coalesce(func.sum(Rollup.enrolled), 0)).where(
                Rollup.level == "team", Rollup.place == str(team), Rollup.course_id == course
            )
        )
        return int(total or 0)


def no_errors(responses):
    problems = [r if not hasattr(r, "status_code") else (r.status_code, r.text[:200]) for r in responses]
    return [p for p in problems if not isinstance(p, tuple) or p[0] >= 500]


def test_parallel_adds_of_different_members_keep_every_one(app, factory, officials):
    phones, ids = residents(factory, 10)
    enroll_all(app, ids)
    team = factory.team(factory.village())

    responses = run_in_parallel(10, lambda i: post_as(app, officials[i % 2], f"/manage/teams/{team}", {"phone": phones[i]}))
    assert no_errors(responses) == []
    assert [r.status_code for r in responses] == [302] * 10
    assert set(members(app, team)) == set(ids)
    assert team_enrolled(app, team) == 10


def test_adds_racing_removals_of_other_members_keep_the_ones_added(app, factory, officials):
    phones, newcomers = residents(factory, 6, "Người Mới Vào")
    _, leaving = residents(factory, 6, "Người Rời Tổ")
    enroll_all(app, newcomers + leaving)
    team = factory.team(factory.village(), members=leaving)
    from lms.reports.rollups import rebuild

    with app.app_context():
        rebuild()  # the factory made the memberships without the signal: count them first
        db.session.commit()
    assert team_enrolled(app, team) == 6

    def send(i):
        official = officials[i % 2]
        if i < 6:
            return post_as(app, official, f"/manage/teams/{team}", {"phone": phones[i]})
        return post_as(app, official, f"/manage/teams/{team}/members/{leaving[i - 6]}/remove")

    responses = run_in_parallel(12, send)
    assert no_errors(responses) == []
    assert [r.status_code for r in responses] == [302] * 12
    assert set(members(app, team)) == set(newcomers)
    assert team_enrolled(app, team) == 6


def test_parallel_leader_changes_keep_every_member_and_every_change(app, factory, officials):
    _, ids = residents(factory, 8)
    team = factory.team(factory.village(), members=ids, leader=ids[0])

    def send(i):
        action = "not-leader" if i == 0 else "leader"
        return post_as(app, officials[i % 2], f"/manage/teams/{team}/members/{ids[i]}/{action}")

    responses = run_in_parallel(8, send)
    assert no_errors(responses) == []
    assert members(app, team) == {uid: uid != ids[0] for uid in ids}


def test_leader_appointments_from_the_roles_page_racing_other_edits_lose_nobody(app, factory, officials):
    phones, ids = residents(factory, 6)
    new_phones, newcomers = residents(factory, 3, "Người Mới Vào")
    team = factory.team(factory.village(), members=ids)
    commune_official = officials[0]

    def send(i):
        if i < 3:  # the commune official makes three members leaders on the roles page
            kind = "team_leader"
            return post_as(
                app,
                commune_official,
                f"/manage/roles/{kind}",
                {f"{kind}-csrf_token": commune_official[1], f"{kind}-place": str(team), f"{kind}-phone": phones[i]},
            )
        if i < 6:  # while the province official adds three people on the team page
            return post_as(app, officials[1], f"/manage/teams/{team}", {"phone": new_phones[i - 3]})
        return post_as(app, officials[1], f"/manage/teams/{team}/members/{ids[i - 3]}/leader")

    responses = run_in_parallel(9, send)
    assert no_errors(responses) == []
    assert [r.status_code for r in responses] == [302] * 9
    assert members(app, team) == {**{uid: True for uid in ids}, **{uid: False for uid in newcomers}}


def test_a_leader_change_racing_the_removal_of_that_member_is_a_message_not_an_error(app, factory, officials):
    from lms.core.audit import AuditEvent

    _, ids = residents(factory, 8)
    team = factory.team(factory.village(), members=ids)
    doomed, kept = ids[:4], ids[4:]

    def send(i):
        person = doomed[i // 2]
        action = "leader" if i % 2 == 0 else "remove"
        return post_as(app, officials[i % 2], f"/manage/teams/{team}/members/{person}/{action}")

    responses = run_in_parallel(8, send)
    assert no_errors(responses) == []
    assert [r.status_code for r in responses] == [302] * 8
    assert set(members(app, team)) == set(kept)
    with app.app_context():
        removed = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "team.remove_member")).all()
    assert sorted(event["user"] for event in removed) == sorted(doomed)


def _counted_team(app, factory, count):
    """A team of `count` enrolled members whose rollup row already counts them."""
    from lms.reports.rollups import rebuild

    phones, ids = residents(factory, count)
    enroll_all(app, ids)
    team = factory.team(factory.village(), members=ids)
    with app.app_context():
        rebuild()
        db.session.commit()
    return phones, ids, team


def test_parallel_removals_of_one_member_remove_and_uncount_it_once(app, factory, officials):
    from lms.core.audit import AuditEvent

    _, ids, team = _counted_team(app, factory, 3)
    responses = run_in_parallel(6, lambda i: post_as(app, officials[i % 2], f"/manage/teams/{team}/members/{ids[0]}/remove"))
    assert no_errors(responses) == []
    assert set(members(app, team)) == set(ids[1:])
    assert team_enrolled(app, team) == 2
    assert factory.count(AuditEvent, AuditEvent.action == "team.remove_member") == 1


def test_an_add_racing_the_removal_of_the_same_member_leaves_count_and_roster_agreeing(app, factory, officials):
    phones, ids, team = _counted_team(app, factory, 4)

    def send(i):
        person = i // 2
        if i % 2 == 0:
            return post_as(app, officials[0], f"/manage/teams/{team}/members/{ids[person]}/remove")
        return post_as(app, officials[1], f"/manage/teams/{team}", {"phone": phones[person]})

    responses = run_in_parallel(8, send)
    assert no_errors(responses) == []
    # Whichever came first, the count is the roster's: nobody is in the team without being counted.
    assert team_enrolled(app, team) == len(members(app, team))
