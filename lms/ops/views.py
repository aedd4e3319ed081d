"""Probes for the load balancer and the monitoring, and the two files every browser and
crawler asks for at the root."""

from __future__ import annotations

import hmac
import ipaddress
import os

from flask import Blueprint, Response, abort, current_app, jsonify, request, send_from_directory
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from lms.ops import metrics, readiness
from lms.ops.version import version

bp = Blueprint("ops", __name__)

# Personal pages, forms and per-person certificate pages have nothing for a search engine.
ROBOTS = """User-agent: *
Allow: /$
Allow: /privacy
Allow: /static/
Disallow: /
"""


@bp.get("/healthz")
def health():
    """Liveness: the process answers. Touches nothing else, so a slow database never gets
    healthy processes restarted."""
    return jsonify(status="ok", version=version())


@bp.get("/readyz")
def ready():
    """Readiness: 200 when this process can serve (database, and Redis when configured), else 503."""
    is_ready, report = readiness.check(current_app.config.get("REDIS_URL"))
    response = jsonify(status="ok" if is_ready else "unavailable", version=version(), **report)
    response.status_code = 200 if is_ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def _may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(offered.encode(), str(token).encode())
    # No token: only from this machine, and never through a proxy (a forwarded request names
    # its real client in X-Forwarded-For, and that must be this machine too).
    return _is_loopback(request.remote_addr) and all(_is_loopback(hop) for hop in request.access_route)


@bp.get("/metrics")
def prometheus_metrics():
    if not _may_scrape():
        abort(403)
    body = metrics.exposition(current_app.config.get("REDIS_URL"))
    return Response(body, content_type=CONTENT_TYPE_PLAIN_0_0_4, headers={"Cache-Control": "no-store"})


@bp.get("/robots.txt")
def robots():
    return Response(ROBOTS, mimetype="text/plain", headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/favicon.ico")
def favicon():
    folder = current_app.blueprints["core"].static_folder or os.path.join(current_app.root_path, "core", "static")
    return send_from_directory(folder, "favicon.svg", mimetype="image/svg+xml", max_age=7 * 86400)
