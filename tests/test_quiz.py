"""Quiz engine: draw, grading, bad input, replay, retakes, completion."""

import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from lms.catalog.models import Course, Lesson, Module, Question, QuestionVersion
from lms.catalog.question_types import QuestionSpecError, get_type
from lms.core.extensions import db
from lms.learning.models import CourseCompletion, Enrollment, LessonProgress, ModuleCompletion
from lms.quizzes.models import AttemptAnswer, QuizAttempt
from tests.factories import csrf_from, login_as
from tests.quiz_helpers import answer_key, form_data

COURSE, MODULE = "nguoi-dan", "b01-trinh-duyet"
QUIZ = f"/courses/{COURSE}/{MODULE}/quiz"


# --- question types ---------------------------------------------------------------------------


def test_single_choice_grading_and_validation():
    single = get_type("single")
    spec = {"options": [{"id": "a", "text": "x"}, {"id": "b", "text": "y", "correct": True}, {"id": "c", "text": "z"}]}
    normalized = single.normalize(spec)
    assert normalized.correct == ["b"]
    assert all("correct" not in o for o in normalized.options)
    assert single.grade(["b"], ["b"]) and not single.grade(["b"], ["a"]) and not single.grade(["b"], [])
    spec["options"][0]["correct"] = True
    with pytest.raises(QuestionSpecError, match="đúng 1 đáp án đúng"):
        single.normalize(spec)


def test_multiple_choice_needs_the_exact_set():
    multiple = get_type("multiple")
    assert multiple.grade(["a", "c"], ["c", "a"])
    assert not multiple.grade(["a", "c"], ["a"])
    assert not multiple.grade(["a", "c"], ["a", "b", "c"])
    with pytest.raises(QuestionSpecError, match="ít nhất 1 lựa chọn sai"):
        multiple.normalize({"options": [{"id": i, "text": i, "correct": True} for i in "abc"]})


def test_true_false_grading():
    tf = get_type("true_false")
    normalized = tf.normalize({"answer": False})
    assert normalized.correct == ["false"]
    assert [o["text"] for o in normalized.options] == ["Đúng", "Sai"]
    assert tf.grade(["false"], ["false"]) and not tf.grade(["false"], ["true"])
    with pytest.raises(QuestionSpecError):
        tf.normalize({"answer": "có"})


# --- attempts ---------------------------------------------------------------------------------


@pytest.fixture
def learner(app, factory):
    client, auth, uid, phone = login_as(app, factory)
    return client, auth, uid


def start(client):
    page = client.get(QUIZ)
    response = client.post(f"{QUIZ}/start", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def submit(client, attempt_id, answers, extra=()):
    """Submit as the "Nộp bài" / "Vẫn nộp bài" button does: questions left blank count as wrong
    (the question asked first is tests/test_learner_edges.py's)."""
    page = client.get(f"/attempts/{attempt_id}")
    token = csrf_from(page.text) if page.status_code == 200 else csrf_from(client.get("/").text)
    data = [("csrf_token", token), ("submit", "1"), ("confirm_unanswered", "1"), *form_data(answers), *extra]
    return client.post(f"/attempts/{attempt_id}", data=MultiDict(data))


def test_attempt_draws_ten_stored_questions_and_reload_shows_the_same(app, learner):
    client, _, uid = learner
    attempt_id = start(client)
    first = client.get(f"/attempts/{attempt_id}").text
    second = client.get(f"/attempts/{attempt_id}").text
    assert first == second or re.sub(r'value="[^"]{40,}"', "", first) == re.sub(r'value="[^"]{40,}"', "", second)
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert len(attempt.items) == 10 and attempt.total == 10
        version_ids = [item["version_id"] for item in attempt.items]
        audiences = db.session.scalars(
            select(Question.audience).join(QuestionVersion, QuestionVersion.question_id == Question.id)
            .where(QuestionVersion.id.in_(version_ids))
        ).all()  # fmt: skip
        assert set(audiences) == {"all"}  # the citizens' course never draws members' scenarios
        assert db.session.scalar(select(Enrollment).where(Enrollment.user_id == uid)) is not None
    # A second click on "start" returns the same open attempt.
    assert start(client) == attempt_id


def test_quiz_page_contains_no_marker_of_correct_answers(app, learner):
    client, _, _ = learner
    attempt_id = start(client)
    html = client.get(f"/attempts/{attempt_id}").text
    lowered = html.lower()
    for marker in ("correct", "đáp án đúng", "is_correct", "giải thích", "explanation", "✓"):
        assert marker not in lowered, marker
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        for item in attempt.items:
            version = db.session.get(QuestionVersion, item["version_id"])
            assert version.explanation not in html


def test_grading_failing_then_passing_and_best_score_counts(app, learner):
    client, _, uid = learner
    attempt_id = start(client)
    response = submit(client, attempt_id, answer_key(app, attempt_id, right=5))
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    result = client.get(f"/attempts/{attempt_id}/result").text
    assert "Kết quả: 5/10 câu đúng (50%)" in result and "Chưa đạt" in result
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        correct_options = sum(len(db.session.get(QuestionVersion, i["version_id"]).correct) for i in attempt.items)
        explanations = [db.session.get(QuestionVersion, i["version_id"]).explanation for i in attempt.items]
    assert result.count("✓ đáp án đúng") == correct_options
    assert result.count("Giải thích:") == 10
    assert all(text.replace("'", "&#39;").replace('"', "&#34;") in result for text in explanations)
    second = start(client)
    assert second != attempt_id
    submit(client, second, answer_key(app, second, right=9))
    assert "Kết quả: 9/10 câu đúng (90%)" in client.get(f"/attempts/{second}/result").text
    third = start(client)
    submit(client, third, answer_key(app, third, right=2))
    landing = client.get(QUIZ).text
    assert "Điểm cao nhất của bạn: 90%" in landing
    with app.app_context():
        numbers = db.session.scalars(select(QuizAttempt.number).where(QuizAttempt.user_id == uid)).all()
        assert sorted(numbers) == [1, 2, 3]
        seeds = db.session.scalars(select(QuizAttempt.seed).where(QuizAttempt.user_id == uid)).all()
        assert len(set(seeds)) == 3


def test_double_submit_returns_the_same_result_and_changed_answers_are_refused(app, learner):
    client, _, _ = learner
    attempt_id = start(client)
    answers = answer_key(app, attempt_id, right=8)
    submit(client, attempt_id, answers)
    replay = submit(client, attempt_id, answers)
    assert replay.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    changed = submit(client, attempt_id, answer_key(app, attempt_id, right=10))
    assert changed.status_code == 302
    page = client.get(changed.headers["Location"]).text
    assert "đã nộp; câu trả lời gửi sau không được tính" in page
    assert "Kết quả: 8/10 câu đúng (80%)" in page
    with app.app_context():
        assert db.session.scalar(select(QuizAttempt.correct_count).where(QuizAttempt.id == attempt_id)) == 8


def test_answers_for_other_questions_or_unknown_options_are_rejected(app, learner):
    client, _, _ = learner
    attempt_id = start(client)
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        in_attempt = {item["version_id"] for item in attempt.items}
        outsider = db.session.scalar(select(QuestionVersion.id).where(QuestionVersion.id.not_in(in_attempt)).limit(1))
        first = attempt.items[0]["version_id"]
    response = submit(client, attempt_id, {outsider: ["a"]})
    assert response.status_code == 422
    assert "câu hỏi không thuộc lượt làm bài này" in response.text
    response = submit(client, attempt_id, {first: ["zz"]})
    assert "lựa chọn không tồn tại" in response.text
    with app.app_context():
        assert db.session.get(QuizAttempt, attempt_id).state == "open"


def test_autosave_keeps_answers_and_validates(app, learner):
    client, _, _ = learner
    attempt_id = start(client)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    key = answer_key(app, attempt_id, right=10)
    first, second = list(key)[:2]
    headers = {"X-CSRFToken": token}
    ok = client.post(f"/api/attempts/{attempt_id}/answers", json={"answers": {str(first): key[first]}}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["saved"] == 1
    ok = client.post(f"/api/attempts/{attempt_id}/answers", json={"answers": {str(second): key[second]}}, headers=headers)
    assert ok.status_code == 200
    with app.app_context():
        saved = dict(db.session.execute(select(AttemptAnswer.version_id, AttemptAnswer.chosen)
                                        .where(AttemptAnswer.attempt_id == attempt_id)).all())  # fmt: skip
        assert saved == {first: key[first], second: key[second]}
    page = client.get(f"/attempts/{attempt_id}").text
    assert "Đã trả lời 2/10 câu." in page
    bad = client.post(f"/api/attempts/{attempt_id}/answers", json={"answers": {"999999": ["a"]}}, headers=headers)
    assert bad.status_code == 422 and "không thuộc lượt làm bài" in bad.get_json()["error"]
    no_csrf = client.post(f"/api/attempts/{attempt_id}/answers", json={"answers": {}})
    assert no_csrf.status_code == 400
    submit(client, attempt_id, {})
    late = client.post(f"/api/attempts/{attempt_id}/answers", json={"answers": {str(first): key[first]}}, headers=headers)
    assert late.status_code == 409


def test_attempt_of_another_person_is_404(app, factory, learner):
    client, _, _ = learner
    attempt_id = start(client)
    other = login_as(app, factory)[0]
    assert other.get(f"/attempts/{attempt_id}").status_code == 404
    assert other.get(f"/attempts/{attempt_id}/result").status_code == 404
    token = csrf_from(other.get("/").text)
    assert other.post(f"/attempts/{attempt_id}", data={"csrf_token": token, "submit": "1"}).status_code == 404
    assert other.post(f"/api/attempts/{attempt_id}/answers", json={"answers": {}},
                      headers={"X-CSRFToken": token}).status_code == 404  # fmt: skip


def test_attempt_for_changed_content_is_rejected(app, learner, content_changes):
    client, _, _ = learner
    attempt_id = start(client)
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        version = db.session.get(QuestionVersion, attempt.items[0]["version_id"])
        newer = QuestionVersion(question_id=version.question_id, version=version.version + 1, type=version.type,
                                prompt=version.prompt + " (sửa)", options=version.options, correct=version.correct,
                                explanation=version.explanation, content_hash="x" * 64)  # fmt: skip
        db.session.add(newer)
        db.session.flush()
        db.session.get(Question, version.question_id).current_version_id = newer.id
        db.session.commit()
    response = submit(client, attempt_id, answer_key(app, attempt_id, right=10))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Câu hỏi của học phần vừa được cập nhật" in page
    with app.app_context():
        assert db.session.get(QuizAttempt, attempt_id).state != "submitted"


def test_cooldown_between_attempts(app, learner, content_changes):
    client, _, _ = learner
    with app.app_context():
        db.session.scalar(select(Course).where(Course.slug == COURSE)).cooldown_minutes = 30
        db.session.commit()
    attempt_id = start(client)
    submit(client, attempt_id, answer_key(app, attempt_id, right=1))
    page = client.get(QUIZ)
    assert "Bạn có thể làm lại sau khoảng 30 phút nữa." in page.text
    response = client.post(f"{QUIZ}/start", data={"csrf_token": csrf_from(page.text)})
    assert "Bạn có thể làm lại sau khoảng" in client.get(response.headers["Location"]).text


def _read_all_lessons(app, client, course_slug=COURSE, module_slug=MODULE):
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == course_slug))
        audiences = ("all", "members") if course.audience == "members" else ("all",)
        slugs = db.session.scalars(
            select(Lesson.slug).join(Module).where(Module.slug == module_slug, Lesson.audience.in_(audiences))
            .order_by(Lesson.position)
        ).all()  # fmt: skip
    for slug in slugs:
        url = f"/courses/{course_slug}/{module_slug}/{slug}"
        token = csrf_from(client.get(url).text)
        assert client.post(f"{url}/done", data={"csrf_token": token}).status_code == 302
    return slugs


def test_module_completes_when_lessons_read_and_quiz_passed(app, learner):
    client, _, uid = learner
    attempt_id = start(client)
    submit(client, attempt_id, answer_key(app, attempt_id, right=10))
    assert "để hoàn thành học phần, bạn còn cần đọc hết các bài học".lower() in \
        client.get(f"/attempts/{attempt_id}/result").text.lower()  # fmt: skip
    slugs = _read_all_lessons(app, client)
    assert len(slugs) == 4
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LessonProgress).where(LessonProgress.user_id == uid)) == 4
        assert db.session.scalar(select(func.count()).select_from(ModuleCompletion).where(ModuleCompletion.user_id == uid)) == 1
    # Reading again or re-submitting never records a second completion.
    _read_all_lessons(app, client)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ModuleCompletion).where(ModuleCompletion.user_id == uid)) == 1
    course_page = client.get(f"/courses/{COURSE}").text
    assert "Hoàn thành" in course_page


def test_learning_keeps_the_best_graded_score_and_it_never_goes_down(app, learner):
    from lms.learning.models import BestScore

    client, _, uid = learner
    percents = []
    for right in (5, 9, 2):
        attempt_id = start(client)
        submit(client, attempt_id, answer_key(app, attempt_id, right=right))
        with app.app_context():
            percents.append(
                db.session.scalars(select(BestScore.best_percent).where(BestScore.user_id == uid)).all()
            )  # fmt: skip
    assert percents == [[50], [90], [90]]
    assert "điểm cao nhất 90%" in client.get(f"/courses/{COURSE}/{MODULE}").text


def test_data_export_holds_the_learning_records_and_the_quiz_attempts(app, learner):
    import json

    client, _, uid = learner
    slugs = _read_all_lessons(app, client)
    attempt_id = start(client)
    submit(client, attempt_id, answer_key(app, attempt_id, right=9))
    data = json.loads(client.get("/account/export").data)
    assert [e["course"] for e in data["learning"]["enrollments"]] == [COURSE]
    assert sorted(item["lesson"] for item in data["learning"]["lessons_read"]) == sorted(slugs)
    assert data["learning"]["best_scores"] == [{"course": COURSE, "module": MODULE, "percent": 90}]
    assert [(a["course"], a["module"], a["number"], a["state"], a["percent"], a["passed"]) for a in data["quiz_attempts"]] == [
        (COURSE, MODULE, 1, "submitted", 90, True)
    ]


def test_course_completion_is_recorded_once_and_announced(app, learner):
    from lms.core import signals

    client, _, uid = learner
    announced = []

    def receiver(sender, *, completion, user, course, **_):
        announced.append((sender, completion.user_id, user.id, course.slug))

    with signals.course_completed.connected_to(receiver):
        with app.app_context():
            modules = db.session.scalars(
                select(Module.slug).join(Module.lessons).where(Module.slug.like("b%")).distinct().order_by(Module.slug)
            ).all()  # fmt: skip
        for module_slug in modules:
            _read_all_lessons(app, client, module_slug=module_slug)
            quiz = f"/courses/{COURSE}/{module_slug}/quiz"
            page = client.get(quiz)
            attempt_id = int(client.post(f"{quiz}/start", data={"csrf_token": csrf_from(page.text)})
                             .headers["Location"].rsplit("/", 1)[1])  # fmt: skip
            submit(client, attempt_id, answer_key(app, attempt_id, right=8))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseCompletion).where(CourseCompletion.user_id == uid)) == 1
    assert announced == [("learning", uid, uid, COURSE)]
    assert "Bạn đã hoàn thành khóa học này." in client.get(f"/courses/{COURSE}").text
    dashboard = client.get("/dashboard").text
    assert "Đã hoàn thành" in dashboard and "100%" in dashboard


def test_enrolment_first_reads_gradings_and_module_completion_are_each_announced_once(app, learner):
    from lms.core import signals

    client, _, uid = learner
    heard = []

    def hear(name):
        def receiver(sender, **kwargs):
            heard.append((name, sender, kwargs["user"].id))

        return receiver

    receivers = {name: hear(name) for name in ("enrolled", "lesson_read", "quiz_graded", "module_completed")}
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver)
    try:
        _read_all_lessons(app, client)
        _read_all_lessons(app, client)  # a second read of every lesson is not announced again
        quiz = f"/courses/{COURSE}/{MODULE}/quiz"
        for right in (2, 8):
            page = client.get(quiz)
            attempt_id = int(client.post(f"{quiz}/start", data={"csrf_token": csrf_from(page.text)})
                             .headers["Location"].rsplit("/", 1)[1])  # fmt: skip
            key = answer_key(app, attempt_id, right=right)
            submit(client, attempt_id, key)
            submit(client, attempt_id, key)  # a replay is not graded, nor announced, again
    finally:
        for name, receiver in receivers.items():
            getattr(signals, name).disconnect(receiver)
    with app.app_context():
        lessons = db.session.scalar(select(func.count()).select_from(LessonProgress).where(LessonProgress.user_id == uid))
    assert lessons >= 3
    assert heard.count(("enrolled", "learning", uid)) == 1
    assert heard.count(("lesson_read", "learning", uid)) == lessons
    assert heard.count(("quiz_graded", "quizzes", uid)) == 2
    assert heard.count(("module_completed", "learning", uid)) == 1
    last_read = max(i for i, (name, _sender, _uid) in enumerate(heard) if name == "lesson_read")
    assert heard.index(("module_completed", "learning", uid)) > last_read


def test_progress_survives_logout_and_other_devices(app, factory):
    client, auth, uid, phone = login_as(app, factory)
    _read_all_lessons(app, client)
    auth.logout()
    from tests.factories import Auth

    other = app.test_client()
    Auth(other).login(phone)
    page = other.get(f"/courses/{COURSE}").text
    assert "Đã đọc 4/4 bài" in page
    assert f'href="/courses/{COURSE}/{MODULE}/quiz">Làm bài kiểm tra' in page.replace("\n", "")
