"""Home page, language switch, and what makes the app installable and readable offline: the
web app manifest, the service worker and its offline page (the health checks are in lms/ops)."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from lms.core.security import safe_next

bp = Blueprint("core", __name__, template_folder="templates", static_folder="static", static_url_path="/static/core")

THEME_COLOR = "#0b5cad"
# The service worker keeps these from its first start: the layout's CSS, JS and icons, and the page shown
# offline when the one asked for was never opened.
PRECACHED_STATIC = ("css/app.css", "js/app.js", "favicon.svg", "icons/icon-192.png", "icons/icon-512.png")


@bp.get("/")
def home():
    return render_template("core/home.html")


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("core.home"))


@bp.get("/offline")
def offline():
    """What the service worker shows for a page never opened on this device while offline."""
    return render_template("core/offline.html")


@bp.get("/manifest.webmanifest")
def manifest():
    data = {
        "name": _("Học số cộng đồng"),
        "short_name": _("Học số"),
        "description": _("Học kỹ năng số trên điện thoại, cả khi mạng yếu."),
        "lang": "vi",
        "start_url": url_for("core.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": url_for("core.static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
            for size in (192, 512)
        ],
    }
    response = jsonify(data)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/sw.js")
def service_worker():
    """At the site's root so it may serve every page. Its text names the fingerprinted assets,
    so a changed CSS or JS file changes it and browsers install the new worker."""
    precache = [url_for("core.static", filename=name) for name in PRECACHED_STATIC] + [url_for("core.offline")]
    version = hashlib.sha256("\n".join(precache).encode()).hexdigest()[:12]
    body = render_template("core/sw.js", precache=precache, version=version, offline_url=url_for("core.offline"))
    return Response(body, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})
