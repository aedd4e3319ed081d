"""Certificate settings, read from the app config only, with their defaults in DEFAULTS.

Every one of them comes from the environment through the app's one mechanism
(lms.core.config.apply_environment): `LMS_<KEY>` sets config key `<KEY>`, and the earlier short
names (`LMS_CERT_SIGNING_KEY`, `LMS_PUBLIC_URL`, …) still work. docs/certificates.md lists them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app

MASKING_CHOICES = ("none", "initials", "hidden")
LOCAL_BASE_URL = "http://localhost:5000"

# Config key -> default; a callable default depends on the app (its instance folder).
DEFAULTS: dict[str, Any | Callable[[], Any]] = {
    "CERTIFICATE_DIR": lambda: os.path.join(current_app.instance_path, "certificates"),
    "CERTIFICATE_SIGNING_KEY": lambda: os.path.join(current_app.instance_path, "certificate-signing-key.pem"),
    # The project's certificates/ folder, beside the lms package (the app's root path).
    "CERTIFICATE_TEMPLATE_DIR": lambda: os.path.join(os.path.dirname(current_app.root_path), "certificates"),
    "CERTIFICATE_NAME_MASKING": "none",
    # Never the request's Host header: production refuses to start without PUBLIC_BASE_URL
    # (lms.core.config.check_public_url); development and tests fall back to localhost.
    "PUBLIC_BASE_URL": LOCAL_BASE_URL,
    "CERTIFICATE_VERIFY_RATE_LIMIT": "30 per minute;300 per hour",
    "CERTIFICATE_DOWNLOAD_RATE_LIMIT": "30 per minute;300 per hour",
    "CERTIFICATE_RETIRED_PUBLIC_KEYS": (),
    "CERTIFICATE_PRINT_BATCH": 100,
    "ISSUER_NAME": "Sở Khoa học và Công nghệ",
}


def get(key: str) -> Any:
    """The configured value, or the default when it is missing or empty."""
    value = current_app.config.get(key)
    if value is None or value == "":
        default = DEFAULTS[key]
        return default() if callable(default) else default
    return value


def storage_dir() -> Path:
    return Path(get("CERTIFICATE_DIR"))


def signing_key_path() -> Path:
    return Path(get("CERTIFICATE_SIGNING_KEY"))


def template_dir() -> Path:
    return Path(get("CERTIFICATE_TEMPLATE_DIR")).resolve()


def name_masking() -> str:
    value = str(get("CERTIFICATE_NAME_MASKING")).strip().lower()
    return value if value in MASKING_CHOICES else "none"


def public_base_url() -> str:
    """Where the QR code and the Open Badges ids point; fixed per deployment, so a PDF rendered
    by a worker and one rendered during a request carry the same URL."""
    return str(get("PUBLIC_BASE_URL")).rstrip("/")


def verify_rate_limit() -> str:
    return str(get("CERTIFICATE_VERIFY_RATE_LIMIT"))


def download_rate_limit() -> str:
    return str(get("CERTIFICATE_DOWNLOAD_RATE_LIMIT"))


def retired_public_keys() -> list[str]:
    """Public keys of earlier key pairs, still trusted. From the environment a JSON list, or
    one key or several separated by commas (no key format uses a comma)."""
    value = get("CERTIFICATE_RETIRED_PUBLIC_KEYS")
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]


def issuer_name() -> str:
    return str(get("ISSUER_NAME"))


def print_batch() -> int:
    return int(get("CERTIFICATE_PRINT_BATCH"))


def redis_url() -> str | None:
    return current_app.config.get("REDIS_URL") or None
