"""Learning: the learner's pages (catalogue, course, module, lesson, dashboard), enrolment,
lesson progress, resume, best scores and completion."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.core import signals
from lms.core.nav import NavEntry, add_nav_entry, signed_in


def init_app(app: Flask) -> None:
    from lms.learning import receivers
    from lms.learning.blueprint import bp

    app.register_blueprint(bp)
    # Module-level functions: blinker's weak references live as long as the process, and
    # connecting them again for a second app is a no-op.
    signals.quiz_graded.connect(receivers.on_quiz_graded)
    signals.personal_data_requested.connect(receivers.on_personal_data_requested)
    add_nav_entry(app, NavEntry("learning.catalogue", _l("Khóa học"), 10))
    add_nav_entry(app, NavEntry("learning.dashboard", _l("Góc học tập"), 50, signed_in))
