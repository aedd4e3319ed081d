"""Quizzes: attempts, question types, grading, feedback, idempotent submit."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.quizzes.views import bp

    app.register_blueprint(bp)
