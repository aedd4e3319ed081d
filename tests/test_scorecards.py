"""Monthly scorecards: the numbers of a small world computed by hand (docs/evaluation.md states
the rules), months kept as they were computed when the criteria file changes, the command,
the pages and exports, and hostile month values."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, Auth, login_as, next_phone

SECOND_COMMUNE = "00008"  # Hà Nội too
HANOI = "01"
OCTOBER = date(2026, 10, 1)
_codes = itertools.count(1)


def at(day: str) -> datetime:
    """An instant in UTC from 'YYYY-MM-DD HH:MM' (UTC)."""
    return datetime.strptime(day, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def certificate(user_id: int, slug: str, issued: str, revoked: str | None = None):
    from lms.catalog.models import Course
    from lms.certificates.models import Certificate

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    db.session.add(
        Certificate(
            code=f"T{next(_codes):011d}",
            user_id=user_id,
            course_id=course.id,
            printed_name="Người Học",
            course_title=course.title,
            certificate_title="Chứng nhận",
            issuer_name="Học số cộng đồng",
            issued_at=at(issued),
            revoked_at=at(revoked) if revoked else None,
        )
    )


def completion(user_id: int, slug: str, when: str):
    from lms.catalog.models import Course
    from lms.learning.models import CourseCompletion

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    db.session.add(CourseCompletion(user_id=user_id, course_id=course.id, completed_at=at(when)))


def lesson_read(user_id: int, when: str):
    from lms.catalog.models import Lesson
    from lms.learning.models import LessonProgress

    lesson_id = db.session.scalar(select(Lesson.id).limit(1))
    db.session.add(LessonProgress(user_id=user_id, lesson_id=lesson_id, read_at=at(when), content_hash="x"))


@pytest.fixture
def world(app, factory):
    """Team 1 (village 1, Ba Đình) with four members, team 2 (village 2, commune 00008) with one;
    records before, inside and after October 2026 (Vietnam time: it ends 2026-10-31 17:00 UTC)."""
    from lms.accounts.models import AssistedRegistration, User
    from lms.places.models import Household, Team, TeamMembership, Village

    w = {"leader_phone": next_phone()}
    m1 = factory.user(phone=w["leader_phone"], name="Trần Một")
    m2, m3, m4 = (factory.user(name=f"Trần {n}") for n in ("Hai", "Ba", "Bốn"))
    m5 = factory.user(name="Lê Năm", commune=SECOND_COMMUNE)
    citizens = [factory.user(name=f"Dân {n}") for n in ("Một", "Hai", "Ba", "Bốn", "Năm")]
    v1, v2 = factory.village(DEMO_COMMUNE, "Thôn Một"), factory.village(SECOND_COMMUNE, "Thôn Hai")
    t1 = factory.team(v1, name="Tổ Một", members=(m1, m2, m3, m4), leader=m1)
    t2 = factory.team(v2, name="Tổ Hai", members=(m5,))
    with app.app_context():
        db.session.execute(update(Team).values(created_at=at("2026-09-01 00:00")))
        db.session.execute(update(Village).values(created_at=at("2026-09-01 00:00")))
        db.session.execute(update(TeamMembership).values(added_at=at("2026-10-01 00:00")))
        households = []
        for n in range(6):
            h = Household(village_id=v1, commune_code=DEMO_COMMUNE, label=f"Nhà {n}", label_key=f"nha {n}")
            # The sixth household is recorded after the month ended.
            h.created_at = at("2026-11-02 00:00" if n == 5 else "2026-09-01 00:00")
            db.session.add(h)
            households.append(h)
        db.session.flush()
        c1, c2, c3, c4, c5 = citizens
        for citizen, household in ((c1, 0), (c2, 0), (c3, 1), (c4, 2), (c5, 3)):
            db.session.execute(update(User).where(User.id == citizen).values(household_id=households[household].id))
        # Members' course: m1, m2 valid; m3 only after the month; m4 revoked inside it; m5 valid.
        certificate(m1, "thanh-vien", "2026-10-10 03:00")
        certificate(m2, "thanh-vien", "2026-10-10 03:00")
        certificate(m3, "thanh-vien", "2026-11-05 03:00")
        certificate(m4, "thanh-vien", "2026-10-05 03:00", revoked="2026-10-20 03:00")
        certificate(m5, "thanh-vien", "2026-10-01 03:00")
        # Citizens' course: c1 and c2 (household 0) completed in October, c3 only in November.
        completion(c1, "nguoi-dan", "2026-10-12 03:00")
        completion(c2, "nguoi-dan", "2026-10-12 04:00")
        completion(c3, "nguoi-dan", "2026-11-03 03:00")
        certificate(c1, "nguoi-dan", "2026-10-12 03:00")
        certificate(c2, "nguoi-dan", "2026-10-13 03:00")
        certificate(c4, "nguoi-dan", "2026-10-14 03:00", revoked="2026-10-30 03:00")
        # Activity in the last 30 days of October (from 2026-10-01 17:00 UTC): m1 read a lesson,
        # m2 only in September, m3 registered a citizen at the door, m5 read on the 30th; a read
        # after the end (m4, 1 November Vietnam time) does not count.
        lesson_read(m1, "2026-10-15 03:00")
        lesson_read(m2, "2026-09-15 03:00")
        lesson_read(m4, "2026-10-31 18:00")
        lesson_read(m5, "2026-10-30 03:00")
        db.session.add(
            AssistedRegistration(
                citizen_id=c5,
                member_id=m3,
                household_id=households[3].id,
                consent_read_aloud_at=at("2026-10-20 03:00"),
                created_at=at("2026-10-20 03:00"),
            )
        )
        db.session.commit()
    w.update(t1=t1, t2=t2, v1=v1, members=(m1, m2, m3, m4, m5))
    return w


# Hand-computed (criteria/evaluation.yaml 2026.1: weights 30/25/25/20, targets 100 %, 60 %, 10, 80 %):
# team 1: members certified 2/4 = 50 % -> 50; households reached 1/5 = 20 % -> 33.33;
#   citizens certified 2 / 4 members = 0.5 -> 5; active 2/4 = 50 % -> 62.5;
#   score (30·50 + 25·33.33 + 25·5 + 20·62.5) / 100 = 37.0825 -> 37.08, "Chưa đạt".
# team 2: 1/1 -> 100; no households -> 0; 0 citizens -> 0; active 1/1 -> 100; score 50, "Đạt".
# Ba Đình = team 1's figures (its members, its households, its residents): 37.08.
# Commune 00008 = team 2: 50. Hà Nội: 3/5 certified -> 60; 1/5 households -> 33.33;
#   2 citizens / 5 members = 0.4 -> 4; 3/5 active -> 75; (1800 + 833.25 + 100 + 1500) / 100 = 42.3325 -> 42.33.
EXPECTED = {
    ("team", "t1"): (37.08, "chua_dat", [50.0, 33.33, 5.0, 62.5]),
    ("team", "t2"): (50.0, "dat", [100.0, 0.0, 0.0, 100.0]),
    ("commune", DEMO_COMMUNE): (37.08, "chua_dat", [50.0, 33.33, 5.0, 62.5]),
    ("commune", SECOND_COMMUNE): (50.0, "dat", [100.0, 0.0, 0.0, 100.0]),
    ("province", HANOI): (42.33, "chua_dat", [60.0, 33.33, 4.0, 75.0]),
    # The country sums its provinces: all of it is in Hà Nội.
    ("country", "VN"): (42.33, "chua_dat", [60.0, 33.33, 4.0, 75.0]),
}


def _place(world, level, place):
    return str(world[place]) if level == "team" else place


def test_scorecards_match_the_hand_computed_numbers(app, world):
    from lms.reports import scorecards

    with app.app_context():
        outcome = scorecards.compute_month(OCTOBER)
        db.session.commit()
        assert outcome.written["team"] == 2
        assert outcome.written["province"] == 34 and outcome.written["country"] == 1
        for (level, place), (total, level_key, parts) in EXPECTED.items():
            card = scorecards.card(OCTOBER, level, _place(world, level, place))
            assert card is not None, (level, place)
            assert card.score == total, (level, place, card.breakdown)
            assert card.level_key == level_key
            assert [c["score"] for c in card.breakdown["criteria"]] == parts, (level, place)
            assert card.criteria_version == "2026.1"
        raw = scorecards.card(OCTOBER, "team", str(world["t1"])).breakdown["raw"]
        assert raw == {
            "members": 4,
            "members_certified": 2,
            "members_active": 2,
            "helped": 1,
            "households": 5,
            "households_reached": 1,
            "residents_certified": 2,
        }
        # A commune without teams or households scores 0.
        empty = scorecards.card(OCTOBER, "commune", "26506")
        assert empty.score == 0 and empty.breakdown["raw"]["members"] == 0


NEW_CRITERIA = """
version: "test-2"
name: "Bộ thử"
levels:
  - {key: tot, name: "Tốt", min_score: 40}
  - {key: chua_dat, name: "Chưa đạt", min_score: 0}
criteria:
  - {key: hoat_dong, name: "Hoạt động gần đây", metric: members_active_share_30d, target: 50, weight: 1}
"""


def test_history_is_unchanged_after_a_criteria_edit(app, world, tmp_path):
    from lms.reports import scorecards
    from lms.reports.scorecards import Scorecard

    with app.app_context():
        scorecards.compute_month(OCTOBER)
        db.session.commit()
        before = {
            (c.level, c.place): (c.score, c.level_key, c.criteria_version, c.criteria_sha256, c.breakdown)
            for c in db.session.scalars(select(Scorecard).where(Scorecard.month == OCTOBER))
        }
        path = tmp_path / "evaluation.yaml"
        path.write_text(NEW_CRITERIA, encoding="utf-8")
        edited = scorecards.load_criteria(path)
        outcome = scorecards.compute_month(OCTOBER, criteria=edited)
        db.session.commit()
        assert outcome.written is None and outcome.kept == len(before)
        november = date(2026, 11, 1)
        scorecards.compute_month(november, criteria=edited, now=at("2026-12-01 00:00"))
        db.session.commit()
        after = {
            (c.level, c.place): (c.score, c.level_key, c.criteria_version, c.criteria_sha256, c.breakdown)
            for c in db.session.scalars(select(Scorecard).where(Scorecard.month == OCTOBER))
        }
        assert after == before
        nov = scorecards.card(november, "team", str(world["t1"]))
        assert nov.criteria_version == "test-2"
        assert [c["name"] for c in nov.breakdown["criteria"]] == ["Hoạt động gần đây"]
        # In November nobody of team 1 was active in its last 30 days except m4 (read on 1 Nov):
        # 1/4 = 25 % of a 50 % target -> 50.
        assert nov.score == 50.0 and nov.level_key == "tot"
    # The October page still shows the October criteria, November the new one.
    client = login_as(app, factory_for(app), role="admin")[0]
    october_page = client.get(f"/reports/scorecards/teams/{world['t1']}?month=2026-10").text
    assert "Tỉ lệ thành viên tổ có chứng nhận" in october_page and "Hoạt động gần đây" not in october_page
    assert "2026.1" in october_page
    november_page = client.get(f"/reports/scorecards/teams/{world['t1']}?month=2026-11").text
    assert "Hoạt động gần đây" in november_page and "Tỉ lệ thành viên tổ có chứng nhận" not in november_page


def factory_for(app):
    from tests.factories import Factory

    return Factory(app)


def test_unfinished_months_and_bad_criteria_are_refused(app, world):
    from lms.core.errors import ValidationFailed
    from lms.reports import scorecards

    with app.app_context():
        with pytest.raises(ValidationFailed):
            scorecards.compute_month(OCTOBER, now=at("2026-10-31 16:59"))
        for text in (
            "[1, 2]",
            "version: x\ncriteria: []\nlevels: []",
            "version: x\ncriteria:\n  - {key: a, metric: nope, target: 1, weight: 1}",
        ):
            with pytest.raises(scorecards.CriteriaError):
                scorecards.parse_criteria(text)
        with pytest.raises(ValidationFailed):
            scorecards.parse_month("2026-13")


def test_the_command_computes_once_and_keeps_the_month(app, world):
    from lms.reports.scorecards import Scorecard

    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "scorecards-compute", "--month", "2026-10"])
    assert first.exit_code == 0, first.output
    assert "2 tổ" in first.output and "34 tỉnh/thành phố" in first.output
    again = runner.invoke(args=["lms", "scorecards-compute", "--month", "2026-10"])
    assert again.exit_code == 0 and "giữ nguyên" in again.output
    with app.app_context():
        assert len(db.session.scalars(select(Scorecard).where(Scorecard.level == "team")).all()) == 2
    replaced = runner.invoke(args=["lms", "scorecards-compute", "--month", "2026-10", "--replace"])
    assert replaced.exit_code == 0 and "2 tổ" in replaced.output
    for bad in ("2026-1", "abcd-ef", "2099-01", "2026-10\x00"):
        result = runner.invoke(args=["lms", "scorecards-compute", "--month", bad])
        assert result.exit_code == 1, (bad, result.output)


def _compute(app):
    from lms.reports import scorecards

    with app.app_context():
        scorecards.compute_month(OCTOBER)
        db.session.commit()


def test_pages_show_the_breakdown_and_the_ranking(app, factory, world):
    _compute(app)
    client = login_as(app, factory, role="admin")[0]
    country = client.get("/reports/scorecards/vn/VN?month=2026-10")
    assert country.status_code == 200
    assert "Thành phố Hà Nội" in country.text and "42,3" in country.text
    province = client.get(f"/reports/scorecards/provinces/{HANOI}?month=2026-10").text
    assert "42,3" in province and "Chưa đạt" in province
    # Communes ranked: 00008 (50) before Ba Đình (37.1).
    assert province.index(f'data-place="{SECOND_COMMUNE}"') < province.index(f'data-place="{DEMO_COMMUNE}"')
    team = client.get(f"/reports/scorecards/teams/{world['t1']}?month=2026-10").text
    assert "37,1" in team and "50,0%" in team and "20,0%" in team and "0,50" in team
    # The leader of team 1 sees their team's card (and no other).
    leader = app.test_client()
    assert Auth(leader).login(world["leader_phone"]).status_code == 302
    assert leader.get("/reports/scorecards").headers["Location"].endswith(f"/reports/scorecards/teams/{world['t1']}")
    assert "37,1" in leader.get(f"/reports/scorecards/teams/{world['t1']}").text


def test_exports_hold_the_ranking_and_the_breakdown(app, factory, world):
    _compute(app)
    client = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)[0]
    response = client.get(f"/reports/scorecards/communes/{DEMO_COMMUNE}/export?month=2026-10&format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Hạng", "Tổ công nghệ số cộng đồng", "Điểm", "Xếp loại"]
    assert rows[1][:4] == ["1", "Tổ Một (Thôn Một)", "37.08", "Chưa đạt"]
    response = client.get(f"/reports/scorecards/teams/{world['t1']}/export?month=2026-10&format=csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[1] == ["Tỉ lệ thành viên tổ có chứng nhận", "50.0", "100.0", "30.0", "50.0", "Đạt"]
    assert rows[-1][0] == "Điểm chung" and rows[-1][4] == "37.08"
    xlsx = client.get(f"/reports/scorecards/teams/{world['t1']}/export?month=2026-10&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get(f"/reports/scorecards/teams/{world['t1']}/export?format=pdf").status_code == 400


@pytest.mark.parametrize(
    "query",
    ["month=2026-13", "month=%00", "month=" + "9" * 40, "month=-1", "month[]=x"],
)
def test_hostile_months_get_a_message(app, factory, world, query):
    _compute(app)
    client = login_as(app, factory, role="admin")[0]
    response = client.get(f"/reports/scorecards/teams/{world['t1']}?{query}")
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        # NUL bytes are refused for every route before the view (lms/core/security.py).
        assert "Tháng phải có dạng" in response.text or "%00" in query


@pytest.mark.parametrize("key", ["99999999999999999999", "-1", "1%00", "abc", "%C2%B2", "1%C2%B2"])
def test_hostile_places_are_not_found(app, factory, world, key):
    client = login_as(app, factory, role="admin")[0]
    for segment in ("teams", "communes", "provinces", "nowhere"):
        merit = client.get(f"/reports/scorecards/teams/{key}/merit.pdf")
        assert merit.status_code == (400 if "%00" in key else 404)
        # A NUL byte is refused with 400 before any view (lms/core/security.py).
        expected = 400 if "%00" in key else 404
        assert client.get(f"/reports/scorecards/{segment}/{key}").status_code == expected
