"""Helpers for quiz tests: pick right or wrong answers from the server's stored key, race
requests from several threads, and grade stored attempts again."""

from __future__ import annotations

import threading

from sqlalchemy import select

from lms.catalog.models import QuestionVersion
from lms.catalog.question_types import get_type
from lms.core.extensions import db
from lms.quizzes.models import QuizAttempt


def answer_key(app, attempt_id: int, right: int) -> dict[int, list[str]]:
    """Answers for an attempt: the first `right` questions correct, the rest wrong."""
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        answers = {}
        for index, item in enumerate(attempt.items):
            version = db.session.get(QuestionVersion, item["version_id"])
            if index < right:
                answers[version.id] = list(version.correct)
            else:
                wrong = [o for o in item["options"] if o not in version.correct]
                answers[version.id] = [wrong[0]]
        return answers


def form_data(answers: dict[int, list[str]]) -> list[tuple[str, str]]:
    return [(f"q{version_id}", choice) for version_id, chosen in answers.items() for choice in chosen]


def same_session_clients(app, client, count: int) -> list:
    """`count` new test clients of `app` carrying `client`'s session cookie: one learner on
    several tabs or devices, each able to send a request from its own thread."""
    cookie = client.get_cookie("session")
    clients = []
    for _ in range(count):
        other = app.test_client()
        other.set_cookie("session", cookie.value)
        clients.append(other)
    return clients


def in_parallel(calls: list) -> list:
    """Run every call in its own thread, released together; their results in order (an
    exception is returned in place of its result, so the test can assert there are none)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # handed to the test, which fails on it
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def regrade_differences(app) -> list[str]:
    """Grade every submitted attempt in the database again from its stored answers; each
    difference with the stored result (or an is_correct that contradicts chosen) is reported."""
    differences = []
    with app.app_context():
        attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.state == "submitted")).all()
        for attempt in attempts:
            rows = {row.version_id: row for row in attempt.answers}
            correct = 0
            for item in attempt.items:
                version = db.session.get(QuestionVersion, item["version_id"])
                row = rows.get(version.id)
                if row is None:
                    differences.append(f"attempt {attempt.id}: no answer row for version {version.id}")
                    continue
                graded = get_type(version.type).grade(version.correct, row.chosen)
                if row.is_correct is not graded:
                    differences.append(
                        f"attempt {attempt.id}: version {version.id} chosen {row.chosen} is_correct {row.is_correct}"
                    )
                correct += 1 if graded else 0
            if (attempt.correct_count, attempt.percent) != (correct, round(100 * correct / attempt.total)):
                differences.append(f"attempt {attempt.id}: stored {attempt.correct_count} correct, answers regrade to {correct}")
    return differences
