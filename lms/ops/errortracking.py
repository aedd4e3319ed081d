"""Optional error reports to a Sentry-compatible server, off unless SENTRY_DSN is set.

Point the DSN at a self-hosted server (Sentry or GlitchTip) inside the country: the reports
carry stack traces and request paths, and personal data stays home under the personal-data
law. No user, cookie, header or form value is sent (send_default_pii=False). sentry-sdk is not
a runtime requirement: install it where the hook is wanted (`pip install sentry-sdk`)."""

from __future__ import annotations

import importlib
import logging

from flask import Flask

log = logging.getLogger(__name__)


def init_error_tracking(app: Flask) -> bool:
    """Start the Sentry Flask integration when SENTRY_DSN is set; True when it started."""
    dsn = str(app.config.get("SENTRY_DSN") or "").strip()
    if not dsn:
        return False
    try:
        sentry_sdk = importlib.import_module("sentry_sdk")
        flask_integration = importlib.import_module("sentry_sdk.integrations.flask")
    except ImportError:
        log.warning("SENTRY_DSN is set but sentry-sdk is not installed (pip install sentry-sdk): no error reports")
        return False
    sentry_sdk.init(
        dsn=dsn,
        integrations=[flask_integration.FlaskIntegration()],
        send_default_pii=False,
        environment=app.config.get("ENV_NAME"),
    )
    return True
