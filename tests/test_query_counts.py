"""The signed-in learner's pages make a bounded number of database statements, whatever the
course's size or the learner's progress, and outlines never load lesson bodies."""

from __future__ import annotations

import contextlib
import re

from sqlalchemy import event

from lms.core.extensions import db
from tests.factories import csrf_from, login_as

COURSE = "/courses/nguoi-dan"
OTHER_COURSE = "/courses/thanh-vien"
# Per page: the user with their session row, the scope with the villages of their teams (the menu),
# then what the page itself shows.
LESSON_STATEMENTS = 3  # + whether this lesson was read
COURSE_STATEMENTS = 10  # + course, enrolment, modules, lessons, read, scores, completions
DASHBOARD_STATEMENTS = 11  # with one course; each further course adds at most PER_COURSE
PER_COURSE = 6


@contextlib.contextmanager
def statements(app):
    """The SQL statements sent while the block runs (transaction control left out)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _lessons(client, module_path: str) -> list[str]:
    page = client.get(module_path).text
    found = re.findall(rf'href="({re.escape(module_path)}/[^"/?#]+)"', page)
    return [path for path in dict.fromkeys(found) if not path.endswith("/quiz")]


def _read(client, lesson: str) -> None:
    token = csrf_from(client.get(lesson).text)
    assert client.post(f"{lesson}/done", data={"csrf_token": token}).status_code == 302


def _enroll(client, course: str) -> None:
    token = csrf_from(client.get(course).text)
    assert client.post(f"{course}/enroll", data={"csrf_token": token}).status_code == 302


def _count(app, client, path: str) -> list[str]:
    client.get(path)  # warm: the lesson parts and lesson keys are cached per process
    with statements(app) as seen:
        response = client.get(path)
    assert response.status_code == 200, path
    return seen


def test_lesson_course_and_dashboard_pages_make_a_bounded_number_of_statements(app, factory):
    client = login_as(app, factory, name="Người Học Đếm")[0]
    _enroll(client, COURSE)
    lessons = _lessons(client, f"{COURSE}/b01-trinh-duyet")
    assert len(lessons) >= 2
    _read(client, lessons[0])

    lesson = _count(app, client, lessons[1])
    assert len(lesson) <= LESSON_STATEMENTS, lesson
    course = _count(app, client, COURSE)
    assert len(course) <= COURSE_STATEMENTS, course
    dashboard = _count(app, client, "/dashboard")
    assert len(dashboard) <= DASHBOARD_STATEMENTS, dashboard

    # More progress, more lessons read: not one statement more.
    for path in lessons[1:] + _lessons(client, f"{COURSE}/b02-tai-khoan-mat-khau")[:2]:
        _read(client, path)
    assert len(_count(app, client, COURSE)) == len(course)
    assert len(_count(app, client, "/dashboard")) == len(dashboard)
    assert len(_count(app, client, lessons[0])) == len(lesson)


def test_a_second_course_adds_a_fixed_number_of_statements_to_the_dashboard(app, factory):
    client = login_as(app, factory, name="Người Học Hai Khóa")[0]
    _enroll(client, COURSE)
    one = len(_count(app, client, "/dashboard"))
    _enroll(client, OTHER_COURSE)
    page = client.get("/dashboard").text
    assert "/courses/thanh-vien" in page
    two = len(_count(app, client, "/dashboard"))
    assert one < two <= one + PER_COURSE


def test_outlines_load_no_lesson_body(app, factory):
    client = login_as(app, factory, name="Người Học Đề Cương")[0]
    _enroll(client, COURSE)
    for path in (COURSE, "/dashboard", f"{COURSE}/b01-trinh-duyet"):
        seen = _count(app, client, path)
        assert not [s for s in seen if "body_html" in s or "body_md" in s], path
    # The lesson page still shows its body (loaded once, then kept with the rendered parts).
    lesson = _lessons(client, f"{COURSE}/b01-trinh-duyet")[0]
    assert 'class="lesson-body"' in client.get(lesson).text


def test_a_signed_in_readers_cached_lesson_page_carries_their_own_working_form_token(app, factory):
    first = login_as(app, factory, name="Người Đọc Trước")[0]
    second = login_as(app, factory, name="Người Đọc Sau")[0]
    lesson = _lessons(first, f"{COURSE}/b01-trinh-duyet")[0]
    pages = [client.get(lesson).text for client in (first, second, second)]  # the last two from the cache
    assert all("\x00" not in page for page in pages)
    assert csrf_from(pages[0]) != csrf_from(pages[1])
    # The token the cached page carries is the second reader's: their POST goes through.
    assert second.post(f"{lesson}/done", data={"csrf_token": csrf_from(pages[2])}).status_code == 302
    assert "Bạn đã đọc xong bài này." in second.get(lesson).text
    assert "Tôi đã đọc xong bài này" in first.get(lesson).text
