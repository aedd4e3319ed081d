"""The core pieces that lms.app.create_app assembles, one function each. Nothing here
imports a feature: features add themselves through their own init_app."""

from __future__ import annotations

import os

from flask import Flask, g, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.extensions import babel, csrf, db, limiter, login_manager, migrate


def _select_locale() -> str:
    if not has_request_context():
        return "vi"
    lang = request.args.get("lang") or session.get("lang")
    if lang in ("vi", "en"):
        return lang
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale:
        return current_user.locale
    return "vi"


def register_extensions(app: Flask) -> None:
    import lms.core.db  # noqa: F401  (engine event listeners)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=_select_locale, default_translation_directories=os.path.join(app.root_path, "translations")
    )
    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    if redis_url:
        app.config["RATELIMIT_STORAGE_URI"] = redis_url
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "lms")
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Bạn hãy đăng nhập để tiếp tục.")
    login_manager.localize_callback = str  # the lazy message is translated when flashed
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    # accounts.init_app sets the user loader: core knows no user model.


def register_converters(app: Flask) -> None:
    from lms.core.converters import BoundedIntConverter

    # Every `<int:...>` rule, the features' included, gets ids the database can hold.
    app.url_map.converters["int"] = BoundedIntConverter


def register_core(app: Flask) -> None:
    """The core blueprint (home, language, health, layout assets) and the `flask lms` group."""
    from lms.core.cli import lms_cli
    from lms.core.views import bp as core_bp

    app.register_blueprint(core_bp)
    app.cli.add_command(lms_cli)


def register_errorhandlers(app: Flask) -> None:
    from lms.core.errors import register_errorhandlers as register

    register(app)


def register_hooks(app: Flask) -> None:
    from lms.core.security import configure_logging, register_security

    configure_logging(app)
    register_security(app)

    @app.before_request
    def remember_language() -> None:
        lang = request.args.get("lang")
        if lang in ("vi", "en"):
            session["lang"] = lang

    @app.context_processor
    def inject_globals():
        from lms.core.nav import nav_entries

        return {"request_id": g.get("request_id"), "nav_entries": nav_entries, "current_lang": _select_locale()}
