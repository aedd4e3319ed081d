"""Certificate settings, read from the app config with environment fallbacks and defaults.

| config key | environment variable | default |
|---|---|---|
| CERTIFICATE_DIR | LMS_CERTIFICATE_DIR | <instance>/certificates |
| CERTIFICATE_SIGNING_KEY | LMS_CERT_SIGNING_KEY | <instance>/certificate-signing-key.pem |
| CERTIFICATE_TEMPLATE_DIR | LMS_CERT_TEMPLATE_DIR | <project>/certificates |
| CERTIFICATE_NAME_MASKING | LMS_CERT_NAME_MASKING | none (or initials, hidden) |
| PUBLIC_BASE_URL | LMS_PUBLIC_URL | required in production; else http://localhost:5000 (never the Host header) |
| CERTIFICATE_VERIFY_RATE_LIMIT | LMS_CERT_VERIFY_RATE_LIMIT | 30 per minute;300 per hour |
| CERTIFICATE_DOWNLOAD_RATE_LIMIT | LMS_CERT_DOWNLOAD_RATE_LIMIT | 30 per minute;300 per hour, per account |
| CERTIFICATE_RETIRED_PUBLIC_KEYS | (none) | () — older public keys still trusted |
| CERTIFICATE_PRINT_BATCH | (none) | 100 certificates per print PDF |
| ISSUER_NAME | LMS_ISSUER_NAME | Sở Khoa học và Công nghệ (lms/core/config.py) |
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from lms import PROJECT_ROOT

MASKING_CHOICES = ("none", "initials", "hidden")


def _get(key: str, env: str | None, default):
    value = current_app.config.get(key)
    if value in (None, "") and env:
        value = os.environ.get(env)
    return default if value in (None, "") else value


def storage_dir() -> Path:
    return Path(_get("CERTIFICATE_DIR", "LMS_CERTIFICATE_DIR", os.path.join(current_app.instance_path, "certificates")))


def signing_key_path() -> Path:
    default = os.path.join(current_app.instance_path, "certificate-signing-key.pem")
    return Path(_get("CERTIFICATE_SIGNING_KEY", "LMS_CERT_SIGNING_KEY", default))


def template_dir() -> Path:
    return Path(_get("CERTIFICATE_TEMPLATE_DIR", "LMS_CERT_TEMPLATE_DIR", str(PROJECT_ROOT / "certificates"))).resolve()


def name_masking() -> str:
    value = str(_get("CERTIFICATE_NAME_MASKING", "LMS_CERT_NAME_MASKING", "none")).strip().lower()
    return value if value in MASKING_CHOICES else "none"


LOCAL_BASE_URL = "http://localhost:5000"


def public_base_url() -> str:
    """Where the QR code and the Open Badges ids point; fixed per deployment, so a PDF rendered
    by a worker and one rendered during a request carry the same URL. Never the request's Host
    header, which the client chooses: production refuses to start without a public URL
    (lms.core.config.check_public_url), development and tests fall back to localhost."""
    return str(_get("PUBLIC_BASE_URL", "LMS_PUBLIC_URL", LOCAL_BASE_URL)).rstrip("/")


def verify_rate_limit() -> str:
    return str(_get("CERTIFICATE_VERIFY_RATE_LIMIT", "LMS_CERT_VERIFY_RATE_LIMIT", "30 per minute;300 per hour"))


def download_rate_limit() -> str:
    return str(_get("CERTIFICATE_DOWNLOAD_RATE_LIMIT", "LMS_CERT_DOWNLOAD_RATE_LIMIT", "30 per minute;300 per hour"))


def issuer_name() -> str:
    return str(current_app.config.get("ISSUER_NAME") or "Sở Khoa học và Công nghệ")


def print_batch() -> int:
    return int(current_app.config.get("CERTIFICATE_PRINT_BATCH") or 100)


def redis_url() -> str | None:
    return current_app.config.get("REDIS_URL") or None
