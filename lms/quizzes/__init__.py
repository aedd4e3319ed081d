"""Quizzes: attempts, question types, grading, feedback, idempotent submit. A grading is
announced with signals.quiz_graded; learning keeps the best score from it."""

from __future__ import annotations

from flask import Flask

from lms.core import signals


def init_app(app: Flask) -> None:
    from lms.quizzes import services
    from lms.quizzes.views import bp

    app.register_blueprint(bp)
    signals.personal_data_requested.connect(services.on_personal_data_requested)
