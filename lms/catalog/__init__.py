"""Catalog: loads and validates courses/ and quizzes/, syncs content versions, and serves the
content's images. The learner's pages around the content live in `learning`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.catalog import cli  # noqa: F401  (content-check, content-sync)
    from lms.catalog.views import bp

    app.register_blueprint(bp)
