"""Security headers, request ids, request logging and the refusal of unreadable input."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from lms.core.errors import ValidationFailed

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# PostgreSQL text cannot hold NUL, and no database driver can encode a lone surrogate
# (JSON's "\ud800"); either one would fail inside a query, so it never gets that far.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# No form or query field of the app is longer than this; past it a value is an attack or a
# mistake, and refusing it here keeps it away from columns and parsers that would choke.
MAX_FIELD_CHARS = 20_000
MAX_FIELD_NAME_CHARS = 200
MAX_JSON_DEPTH = 32


def accepts_files(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view that takes file uploads; every other view refuses a multipart file part,
    which a form would otherwise hand to a text field as an object it cannot read."""
    view.accepts_files = True  # type: ignore[attr-defined]
    return view


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json), for a log collector: time, level, logger,
    message, request_id, and the traceback text as exc_info when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def configure_logging(app: Flask) -> None:
    """Log to stderr as text (the default) or, with LOG_FORMAT=json, one JSON object per line."""
    handler = logging.StreamHandler()
    json_lines = str(app.config.get("LOG_FORMAT") or "text").strip().lower() == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]
    lms_logger = logging.getLogger("lms")
    if not any(isinstance(f, RequestIdFilter) for h in lms_logger.handlers for f in h.filters):
        lms_logger.addHandler(handler)
    lms_logger.setLevel(logging.INFO)
    lms_logger.propagate = False


def register_security(app: Flask) -> None:
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex

    def refuse_when_unconfigured():
        # Only an app built by the command line can lack a required setting (see
        # lms.core.config.configuration_problem); it never serves a page.
        problems = app.config.get("CONFIGURATION_PROBLEMS")
        if problems:
            return Response("Cấu hình chưa đủ: " + " ".join(problems) + "\n", status=503, mimetype="text/plain")
        return None

    # These run before every other hook (CSRF, rate limits, the user loader) and every view.
    app.before_request_funcs.setdefault(None, [])[:0] = [assign_request_id, refuse_when_unconfigured, refuse_unreadable_input]

    @app.after_request
    def set_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        return response


def refuse_unreadable_input() -> None:
    """400 with a message for input no view could store or parse: NUL bytes and lone
    surrogates anywhere, over-long fields, unexpected file parts, broken or too deep JSON."""
    _check_text(request.path)
    _check_fields(request.args)
    if request.is_json:
        _check_json()
        return
    _check_fields(request.form)
    if request.files:
        view = current_app.view_functions.get(request.endpoint or "")
        if not getattr(view, "accepts_files", False):
            raise ValidationFailed(_("Trang này không nhận tệp gửi kèm. Bạn hãy nhập nội dung vào ô chữ rồi gửi lại."))


def _check_text(value: str) -> None:
    if _UNSTORABLE.search(value):
        raise ValidationFailed(_("Dữ liệu gửi lên có ký tự không hợp lệ. Bạn hãy kiểm tra lại rồi gửi lại."))


def _check_fields(fields) -> None:
    for name, values in fields.lists():
        if len(name) > MAX_FIELD_NAME_CHARS:
            raise ValidationFailed(_("Dữ liệu gửi lên có tên trường không hợp lệ."))
        _check_text(name)
        for value in values:
            if len(value) > MAX_FIELD_CHARS:
                raise ValidationFailed(_("Một ô dữ liệu gửi lên quá dài."))
            _check_text(value)


def _check_json() -> None:
    if not request.get_data(cache=True):
        return  # no body: the view decides what an empty request means
    if not request.path.startswith("/api/"):
        # Pages take forms; Flask-WTF would read a JSON body as the form and choke on a non-object.
        raise ValidationFailed(_("Trang này chỉ nhận dữ liệu gửi từ biểu mẫu."))
    invalid = _("Dữ liệu JSON gửi lên không hợp lệ.")
    try:
        payload = request.get_json()
    except RecursionError:
        # The decoder gives up on very deep nesting with RecursionError, not ValueError.
        raise ValidationFailed(invalid) from None
    except BadRequest:
        raise ValidationFailed(invalid) from None
    if not isinstance(payload, dict):
        raise ValidationFailed(invalid)  # every JSON API of the app takes an object
    # Walked without recursion: the decoder accepts nesting deeper than code that recurses.
    pending: list[tuple[Any, int]] = [(payload, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValidationFailed(invalid)
        if isinstance(value, str):
            if len(value) > MAX_FIELD_CHARS:
                raise ValidationFailed(_("Một ô dữ liệu gửi lên quá dài."))
            _check_text(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                pending.append((key, depth))
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def safe_next(target: str | None) -> str | None:
    """Only same-site paths, so a login link cannot send people elsewhere."""
    if not target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # CR/LF would split the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
