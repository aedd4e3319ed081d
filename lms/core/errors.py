"""Domain exceptions (one hierarchy) and the HTTP error pages."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

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


def render_error(code: int, description: str | None = None):
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if _wants_json():
        return jsonify(error=str(title), message=str(description or text), status=code), code
    return render_template("errors/error.html", code=code, title=title, text=description or text), code


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
        return render_error(500)

    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(Exception, handle_unexpected)
