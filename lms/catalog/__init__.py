"""Catalog: loads and validates courses/ and quizzes/, content versions, course pages."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.core.nav import NavEntry, add_nav_entry


def init_app(app: Flask) -> None:
    from lms.catalog import cli  # noqa: F401  (content-check, content-sync)
    from lms.catalog.views import bp

    app.register_blueprint(bp)
    add_nav_entry(app, NavEntry("catalog.catalogue", _l("Khóa học"), 10))
