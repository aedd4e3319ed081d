"""50 parallel submissions of one attempt from 5 processes: exactly one grading, no lost answer."""

import multiprocessing

from sqlalchemy import select

from lms.core.extensions import db
from lms.quizzes.models import AttemptAnswer, QuizAttempt
from tests.concurrency_worker import submit_many
from tests.factories import csrf_from, login_as
from tests.quiz_helpers import answer_key

PROCESSES, THREADS = 5, 10


def test_fifty_parallel_submissions_grade_once(app, factory, database_url):
    client, _, uid, _ = login_as(app, factory)
    quiz = "/courses/nguoi-dan/b06-thanh-toan/quiz"
    page = client.get(quiz)
    response = client.post(f"{quiz}/start", data={"csrf_token": csrf_from(page.text)})
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    answers = answer_key(app, attempt_id, right=7)

    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(submit_many, [(database_url, attempt_id, answers, THREADS)] * PROCESSES)
    outcomes = [outcome for batch in results for outcome in batch]

    assert len(outcomes) == PROCESSES * THREADS
    assert [o for o in outcomes if o.startswith("error")] == []
    assert outcomes.count("graded") == 1
    assert outcomes.count("replayed") == PROCESSES * THREADS - 1
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.state == "submitted" and attempt.correct_count == 7 and attempt.percent == 70
        stored = dict(db.session.execute(
            select(AttemptAnswer.version_id, AttemptAnswer.chosen).where(AttemptAnswer.attempt_id == attempt_id)
        ).all())  # fmt: skip
        assert stored == {version_id: sorted(chosen) for version_id, chosen in answers.items()}
        assert len(db.session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == uid)).all()) == 1
