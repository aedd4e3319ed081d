"""The application, assembled above the features.

`create_app` reads as a list: configuration, extensions, core pieces, then each feature of
FEATURES in order, each through its own `init_app(app)`, which registers the feature's
blueprints, CLI commands, signal receivers and menu entries. `core` knows none of them."""

from __future__ import annotations

import os
import secrets
from importlib import import_module
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.core.app import (
    register_converters,
    register_core,
    register_errorhandlers,
    register_extensions,
    register_hooks,
)
from lms.core.config import CONFIGS, BaseConfig, apply_environment, configuration_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Order matters only for the menu's tie-breaks and for blueprints that share a URL prefix.
FEATURES = (
    "lms.accounts",
    "lms.places",
    "lms.catalog",
    "lms.learning",
    "lms.quizzes",
    "lms.certificates",
    "lms.community",
    "lms.fieldwork",
    "lms.reports",
    "lms.ops",
)


def _database_url(app: Flask, explicit: str | None) -> str:
    url = explicit or app.config.get("DATABASE_URL")
    if not url:
        # The only file-system touch of create_app: the embedded database needs its folder.
        os.makedirs(app.instance_path, exist_ok=True)
        return "sqlite:///" + os.path.join(app.instance_path, "lms.sqlite3")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def configure(app: Flask, config: type[BaseConfig] | dict[str, Any] | str | None) -> None:
    env_name = os.environ.get("LMS_ENV", "production")
    if isinstance(config, str):
        env_name, config = config, None
    elif isinstance(config, dict) and "ENV_NAME" in config:
        env_name = config["ENV_NAME"]
    app.config.from_object(CONFIGS.get(env_name, CONFIGS["production"]))
    apply_environment(app.config)
    explicit_url = None
    if isinstance(config, dict):
        app.config.update(config)
        explicit_url = config.get("SQLALCHEMY_DATABASE_URI")
    elif config is not None:
        app.config.from_object(config)
        explicit_url = getattr(config, "SQLALCHEMY_DATABASE_URI", None)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app, explicit_url)
    app.config.setdefault("CONTENT_ROOT", None)
    app.config["CONTENT_ROOT"] = app.config["CONTENT_ROOT"] or str(PROJECT_ROOT)
    if not app.config.get("SECRET_KEY"):
        configuration_problem(
            app.config, "SECRET_KEY must be set in production (environment variable SECRET_KEY, a long random string)."
        )
        # Only under the command line, for --help and the one-line refusal: nothing is signed with it.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite is one file on one machine: a pool bigger than the writer count only queues.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}


def create_app(config: type[BaseConfig] | dict[str, Any] | str | None = None) -> Flask:
    """Build the application. Creates no tables, loads no content, opens no connection."""
    app = Flask("lms", root_path=str(Path(__file__).resolve().parent), instance_relative_config=True)
    configure(app, config)
    # Behind N trusted proxies (docs/deploy.md) the client address and scheme come from their
    # X-Forwarded-For/-Proto; with 0, those headers are anyone's to forge and are ignored.
    if trusted_proxies := int(app.config.get("PROXY_FIX_X_FOR") or 0):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies)  # type: ignore[method-assign]
    register_extensions(app)
    import lms.models  # noqa: F401  (every table on the metadata, for migrations)

    # A rule takes its converters when it is added, so they come before any blueprint.
    register_converters(app)
    register_core(app)
    for name in FEATURES:
        import_module(name).init_app(app)
    import_module("lms.commands").init_app(app)
    register_errorhandlers(app)
    register_hooks(app)
    return app
