"""Configuration classes; environment variables override the defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import urlsplit


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class BaseConfig:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str | None = None  # resolved in create_app
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL: str | None = os.environ.get("REDIS_URL") or None

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
    RATELIMIT_ENABLED = _env_bool("LMS_RATELIMIT", True)
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
    CONTENT_ROOT: str | None = os.environ.get("LMS_CONTENT_ROOT")
    ISSUER_NAME = os.environ.get("LMS_ISSUER_NAME", "Sở Khoa học và Công nghệ")

    # The public address (https://hocso.example.gov.vn): every signed certificate, QR code and
    # Open Badges id is built on it, never on the request's Host header. Required in production,
    # where it also sets TRUSTED_HOSTS (plus LMS_TRUSTED_HOSTS, comma-separated): see
    # check_public_url.
    PUBLIC_BASE_URL: str | None = os.environ.get("LMS_PUBLIC_URL") or None
    TRUSTED_HOSTS: list[str] | None = [h.strip() for h in os.environ.get("LMS_TRUSTED_HOSTS", "").split(",") if h.strip()] or None


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = _env_bool("LMS_SECURE_COOKIES", False)
    REMEMBER_COOKIE_SECURE = _env_bool("LMS_SECURE_COOKIES", False)


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = True
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    RATELIMIT_ENABLED = True


def check_public_url(config) -> None:
    """At start-up: PUBLIC_BASE_URL must be an absolute http(s) URL; in production it is required
    and only its host (and any TRUSTED_HOSTS already listed) is accepted, so a request with a
    forged Host header gets 400 before any view runs."""
    url = config.get("PUBLIC_BASE_URL") or os.environ.get("LMS_PUBLIC_URL")
    if not url:
        if config.get("ENV_NAME") == "production":
            raise RuntimeError(
                "LMS_PUBLIC_URL must be set in production (environment variable LMS_PUBLIC_URL, e.g. "
                "https://hocso.example.gov.vn): certificates, QR codes and Open Badges are signed with it."
            )
        return
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or "@" in parts.netloc:
        raise RuntimeError(f"LMS_PUBLIC_URL must look like https://hocso.example.gov.vn, not {url!r}.")
    config["PUBLIC_BASE_URL"] = str(url).rstrip("/")
    if config.get("ENV_NAME") == "production":
        trusted = list(config.get("TRUSTED_HOSTS") or [])
        config["TRUSTED_HOSTS"] = trusted if parts.hostname in trusted else [parts.hostname, *trusted]


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}
