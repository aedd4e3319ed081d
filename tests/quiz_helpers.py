"""Helpers for quiz tests: pick right or wrong answers from the server's stored key."""

from __future__ import annotations

from lms.catalog.models import QuestionVersion
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
