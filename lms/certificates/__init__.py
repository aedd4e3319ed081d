"""Certificates: issue on course completion, render (WeasyPrint), store, verify online and
offline (Ed25519), Open Badges 3.0 JSON, revoke, regenerate, bulk ZIP and print."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from lms.core import signals
from lms.core.nav import NavEntry, add_nav_entry, signed_in


def init_app(app: Flask) -> None:
    from lms.accounts.scope import capability

    # The two route modules add their views to bp; they import blueprint.py, never each other.
    from lms.certificates import cli, erasure, manage, services, views  # noqa: F401  (cli: cert-* commands)
    from lms.certificates.blueprint import bp

    app.register_blueprint(bp)
    # Module-level functions, so blinker's weak references live as long as the process, and
    # connecting them again for a second app is a no-op. Each runs in the sender's transaction.
    signals.course_completed.connect(services.issue_on_completion)
    signals.account_deleted.connect(erasure.erase_on_account_deletion)
    signals.personal_data_requested.connect(services.export_on_request)
    add_nav_entry(
        app, NavEntry("certificates.manage", lazy_pgettext("trình đơn", "Chứng nhận"), 40, capability("manages_places"))
    )
    add_nav_entry(app, NavEntry("certificates.mine", _l("Giấy chứng nhận của tôi"), 60, signed_in))
    add_nav_entry(app, NavEntry("certificates.verify_form", _l("Kiểm tra giấy chứng nhận"), 20, place="footer"))
