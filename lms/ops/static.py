"""Fingerprinted static URLs: every `url_for('….static', filename=…)` gets `?v=<content hash>`,
so browsers may keep static files for a year (lms/ops/caching.py says so when the app serves
them, deploy/nginx-hocso.conf when nginx does): a changed file gets a new URL at once, and a
phone on 3G never fetches an unchanged one again."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask, current_app
from werkzeug.security import safe_join

_hashes: dict[tuple[str, float], str] = {}


def _fingerprint(path: str) -> str | None:
    try:
        key = (path, os.stat(path).st_mtime)
    except OSError:
        return None  # a missing file gets its 404 without a fingerprint
    if key not in _hashes:
        with open(path, "rb") as file:
            _hashes[key] = hashlib.sha256(file.read()).hexdigest()[:12]
    return _hashes[key]


def current_fingerprint(endpoint: str, filename: str) -> str | None:
    """The fingerprint a static file has now, or None (no such file)."""
    blueprint = endpoint.rpartition(".")[0]
    folder = current_app.blueprints[blueprint].static_folder if blueprint else current_app.static_folder
    path = safe_join(folder, filename) if folder else None
    return _fingerprint(path) if path else None


def register_static_fingerprints(app: Flask) -> None:
    @app.url_defaults
    def add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if not (endpoint == "static" or endpoint.endswith(".static")) or "filename" not in values or "v" in values:
            return
        blueprint = endpoint.rpartition(".")[0]
        folder = app.blueprints[blueprint].static_folder if blueprint else app.static_folder
        path = safe_join(folder, str(values["filename"])) if folder else None
        if path:
            fingerprint = _fingerprint(path)
            if fingerprint:
                values["v"] = fingerprint
