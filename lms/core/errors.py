"""Domain exceptions (one hierarchy) and the HTTP error pages."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from lms.core.extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of every error a service raises on purpose; views turn it into a message.

    The message is already translated: services raise with gettext(...), which in a request
    uses the visitor's language and outside one (commands, tests) the Vietnamese source text.
    """

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    pass


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


ERROR_TEXT = {
    400: (_l("Yêu cầu không hợp lệ"), _l("Trang không hiểu yêu cầu vừa gửi. Bạn hãy tải lại trang và thử lần nữa.")),
    403: (_l("Không có quyền truy cập"), _l("Tài khoản của bạn không được phép xem trang này.")),
    404: (_l("Không tìm thấy trang"), _l("Địa chỉ này không có hoặc đã bị gỡ. Bạn hãy kiểm tra lại đường dẫn.")),
    405: (_l("Thao tác không được hỗ trợ"), _l("Trang này không nhận cách gửi vừa dùng.")),
    413: (_l("Tệp quá lớn"), _l("Dữ liệu gửi lên vượt quá giới hạn cho phép. Bạn hãy gửi tệp nhỏ hơn.")),
    429: (_l("Bạn thao tác quá nhanh"), _l("Có quá nhiều lần thử trong thời gian ngắn. Bạn hãy đợi vài phút rồi thử lại.")),
    500: (_l("Hệ thống gặp sự cố"), _l("Đã có lỗi phía máy chủ. Chúng tôi đã ghi lại; bạn hãy thử lại sau ít phút.")),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _discard_failed_transaction() -> None:
    """Roll back before the error page touches the database (its layout loads the user).

    After a failed flush the session refuses every query (PendingRollbackError), and on
    PostgreSQL a failed statement aborts the whole transaction; nothing of a request that
    ends in an error page is meant to be committed anyway."""
    try:
        db.session.rollback()
    except Exception:
        log.exception("rollback before the error page failed")


def render_error(code: int, description: str | None = None):
    _discard_failed_transaction()
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if _wants_json():
        return jsonify(error=str(title), message=str(description or text), status=code), code
    return render_template("errors/error.html", code=code, title=title, text=description or text), code


def _bare_error_page(code: int):
    """The error page without the layout, for when rendering the layout itself failed."""
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if _wants_json():
        return jsonify(error=str(title), message=str(text), status=code), code
    html = (
        f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p>"
        f"<p>{escape(_('Mã lỗi'))} {code} · {escape(_('mã yêu cầu'))} {escape(g.get('request_id', '-'))}</p></html>"
    )
    return html, code, {"Content-Type": "text/html; charset=utf-8"}


def register_errorhandlers(app: Flask) -> None:
    def handle_http(error: HTTPException):
        code = error.code or 500
        if code == 400 and getattr(error, "description", "").startswith("The CSRF"):
            return render_error(400, _("Phiên làm việc của biểu mẫu đã hết hạn. Bạn hãy tải lại trang rồi gửi lại."))
        return render_error(code)

    def handle_domain(error: DomainError):
        return render_error(error.status_code, error.message)

    def handle_unexpected(error: Exception):
        log.exception("unhandled error")
        try:
            return render_error(500)
        except Exception:
            log.exception("the error page failed")
            return _bare_error_page(500)

    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(Exception, handle_unexpected)
