"""Learning: enrolment, lesson progress, resume, completion."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.core.nav import NavEntry, add_nav_entry, signed_in


def init_app(app: Flask) -> None:
    from lms.learning.views import bp

    app.register_blueprint(bp)
    add_nav_entry(app, NavEntry("learning.dashboard", _l("Góc học tập"), 50, signed_in))
