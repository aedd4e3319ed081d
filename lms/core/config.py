"""Configuration: one class of defaults per environment, then the environment on top.

One mechanism reads every setting from the environment: `LMS_<KEY>` sets config key `<KEY>`
(as Flask's from_prefixed_env does; values that parse as JSON become numbers or booleans, so
`LMS_RATELIMIT_ENABLED=false` works). A few well-known names are read too: SECRET_KEY,
DATABASE_URL and REDIS_URL without the prefix, and the short names documented before
(ALIASES). The README's configuration table lists them all."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from urllib.parse import urlsplit

ENV_PREFIX = "LMS"
# Unprefixed names every deployment tool knows.
UNPREFIXED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
# Earlier documented names -> config key (kept so existing deployments keep working).
ALIASES = {
    "LMS_RATELIMIT": "RATELIMIT_ENABLED",
    "LMS_PUBLIC_URL": "PUBLIC_BASE_URL",
    "LMS_CERT_SIGNING_KEY": "CERTIFICATE_SIGNING_KEY",
    "LMS_CERT_TEMPLATE_DIR": "CERTIFICATE_TEMPLATE_DIR",
    "LMS_CERT_NAME_MASKING": "CERTIFICATE_NAME_MASKING",
    "LMS_CERT_VERIFY_RATE_LIMIT": "CERTIFICATE_VERIFY_RATE_LIMIT",
    "LMS_CERT_DOWNLOAD_RATE_LIMIT": "CERTIFICATE_DOWNLOAD_RATE_LIMIT",
}
_TRUE = {"1", "true", "yes", "on"}


def _parse(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


def apply_environment(config, environ=None) -> None:
    """Put every setting the environment gives on top of the class defaults."""
    environ = os.environ if environ is None else environ
    for name in UNPREFIXED:
        if environ.get(name):
            config[name] = environ[name]
    for name, key in ALIASES.items():
        if name in environ:
            config[key] = _parse(environ[name])
    prefix = ENV_PREFIX + "_"
    for name in sorted(environ):  # what Flask's from_prefixed_env does, for any environ
        if name.startswith(prefix) and name not in ALIASES:
            config[name[len(prefix) :]] = _parse(environ[name])
    for key in ("RATELIMIT_ENABLED", "SECURE_COOKIES"):
        if isinstance(config.get(key), str):  # "off", "no"...: JSON gave up, so decide here
            config[key] = config[key].strip().lower() in _TRUE
    if isinstance(config.get("TRUSTED_HOSTS"), str):
        config["TRUSTED_HOSTS"] = [host.strip() for host in config["TRUSTED_HOSTS"].split(",") if host.strip()]
    if config.get("ENV_NAME") == "development" and "SECURE_COOKIES" in config:
        config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = bool(config["SECURE_COOKIES"])


class BaseConfig:
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # resolved in create_app
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    DATABASE_URL: str | None = None
    REDIS_URL: str | None = None

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    WTF_CSRF_TIME_LIMIT = None  # a form left open on a phone for hours must still submit

    # Off only for load benchmarks, which log in many learners from one address.
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Per client address, on every login POST: a class of 30 behind one Wi-Fi must get in.
    LOGIN_RATE_LIMIT = "60 per minute;600 per hour"
    # Failed logins (lms/accounts/throttle.py): back-off per (phone, address) after this many,
    # doubling up to the maximum; and a stop for the phone after this many from anywhere in an hour.
    LOGIN_BACKOFF_AFTER = 5
    LOGIN_BACKOFF_MAX_SECONDS = 900
    LOGIN_PHONE_FAILURE_LIMIT = 30

    PASSWORD_HASH_METHOD = "scrypt"
    RESET_CODE_MINUTES = 30

    # Content and places
    CONTENT_ROOT: str | None = None
    ISSUER_NAME = "Sở Khoa học và Công nghệ"

    # The public address (https://hocso.example.gov.vn): every signed certificate, QR code and
    # Open Badges id is built on it, never on the request's Host header. Required in production,
    # where it also sets TRUSTED_HOSTS (plus LMS_TRUSTED_HOSTS, comma-separated): see
    # check_public_url.
    PUBLIC_BASE_URL: str | None = None
    TRUSTED_HOSTS: list[str] | None = None

    # Logs on stderr: "text" lines, or "json" (one object per line) for a log collector.
    LOG_FORMAT = "text"
    # Error reports to a Sentry-compatible server (self-hosted: reports stay in the country).
    # Off when empty; needs `pip install sentry-sdk`. See lms/ops/errortracking.py.
    SENTRY_DSN: str | None = None


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    SECRET_KEY = "dev-only-not-secret"  # noqa: S105  (development only; LMS_SECURE_COOKIES=1 behind HTTPS)
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = True
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    RATELIMIT_ENABLED = True


class ConfigurationError(RuntimeError):
    """A setting the deployment must give is missing or wrong; the message says what to set."""


def configuration_problem(config, message: str) -> None:
    """Refuse to start (ConfigurationError), except under the command line (`flask …`, `lms …`),
    where `--help` must still work: there the problem is kept, and every lms command and every
    request refuses with this one line instead (lms.core.cli, lms.core.security)."""
    import click  # Flask's own dependency; a click context means the app is built for a command

    if click.get_current_context(silent=True) is None:
        raise ConfigurationError(message)
    config.setdefault("CONFIGURATION_PROBLEMS", []).append(message)


def check_public_url(config) -> None:
    """At start-up: PUBLIC_BASE_URL must be an absolute http(s) URL; in production it is required
    and only its host (and any TRUSTED_HOSTS already listed) is accepted, so a request with a
    forged Host header gets 400 before any view runs."""
    url = config.get("PUBLIC_BASE_URL")
    if not url:
        if config.get("ENV_NAME") == "production":
            configuration_problem(
                config,
                "LMS_PUBLIC_URL must be set in production (environment variable LMS_PUBLIC_URL, e.g. "
                "https://hocso.example.gov.vn): certificates, QR codes and Open Badges are signed with it.",
            )
        return
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigurationError(f"LMS_PUBLIC_URL must look like https://hocso.example.gov.vn, not {url!r}.")
    config["PUBLIC_BASE_URL"] = str(url).rstrip("/")
    if config.get("ENV_NAME") == "production":
        trusted = list(config.get("TRUSTED_HOSTS") or [])
        config["TRUSTED_HOSTS"] = trusted if parts.hostname in trusted else [parts.hostname, *trusted]


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}
