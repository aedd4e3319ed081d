"""Home page and language switch (the health checks are in lms/ops)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from lms.core.security import safe_next

bp = Blueprint("core", __name__, template_folder="templates", static_folder="static", static_url_path="/static/core")


@bp.get("/")
def home():
    return render_template("core/home.html")


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
