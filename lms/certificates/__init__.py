"""Certificates: issue on course completion, render (WeasyPrint), store, verify online and
offline (Ed25519), Open Badges 3.0 JSON, revoke, regenerate, bulk ZIP and print."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_pgettext

from lms.core import signals
from lms.core.nav import NavEntry, add_nav_entry, signed_in


def _manages_places(user) -> bool:
    from lms.accounts.scope import scope_of

    return signed_in(user) and scope_of(user).manages_places


def init_app(app: Flask) -> None:
    from lms.certificates import cli, services  # noqa: F401  (cli: cert-verify, cert-keygen, cert-worker, cert-render)
    from lms.certificates.views import bp

    app.register_blueprint(bp)
    # A module-level function, so blinker's weak reference lives as long as the process; connecting
    # it again for a second app is a no-op.
    signals.course_completed.connect(services.issue_on_completion)
    add_nav_entry(app, NavEntry("certificates.manage", lazy_pgettext("trình đơn", "Chứng nhận"), 40, _manages_places))
