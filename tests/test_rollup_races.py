"""Hot counters under parallel writers: learners of one commune enrolling and reading at once all
count, nobody waits forever (no deadlock between the sharded rows), and a rebuild agrees.
Meaningful on PostgreSQL with its row locks; on SQLite the writers queue on BEGIN IMMEDIATE."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, csrf_from, login_as
from tests.parallel import run_in_parallel
from tests.test_rollups import snapshot

COURSE = "nguoi-dan"
LEARNERS = 12


def totals(course_id: int) -> dict[str, tuple[int, int]]:
    from lms.reports.models import Rollup

    rows = db.session.execute(
        select(Rollup.level, func.sum(Rollup.enrolled), func.sum(Rollup.started))
        .where(Rollup.course_id == course_id, Rollup.place.in_(("VN", "01", DEMO_COMMUNE)))
        .group_by(Rollup.level)
    )
    return {level: (int(enrolled), int(started)) for level, enrolled, started in rows}


def test_parallel_enrolments_and_first_reads_all_count(app, factory):
    from lms.catalog.models import Course
    from lms.catalog.services import course_modules, lessons_for
    from lms.reports import rollups

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        course_id = course.id
        first_module = course_modules(course)[0].module
        lesson = lessons_for(course, first_module)[0]
        done_url = f"/courses/{COURSE}/{first_module.slug}/{lesson.slug}/done"
    primed = []
    for _ in range(LEARNERS):
        client = login_as(app, factory, commune=DEMO_COMMUNE)[0]
        primed.append((client.get_cookie("session").value, csrf_from(client.get(f"/courses/{COURSE}").text)))

    def post(i: int, url: str):
        cookie, token = primed[i]
        client = app.test_client()
        client.set_cookie("session", cookie)
        return client.post(url, data={"csrf_token": token}).status_code

    enrolled = run_in_parallel(LEARNERS, lambda i: post(i, f"/courses/{COURSE}/enroll"))
    assert enrolled == [302] * LEARNERS
    # Each reads the first lesson twice at once (a double click): counted once per learner.
    read = run_in_parallel(2 * LEARNERS, lambda i: post(i % LEARNERS, done_url))
    assert read == [302] * (2 * LEARNERS)
    with app.app_context():
        assert totals(course_id) == {level: (LEARNERS, LEARNERS) for level in ("country", "province", "commune")}
        kept = snapshot()
        rollups.rebuild()
        db.session.commit()
        assert snapshot() == kept
