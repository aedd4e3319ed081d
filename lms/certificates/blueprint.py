"""The certificates blueprint, with what belongs to it as a whole: the start-up check of the
public URL, its error handlers, template filter and context processor.

views.py (public and learner pages) and manage.py (officials' pages) add their routes to `bp`;
they import this module and never each other. init_app imports both."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape
from werkzeug.exceptions import SecurityError

from lms.certificates import services, settings, storage
from lms.certificates.models import Certificate
from lms.certificates.render import local_date
from lms.certificates.signing import SigningKeyMissing
from lms.core.config import check_public_url

log = logging.getLogger(__name__)
bp = Blueprint(
    "certificates",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/certificates",
)
# Signed credentials must never carry a Host header: a production app without a public URL
# does not start, and one with it answers 400 to any other host.
bp.record_once(lambda state: check_public_url(state.app.config))


@bp.errorhandler(SigningKeyMissing)
def signing_key_missing(error: SigningKeyMissing):
    log.error("certificate signing key missing: %s", error)
    body = render_template(
        "errors/error.html",
        code=503,
        title=_("Chưa tạo được giấy chứng nhận"),
        text=_("Hệ thống chưa sẵn sàng tạo giấy chứng nhận. Quản trị viên cần chạy lệnh “flask lms init”. Bạn hãy thử lại sau."),
    )
    return body, 503


@bp.app_errorhandler(SecurityError)
def untrusted_host(error: SecurityError):
    """A Host header outside TRUSTED_HOSTS (production: the public URL's host). Flask refuses it
    before routing, so no URL can be built and the site layout cannot render: a bare page."""
    title = escape(_("Yêu cầu không hợp lệ"))
    text = escape(_("Địa chỉ trang trong yêu cầu không phải địa chỉ của hệ thống. Bạn hãy mở trang từ địa chỉ chính thức."))
    body = f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>{title}</title><h1>{title}</h1><p>{text}</p></html>'
    return Response(body, status=400, mimetype="text/html")


@bp.app_template_filter("vn_date")
def vn_date(moment) -> str:
    """A stored UTC time as the calendar date in Vietnam: 23/11/2025."""
    return local_date(moment).strftime("%d/%m/%Y") if moment else ""


@bp.app_context_processor
def certificate_helpers():
    def certificate_for(course):
        user = current_user
        if not getattr(user, "is_authenticated", False):
            return None
        return services.certificate_of(user.id, course.id)

    def certificate_ready(certificate: Certificate) -> bool:
        return storage.is_rendered(certificate) or not settings.redis_url()

    return {"certificate_for": certificate_for, "certificate_ready": certificate_ready}
