"""Operations: health and readiness probes, Prometheus metrics, robots.txt and favicon,
browser caching and compression (caching.py), the running version, the backup and restore
commands, and optional error reports. See docs/deploy.md."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.ops import cli  # noqa: F401  (backup, restore, version)
    from lms.ops.caching import register_caching
    from lms.ops.errortracking import init_error_tracking
    from lms.ops.metrics import register_request_metrics
    from lms.ops.static import register_static_fingerprints
    from lms.ops.version import version
    from lms.ops.views import bp

    app.register_blueprint(bp)
    register_request_metrics(app)
    register_static_fingerprints(app)
    register_caching(app)
    init_error_tracking(app)

    @app.context_processor
    def running_version():
        return {"app_version": version()}
