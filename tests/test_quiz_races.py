"""Quiz states under races and hostile input: one open attempt per learner and module held by
the database, no answer changing after grading, and bad autosave bodies or form fields
answered with a message instead of a server error. The parallel tests send real requests
from one thread per client, so on PostgreSQL they race inside the database."""

from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from lms.core.extensions import db
from lms.quizzes.models import AttemptAnswer, QuizAttempt
from tests.factories import csrf_from, login_as
from tests.quiz_helpers import answer_key, form_data, in_parallel, regrade_differences, same_session_clients

COURSE, MODULE = "nguoi-dan", "b03-tim-kiem"
QUIZ = f"/courses/{COURSE}/{MODULE}/quiz"
STARTS, AUTOSAVES, SAVES_PER_TAB, ROUNDS = 20, 15, 3, 3
INVALID = "Dữ liệu gửi lên không hợp lệ."


@pytest.fixture
def racing_app(make_app):
    """An app on the test database with a connection for every racing thread."""
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": STARTS + 5})


@pytest.fixture
def server_log(caplog):
    """What the app logs (the "lms" logger does not propagate to the root logger)."""
    logger = logging.getLogger("lms")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def refusal(response) -> str:
    """The Vietnamese text of a JSON refusal: the autosave's own {"error"}, or the {"message"}
    of the app-wide check that refuses unreadable input (NUL bytes, broken or deep JSON) first."""
    body = response.get_json()
    return body.get("message") or body["error"]


def errors_logged(log) -> list[str]:
    return [r.getMessage() for r in log.records if r.levelno >= logging.ERROR or r.exc_info]


def start(client) -> int:
    page = client.get(QUIZ)
    response = client.post(f"{QUIZ}/start", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


# --- one open attempt -------------------------------------------------------------------------


def test_twenty_parallel_starts_open_one_attempt_and_all_get_it(app, factory, racing_app, server_log):
    client, _, uid, _ = login_as(racing_app, factory)
    token = csrf_from(client.get(QUIZ).text)
    clients = same_session_clients(racing_app, client, STARTS)

    responses = in_parallel([lambda c=c: c.post(f"{QUIZ}/start", data={"csrf_token": token}) for c in clients])

    assert [r for r in responses if isinstance(r, Exception)] == []
    assert sorted({r.status_code for r in responses}) == [302]
    with app.app_context():
        open_ids = db.session.scalars(select(QuizAttempt.id).where(QuizAttempt.user_id == uid, QuizAttempt.state == "open")).all()
        assert db.session.scalar(select(func.count()).select_from(QuizAttempt).where(QuizAttempt.user_id == uid)) == 1
    assert len(open_ids) == 1
    assert {r.headers["Location"] for r in responses} == {f"/attempts/{open_ids[0]}"}
    assert errors_logged(server_log) == []


def test_database_refuses_a_second_open_attempt_for_one_learner_and_module(app, factory):
    client, _, uid, _ = login_as(app, factory)
    attempt_id = start(client)
    with app.app_context():
        first = db.session.get(QuizAttempt, attempt_id)
        twin = QuizAttempt(
            user_id=uid, course_id=first.course_id, module_id=first.module_id, number=first.number + 1, seed=1,
            items=first.items, pass_mark=first.pass_mark, total=first.total,
        )  # fmt: skip
        db.session.add(twin)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        # A closed attempt does not count: a new one may be opened beside a submitted one.
        first.state = "submitted"
        db.session.add(QuizAttempt(
            user_id=uid, course_id=first.course_id, module_id=first.module_id, number=first.number + 1, seed=1,
            items=first.items, pass_mark=first.pass_mark, total=first.total,
        ))  # fmt: skip
        db.session.commit()
        states = db.session.scalars(select(QuizAttempt.state).where(QuizAttempt.user_id == uid).order_by(QuizAttempt.number))
        assert list(states) == ["submitted", "open"]


def test_starting_in_the_other_course_of_a_shared_module_closes_the_open_attempt(app, factory):
    client, _, uid, _ = login_as(app, factory)
    citizens = start(client)
    members_quiz = f"/courses/thanh-vien/{MODULE}/quiz"
    page = client.get(members_quiz)
    response = client.post(f"{members_quiz}/start", data={"csrf_token": csrf_from(page.text)})
    members = int(response.headers["Location"].rsplit("/", 1)[1])
    assert members != citizens
    with app.app_context():
        assert db.session.get(QuizAttempt, citizens).state == "abandoned"
        assert db.session.get(QuizAttempt, members).state == "open"
    assert "Đã thay bằng lượt mới" in client.get(QUIZ).text
    closed = client.get(f"/attempts/{citizens}")
    assert closed.status_code == 302 and closed.headers["Location"] == QUIZ
    token = csrf_from(client.get(QUIZ).text)
    late = client.post(f"/api/attempts/{citizens}/answers", json={"answers": {}}, headers={"X-CSRFToken": token})
    assert late.status_code == 409 and "đã được thay bằng một lượt mới" in late.get_json()["error"]


# --- submit racing autosaves ------------------------------------------------------------------


def test_submit_racing_autosaves_leaves_no_answer_changed_after_grading(app, factory, racing_app, server_log):
    client, _, uid, _ = login_as(racing_app, factory)
    for round_ in range(ROUNDS):
        attempt_id = start(client)
        right = answer_key(app, attempt_id, right=10)
        wrong = answer_key(app, attempt_id, right=0)
        token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
        # Even rounds submit every answer (the autosaves must not change them afterwards);
        # odd rounds submit none, so the grade is whatever autosave committed before it.
        carried = right if round_ % 2 == 0 else {}
        submitter, *savers = same_session_clients(racing_app, client, AUTOSAVES + 1)

        def submit(c=submitter, carried=carried, attempt_id=attempt_id, token=token):
            # confirm_unanswered: "Vẫn nộp bài", so a submission without answers is graded, not questioned.
            data = MultiDict([("csrf_token", token), ("submit", "1"), ("confirm_unanswered", "1"), *form_data(carried)])
            return c.post(f"/attempts/{attempt_id}", data=data)

        def autosave(c, first, attempt_id=attempt_id, token=token, right=right, wrong=wrong):
            """A few saves in a row from one tab, flipping every answer, so they span the submit."""
            statuses = []
            for turn in range(SAVES_PER_TAB):
                answers = (first, wrong if first is right else right)[turn % 2]
                body = {"answers": {str(version_id): chosen for version_id, chosen in answers.items()}}
                response = c.post(f"/api/attempts/{attempt_id}/answers", json=body, headers={"X-CSRFToken": token})
                statuses.append(response.status_code)
            return statuses

        firsts = [wrong if i % 2 == 0 else right for i in range(len(savers))]
        calls = [submit] + [lambda c=c, first=first: autosave(c, first) for c, first in zip(savers, firsts, strict=True)]
        submitted, *saved = in_parallel(calls)

        assert not isinstance(submitted, Exception) and submitted.status_code == 302
        assert submitted.headers["Location"] == f"/attempts/{attempt_id}/result"
        assert [r for r in saved if isinstance(r, Exception)] == []
        assert {status for statuses in saved for status in statuses} <= {200, 409}
        with app.app_context():
            attempt = db.session.get(QuizAttempt, attempt_id)
            assert attempt.state == "submitted"
            stored = dict(db.session.execute(
                select(AttemptAnswer.version_id, AttemptAnswer.chosen).where(AttemptAnswer.attempt_id == attempt_id)
            ).all())  # fmt: skip
        if carried:
            assert stored == right and attempt.correct_count == 10
        else:  # each autosave wrote all ten answers at once, so one of them (or none) is what counts
            assert stored in (right, wrong, {version_id: [] for version_id in right})
    assert regrade_differences(app) == []
    with app.app_context():
        submitted_count = db.session.scalar(
            select(func.count()).select_from(QuizAttempt).where(QuizAttempt.user_id == uid, QuizAttempt.state == "submitted")
        )
    assert submitted_count == ROUNDS
    assert errors_logged(server_log) == []


def test_autosave_after_grading_is_refused_and_changes_nothing(app, factory):
    client, _, _, _ = login_as(app, factory)
    attempt_id = start(client)
    right = answer_key(app, attempt_id, right=10)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    data = MultiDict([("csrf_token", token), ("submit", "1"), *form_data(right)])
    assert client.post(f"/attempts/{attempt_id}", data=data).status_code == 302
    wrong = answer_key(app, attempt_id, right=0)
    late = client.post(f"/api/attempts/{attempt_id}/answers",
                       json={"answers": {str(k): v for k, v in wrong.items()}}, headers={"X-CSRFToken": token})  # fmt: skip
    assert late.status_code == 409 and "đã nộp" in late.get_json()["error"]
    form_save = client.post(f"/attempts/{attempt_id}", data=MultiDict([("csrf_token", token), *form_data(wrong)]))
    assert form_save.status_code == 302 and form_save.headers["Location"] == f"/attempts/{attempt_id}/result"
    with app.app_context():
        stored = dict(db.session.execute(
            select(AttemptAnswer.version_id, AttemptAnswer.chosen).where(AttemptAnswer.attempt_id == attempt_id)
        ).all())  # fmt: skip
    assert stored == right
    assert regrade_differences(app) == []


# --- hostile autosave bodies and form fields --------------------------------------------------

HOSTILE_BODIES = {
    "list": "[1]",
    "string": '"x"',
    "number": "1",
    "true": "true",
    "null": "null",
    "answers is a list": '{"answers": [1]}',
    "answers is a string": '{"answers": "x"}',
    "choice is a number": '{"answers": {"1": 5}}',
    "choice is null": '{"answers": {"1": null}}',
    "choice is an object": '{"answers": {"1": {"a": 1}}}',
    "choice list holds null": '{"answers": {"1": [null]}}',
    "choice list holds a list": '{"answers": {"1": [["a"]]}}',
    "superscript digit key": '{"answers": {"²": ["a"]}}',
    "arabic-indic digit key": '{"answers": {"٢": ["a"]}}',
    "full-width digit key": '{"answers": {"２": ["a"]}}',
    "5000-digit key": '{"answers": {"' + "1" * 5000 + '": ["a"]}}',
    "negative key": '{"answers": {"-1": ["a"]}}',
    "NUL in key": '{"answers": {"1\\u0000": ["a"]}}',
    "huge choice": '{"answers": {"1": ["' + "a" * 10_000 + '"]}}',
    "too many choices": '{"answers": {"1": [' + ",".join(['"a"'] * 1000) + "]}}",
    "nested 100,000 levels": '{"answers": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "nested 30,000 levels": "[" * 30_000 + "]" * 30_000,
    "not JSON": '{"answers": ',
    "not UTF-8": b'{"answers": {"1": ["\xff\xfe"]}}',
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_autosave_body_gets_a_vietnamese_400(app, factory, server_log, body):
    client, _, _, _ = login_as(app, factory)
    attempt_id = start(client)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    response = client.post(f"/api/attempts/{attempt_id}/answers", data=body,
                           headers={"X-CSRFToken": token, "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 400
    assert refusal(response) == INVALID or "dữ liệu" in refusal(response).lower()
    assert errors_logged(server_log) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AttemptAnswer)) == 0


@pytest.mark.parametrize("choice", ["a\x00", "a" * 64, "ａ", "²"], ids=["NUL", "64 chars", "full-width a", "superscript"])
def test_autosave_choice_that_is_no_option_is_refused_with_a_message(app, factory, server_log, choice):
    client, _, _, _ = login_as(app, factory)
    attempt_id = start(client)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    version_id = next(iter(answer_key(app, attempt_id, right=1)))
    response = client.post(f"/api/attempts/{attempt_id}/answers", json={"answers": {str(version_id): [choice]}},
                           headers={"X-CSRFToken": token})  # fmt: skip
    if response.status_code == 400:  # the app-wide check refuses a NUL byte before the view
        assert "dữ liệu" in refusal(response).lower()
    else:
        assert response.status_code == 422 and refusal(response) == "Có lựa chọn không tồn tại trong câu hỏi."
    assert errors_logged(server_log) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AttemptAnswer)) == 0


HOSTILE_FIELDS = {
    "superscript two": "q²",
    "arabic-indic two": "q٢",
    "full-width two": "q２",
    "5000 digits": "q" + "1" * 5000,
    "NUL": "q1\x00",
    "negative": "q-1",
    "leading zero": "q01",
    "bare q": "q",
    "space": "q 1",
    "11 digits": "q99999999999",
}


@pytest.mark.parametrize("field", HOSTILE_FIELDS.values(), ids=HOSTILE_FIELDS.keys())
def test_hostile_form_field_names_are_ignored_or_refused(app, factory, server_log, field):
    client, _, _, _ = login_as(app, factory)
    attempt_id = start(client)
    right = answer_key(app, attempt_id, right=10)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    saved = client.post(f"/attempts/{attempt_id}", data=MultiDict([("csrf_token", token), (field, "a")]))
    if saved.status_code == 400:  # refused by the app-wide check on field names (NUL, length)
        assert "Dữ liệu gửi lên" in saved.text
        assert errors_logged(server_log) == []
        return
    assert saved.status_code == 302 and saved.headers["Location"] == f"/attempts/{attempt_id}"
    assert "Đã lưu câu trả lời" in client.get(saved.headers["Location"]).text
    data = MultiDict([("csrf_token", token), ("submit", "1"), (field, "a"), *form_data(right)])
    submitted = client.post(f"/attempts/{attempt_id}", data=data)
    assert submitted.status_code == 302 and submitted.headers["Location"] == f"/attempts/{attempt_id}/result"
    assert "Kết quả: 10/10 câu đúng (100%)" in client.get(submitted.headers["Location"]).text
    assert errors_logged(server_log) == []


@pytest.mark.parametrize("attempt_id", [0, 2**31, 2**63, 10**30])
def test_attempt_ids_beyond_the_integer_column_are_not_found(app, factory, server_log, attempt_id):
    client, _, _, _ = login_as(app, factory)
    token = csrf_from(client.get(QUIZ).text)
    assert client.get(f"/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/attempts/{attempt_id}/result").status_code == 404
    assert client.post(f"/attempts/{attempt_id}", data={"csrf_token": token, "submit": "1"}).status_code == 404
    api = client.post(f"/api/attempts/{attempt_id}/answers", json={"answers": {}}, headers={"X-CSRFToken": token})
    assert api.status_code == 404 and api.get_json()["status"] == 404
    assert errors_logged(server_log) == []


# --- the migration ----------------------------------------------------------------------------


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A database of its own (a SQLite file, or a new database on the PostgreSQL server)."""
    if database_url.startswith("sqlite"):
        yield "sqlite:///" + str(tmp_path / "migrate.sqlite3")
        return
    import psycopg

    url = make_url(database_url)
    name = f"lms_migrate_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _table(name: str, *columns: str, json: tuple[str, ...] = ()) -> sa.TableClause:
    return sa.table(name, *map(sa.column, columns), *(sa.column(c, sa.JSON) for c in json))


def _rows_of_0003(connection) -> None:
    """One learner, one course and two modules, written with the columns revision 0003 has."""
    now = sa.func.now()
    users = _table("users", "id", "phone", "full_name", "password_hash", "session_version", "is_disabled")
    connection.execute(
        users.insert().values(
            id=1, phone="+84900000001", full_name="Lê Thị Hoa", password_hash="x", session_version=1, is_disabled=False
        )
    )
    course = {"id": 1, "slug": "c", "title": "C", "audience": "citizens", "summary": "", "who_for": "", "pass_mark": 70,
              "questions_per_attempt": 10, "cooldown_minutes": 0, "certificate_title": "C", "position": 1,
              "content_hash": "h", "is_retired": False, "updated_at": now}  # fmt: skip
    connection.execute(_table("courses", *course).insert().values(**course))
    modules = _table("modules", "id", "slug", "title", "summary", "content_hash", "is_retired", "updated_at",
                     json=("objectives", "sources"))  # fmt: skip
    for module_id in (1, 2):
        connection.execute(
            modules.insert().values(
                id=module_id, slug=f"m{module_id}", title="M", summary="", objectives=[], sources=[], content_hash="h",
                is_retired=False, updated_at=now,
            )
        )  # fmt: skip


def test_migration_keeps_the_newest_open_attempt_and_abandons_older_ones(make_app, empty_database_url):
    from flask_migrate import downgrade, upgrade

    fresh = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    attempts = _table("quiz_attempts", "id", "user_id", "course_id", "module_id", "number", "seed", "state", "pass_mark",
                      "total", "started_at", json=("items",))  # fmt: skip
    # (id, module, number, state): three open attempts of module 1, as the old race left them.
    before = [(1, 1, 1, "open"), (2, 1, 2, "submitted"), (3, 1, 3, "open"), (4, 1, 4, "open"), (5, 2, 1, "open")]
    with fresh.app_context():
        upgrade(revision="0003_certificates")
        with db.engine.begin() as connection:
            _rows_of_0003(connection)
            for attempt_id, module_id, number, state in before:
                connection.execute(attempts.insert().values(
                    id=attempt_id, user_id=1, course_id=1, module_id=module_id, number=number, seed=1,
                    items=[], state=state, pass_mark=70, total=10, started_at=sa.func.now(),
                ))  # fmt: skip
        upgrade(revision="0004_quiz_one_open_attempt")
        with db.engine.connect() as connection:
            states = dict(connection.execute(sa.text("SELECT id, state FROM quiz_attempts ORDER BY id")).all())
            assert states == {1: "abandoned", 2: "submitted", 3: "abandoned", 4: "open", 5: "open"}
            with pytest.raises(IntegrityError):
                connection.execute(sa.text("UPDATE quiz_attempts SET state = 'open' WHERE id = 3"))
            connection.rollback()
        downgrade(revision="0003_certificates")
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE quiz_attempts SET state = 'open' WHERE id = 3"))
        upgrade(revision="0004_quiz_one_open_attempt")
        with db.engine.connect() as connection:
            state = connection.execute(sa.text("SELECT state FROM quiz_attempts WHERE id = 3")).scalar_one()
            assert state == "abandoned"
            assert connection.execute(sa.text("SELECT state FROM quiz_attempts WHERE id = 4")).scalar_one() == "open"


def test_migration_0006_keeps_each_learners_best_graded_score_per_course_and_module(make_app, empty_database_url):
    from flask_migrate import downgrade, upgrade

    fresh = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    attempts = _table("quiz_attempts", "id", "user_id", "course_id", "module_id", "number", "seed", "state", "pass_mark",
                      "total", "percent", "started_at", "submitted_at", json=("items",))  # fmt: skip
    # (id, module, number, state, percent): module 1 graded 40 then 90 then 60, module 2 only open.
    before = [(1, 1, 1, "submitted", 40), (2, 1, 2, "submitted", 90), (3, 1, 3, "submitted", 60), (4, 2, 1, "open", None)]
    with fresh.app_context():
        upgrade(revision="0005_sessions")
        with db.engine.begin() as connection:
            _rows_of_0003(connection)
            for attempt_id, module_id, number, state, percent in before:
                connection.execute(attempts.insert().values(
                    id=attempt_id, user_id=1, course_id=1, module_id=module_id, number=number, seed=1, items=[],
                    state=state, pass_mark=70, total=10, percent=percent, started_at=sa.func.now(),
                    submitted_at=sa.func.now() if percent is not None else None,
                ))  # fmt: skip
        upgrade(revision="0006_learning_best_scores")
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT user_id, course_id, module_id, best_percent FROM best_scores")).all()
            assert [tuple(row) for row in rows] == [(1, 1, 1, 90)]
            with pytest.raises(IntegrityError):
                connection.execute(sa.text(
                    "INSERT INTO best_scores (user_id, course_id, module_id, best_percent, updated_at)"
                    " VALUES (1, 1, 1, 50, CURRENT_TIMESTAMP)"
                ))  # fmt: skip
            connection.rollback()
        downgrade(revision="0005_sessions")
        with db.engine.connect() as connection:
            assert "best_scores" not in sa.inspect(connection).get_table_names()
