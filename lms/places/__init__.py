"""Places: provinces, communes, villages, teams and membership."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.core.nav import NavEntry, add_nav_entry


def init_app(app: Flask) -> None:
    from lms.accounts.scope import capability
    from lms.places import cli  # noqa: F401  (places-import)
    from lms.places.field_views import init_app as init_field
    from lms.places.roster_views import bp as rosters_bp
    from lms.places.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(rosters_bp)
    add_nav_entry(app, NavEntry("places.manage", _l("Quản lý"), 20, capability("sees_people")))
    init_field(app)  # registration at the door and households
