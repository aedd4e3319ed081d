"""Home page, language switch and health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy import text

from lms.core.extensions import db
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


@bp.get("/healthz")
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
