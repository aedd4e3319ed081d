"""The content's images (/content/<module>/<file>), served from the module's folder."""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory

from lms.catalog.services import content_root

bp = Blueprint("catalog", __name__)

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".svg"}


@bp.get("/content/<module_slug>/<path:filename>")
def content_file(module_slug: str, filename: str):
    if not any(filename.lower().endswith(ext) for ext in IMAGE_TYPES):
        abort(404)
    folder = content_root() / "courses" / "modules" / module_slug
    if not folder.is_dir():
        abort(404)
    return send_from_directory(folder, filename, max_age=86400)
