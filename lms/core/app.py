"""The pieces create_app() assembles, one function each."""

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

    @login_manager.user_loader
    def load_user(login_id: str):
        from lms.accounts.sessions import load

        return load(login_id)

    import lms.models  # noqa: F401  (every table on the metadata for migrations)


def register_converters(app: Flask) -> None:
    from lms.core.converters import BoundedIntConverter

    # Every `<int:...>` rule, the features' included, gets ids the database can hold.
    app.url_map.converters["int"] = BoundedIntConverter


def register_blueprints(app: Flask) -> None:
    # A rule takes its converters when it is added, so they are registered first.
    register_converters(app)

    from lms.accounts.views import bp as accounts_bp
    from lms.catalog.views import bp as catalog_bp
    from lms.certificates.views import bp as certificates_bp
    from lms.core.views import bp as core_bp
    from lms.learning.views import bp as learning_bp
    from lms.places.views import bp as places_bp
    from lms.quizzes.views import bp as quizzes_bp

    for blueprint in (core_bp, accounts_bp, places_bp, catalog_bp, learning_bp, quizzes_bp, certificates_bp):
        app.register_blueprint(blueprint)


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
        from lms.accounts.scope import scope_of

        user = current_user._get_current_object() if current_user else None
        return {
            "request_id": g.get("request_id"),
            "nav_scope": scope_of(user) if user is not None and user.is_authenticated else None,
            "current_lang": _select_locale(),
        }


def register_commands(app: Flask) -> None:
    import lms.accounts.cli  # noqa: F401  (adds reset-code)
    import lms.catalog.cli  # noqa: F401  (adds content-check and content-sync to the group)
    import lms.certificates.cli  # noqa: F401  (adds cert-verify, cert-keygen, cert-worker, cert-render)
    from lms.core.cli import lms_cli

    app.cli.add_command(lms_cli)
