"""Places: provinces, communes, villages, teams and membership."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.core.nav import NavEntry, add_nav_entry, signed_in


def _sees_people(user) -> bool:
    from lms.accounts.scope import scope_of

    return signed_in(user) and scope_of(user).sees_people


def init_app(app: Flask) -> None:
    from lms.places import cli  # noqa: F401  (places-import)
    from lms.places.views import bp

    app.register_blueprint(bp)
    add_nav_entry(app, NavEntry("places.manage", _l("Quản lý"), 20, _sees_people))
