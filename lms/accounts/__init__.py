"""Accounts: users, phone login, passwords, roles and scopes, sessions, consent, profile,
data export and deletion (the people pages are in lms/reports/people.py)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.core.nav import NavEntry, add_nav_entry, signed_in, signed_out


def init_app(app: Flask) -> None:
    from lms.accounts import cli  # noqa: F401  (create-user, reset-code)
    from lms.accounts.roles import bp as roles_bp
    from lms.accounts.scope import capability, scope_of
    from lms.accounts.sessions import load
    from lms.accounts.views import bp
    from lms.core.extensions import login_manager

    app.register_blueprint(bp)
    app.register_blueprint(roles_bp)
    login_manager.user_loader(load)

    @app.context_processor
    def viewer_scope():
        from flask_login import current_user

        user = current_user._get_current_object() if current_user else None
        return {"nav_scope": scope_of(user) if signed_in(user) else None}

    add_nav_entry(app, NavEntry("roles.index", _l("Phân quyền"), 40, capability("manages_places")))
    add_nav_entry(app, NavEntry("accounts.account", _l("Tài khoản"), 80, signed_in))
    add_nav_entry(app, NavEntry("accounts.logout", _l("Đăng xuất"), 90, signed_in, method="post"))
    add_nav_entry(app, NavEntry("accounts.login", _l("Đăng nhập"), 80, signed_out))
    add_nav_entry(app, NavEntry("accounts.register", _l("Đăng ký"), 90, signed_out))
    add_nav_entry(app, NavEntry("accounts.privacy", _l("Thông báo xử lý dữ liệu cá nhân"), 10, place="footer"))
