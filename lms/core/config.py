"""Configuration classes; environment variables override the defaults."""

from __future__ import annotations

import os
from datetime import timedelta


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


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}
