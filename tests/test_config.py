"""One configuration mechanism: LMS_<KEY> sets config key <KEY>, plus a few well-known names."""

from __future__ import annotations

from flask import Config

from lms.core.config import DevelopmentConfig, ProductionConfig, apply_environment


def _config(base, environ):
    config = Config(".")
    config.from_object(base)
    apply_environment(config, environ)
    return config


def test_every_setting_is_read_with_the_lms_prefix():
    config = _config(
        ProductionConfig,
        {
            "LMS_LOGIN_RATE_LIMIT": "100 per minute",
            "LMS_LOGIN_PHONE_FAILURE_LIMIT": "12",
            "LMS_CERTIFICATE_PRINT_BATCH": "50",
            "LMS_ISSUER_NAME": "Sở Khoa học và Công nghệ tỉnh Lào Cai",
            "LMS_RATELIMIT_ENABLED": "false",
        },
    )
    assert config["LOGIN_RATE_LIMIT"] == "100 per minute"
    assert config["LOGIN_PHONE_FAILURE_LIMIT"] == 12
    assert config["CERTIFICATE_PRINT_BATCH"] == 50
    assert config["ISSUER_NAME"] == "Sở Khoa học và Công nghệ tỉnh Lào Cai"
    assert config["RATELIMIT_ENABLED"] is False


def test_well_known_and_earlier_documented_names_still_work():
    config = _config(
        ProductionConfig,
        {
            "SECRET_KEY": "k",
            "DATABASE_URL": "postgresql://db/lms",
            "REDIS_URL": "redis://r/0",
            "LMS_PUBLIC_URL": "https://hocso.example.gov.vn",
            "LMS_RATELIMIT": "0",
            "LMS_CERT_SIGNING_KEY": "/etc/lms/key.pem",
            "LMS_TRUSTED_HOSTS": "hocso.example.gov.vn, 10.0.0.5",
        },
    )
    assert (config["SECRET_KEY"], config["DATABASE_URL"], config["REDIS_URL"]) == ("k", "postgresql://db/lms", "redis://r/0")
    assert config["PUBLIC_BASE_URL"] == "https://hocso.example.gov.vn"
    assert not config["RATELIMIT_ENABLED"]
    assert config["CERTIFICATE_SIGNING_KEY"] == "/etc/lms/key.pem"
    assert config["TRUSTED_HOSTS"] == ["hocso.example.gov.vn", "10.0.0.5"]


def test_secure_cookies_switch_in_development():
    assert _config(DevelopmentConfig, {})["SESSION_COOKIE_SECURE"] is False
    config = _config(DevelopmentConfig, {"LMS_SECURE_COOKIES": "1"})
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert _config(ProductionConfig, {"LMS_SECURE_COOKIES": "0"})["SESSION_COOKIE_SECURE"] is True
