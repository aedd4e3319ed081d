"""How long browsers keep what the app sends, what varies by cookie, and compression.

- Fingerprinted static URLs (`?v=<content hash>`, lms/ops/static.py) are kept a year and never
  re-checked (`immutable`); a static URL without its current fingerprint is kept an hour.
- `Vary: Cookie` only where the answer depends on the session: Flask adds it to every response
  whose session was looked at, and Flask-Login looks at it on every request, so without this
  the static files, probes, the web app manifest and the service worker would carry it too.
- Compression (gzip, or brotli when the `brotli` package happens to be installed) of HTML,
  CSS, JS, JSON and SVG when the client accepts it. On by default when no proxy stands in
  front (PROXY_FIX_X_FOR = 0); behind nginx, which compresses (deploy/nginx-hocso.conf), it
  is off unless COMPRESS (LMS_COMPRESS) is set to 1. LMS_COMPRESS=0 turns it off everywhere.
"""

from __future__ import annotations

import gzip
import importlib
from types import ModuleType
from typing import Any

from flask import Flask, request
from flask import Response as FlaskResponse
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

YEAR = "public, max-age=31536000, immutable"
HOUR = "public, max-age=3600"

# Endpoints whose answer is the same whoever asks: no Vary: Cookie on them.
SESSION_FREE_ENDPOINTS = {
    "ops.health",
    "ops.ready",
    "ops.robots",
    "ops.favicon",
    "ops.prometheus_metrics",
    "core.service_worker",
    "core.manifest",
    "catalog.content_file",
}

COMPRESSIBLE = {
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/ld+json",
    "application/manifest+json",
    "application/xml",
    "image/svg+xml",
}
MIN_BYTES = 512  # below this the headers outweigh the saving
GZIP_LEVEL = 6
BROTLI_QUALITY = 5  # fast enough for every page, close to gzip -9 in size


def _brotli() -> ModuleType | None:
    try:
        return importlib.import_module("brotli")
    except ImportError:
        return None


BROTLI = _brotli()


def is_static(endpoint: str | None) -> bool:
    return bool(endpoint) and (endpoint == "static" or str(endpoint).endswith(".static"))


def session_free(endpoint: str | None) -> bool:
    return is_static(endpoint) or endpoint in SESSION_FREE_ENDPOINTS


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, without `Vary: Cookie` on answers that do not depend on it."""

    def save_session(self, app: Flask, session: Any, response: FlaskResponse) -> None:
        if session_free(request.endpoint) and not session.modified:
            # Nothing to send: a permanent session's cookie is refreshed by the pages, and a
            # Set-Cookie here would make a static file personal for every cache on the way.
            return
        super().save_session(app, session, response)


def compression_on(app: Flask) -> bool:
    setting = app.config.get("COMPRESS")
    if setting is None or setting == "":
        return not int(app.config.get("PROXY_FIX_X_FOR") or 0)
    return str(setting).strip().lower() not in ("0", "false", "no", "off")


def choose_encoding() -> str | None:
    accepted = request.accept_encodings
    if BROTLI is not None and accepted.quality("br") > 0:
        return "br"
    if accepted.quality("gzip") > 0:
        return "gzip"
    return None


def compress(response: Response) -> Response:
    """Compress the body for this client when it is worth it; the response otherwise as it was."""
    if request.method == "HEAD" or response.status_code in (204, 206, 304) or response.status_code < 200:
        return response
    if response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers:
        return response
    if response.is_streamed and not response.direct_passthrough:
        return response  # a generator (exports, ZIP files) is sent as it comes
    response.vary.add("Accept-Encoding")
    encoding = choose_encoding()
    if encoding is None:
        return response
    source = response.response
    response.direct_passthrough = False  # a static file: read it, it is small
    body = response.get_data()
    if source is not response.response and hasattr(source, "close"):
        source.close()  # the file the static view opened
    if len(body) < MIN_BYTES:
        return response
    if encoding == "br":
        assert BROTLI is not None
        packed = BROTLI.compress(body, quality=BROTLI_QUALITY)
    else:
        packed = gzip.compress(body, GZIP_LEVEL, mtime=0)
    response.set_data(packed)
    response.headers["Content-Encoding"] = encoding
    etag, weak = response.get_etag()
    if etag and not weak:
        # Another byte sequence than the file's: the same tag, weak (as nginx does), still
        # matches the browser's If-None-Match and gives a 304.
        response.set_etag(etag, weak=True)
    return response


def register_caching(app: Flask) -> None:
    from lms.ops.static import current_fingerprint

    app.session_interface = SessionInterface()
    compressing = compression_on(app)

    @app.after_request
    def cache_and_compress(response: Response) -> Response:
        if is_static(request.endpoint) and response.status_code in (200, 304):
            offered = request.args.get("v")
            current = current_fingerprint(request.endpoint or "", (request.view_args or {}).get("filename", ""))
            response.headers["Cache-Control"] = YEAR if offered and offered == current else HOUR
        if compressing:
            compress(response)
        return response
