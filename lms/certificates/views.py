"""Public verification pages, Open Badges JSON, and the learner's own downloads.
(Officials' pages are in manage.py, on the same blueprint.)"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import escape
from werkzeug.exceptions import SecurityError

from lms.certificates import badges, jobs, keyring, services, settings, storage
from lms.certificates.codes import MalformedCode, format_code
from lms.certificates.forms import VerifyForm
from lms.certificates.models import Certificate
from lms.certificates.render import local_date
from lms.certificates.signing import SigningKeyMissing
from lms.core.config import check_public_url
from lms.core.errors import NotFound
from lms.core.extensions import client_ip, limiter

log = logging.getLogger(__name__)
bp = Blueprint(
    "certificates",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/certificates",
)
verify_limit = limiter.shared_limit(settings.verify_rate_limit, scope="certificate-verify")
# Signed credentials must never carry a Host header: a production app without a public URL
# does not start, and one with it answers 400 to any other host.
bp.record_once(lambda state: check_public_url(state.app.config))


def _account_key() -> str:
    """Downloads are counted per account (a commune office shares one address), else per IP."""
    if getattr(current_user, "is_authenticated", False):
        return f"user:{current_user.id}"
    return client_ip()


download_limit = limiter.shared_limit(settings.download_rate_limit, scope="certificate-download", key_func=_account_key)


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


# --- public verification -----------------------------------------------------------------------


def _public_keys() -> list[dict]:
    return [
        {"kid": kid, "raw": key.raw.hex(), "did": key.did, "pem": key.pem} for kid, key in sorted(keyring.trusted_keys().items())
    ]


def _keys_attribute() -> str:
    from lms.certificates.signing import b64url

    return json.dumps({kid: b64url(key.raw) for kid, key in keyring.trusted_keys().items()})


@bp.get("/verify")
@limiter.shared_limit(settings.verify_rate_limit, scope="certificate-verify", exempt_when=lambda: not request.args.get("code"))
def verify_form():
    form = VerifyForm(request.args)
    if request.args.get("code") is not None and form.validate():
        code, error = services.try_normalize(form.code.data)
        if code:
            return redirect(url_for("certificates.verify", code=format_code(code)))
        form.code.errors = [error]
    status = 400 if form.code.errors else 200
    return render_template("certificates/verify_form.html", form=form), status


@bp.get("/verify/<code>")
@verify_limit
def verify(code: str):
    try:
        certificate = services.find_by_code(code)
    except MalformedCode as error:
        form = VerifyForm(data={"code": code[:40]})
        form.code.errors = [str(error)]
        return render_template("certificates/verify_form.html", form=form), 400
    except NotFound as error:
        form = VerifyForm(data={"code": code[:40]})
        form.code.errors = [error.message]
        return render_template("certificates/verify_form.html", form=form, not_found=True), 404
    canonical = certificate.display_code
    if code != canonical:
        return redirect(url_for("certificates.verify", code=canonical))
    view = services.public_view(certificate)
    return render_template("certificates/verify.html", view=view, c=certificate, keys=_keys_attribute())


@bp.get("/verify/offline")
def verify_offline():
    """Checks a QR payload in the browser with the public keys; no request leaves the page."""
    return render_template("certificates/offline.html", keys=_keys_attribute(), public_keys=_public_keys())


@bp.get("/certificates/keys.json")
def public_keys():
    response = Response(json.dumps({"keys": _public_keys()}, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _json_error(status: int, message: str, **extra):
    body = json.dumps({"error": message, "status": status, **extra}, ensure_ascii=False)
    return Response(body, status=status, mimetype="application/json")


@bp.get("/certificates/<code>.json")
@verify_limit
def open_badge(code: str):
    try:
        certificate = services.find_by_code(code)
    except MalformedCode as error:
        return _json_error(400, str(error))
    except NotFound as error:
        return _json_error(404, error.message)
    if certificate.is_revoked:
        return _json_error(
            410,
            _("Giấy chứng nhận này đã bị thu hồi."),
            revoked_at=certificate.revoked_at.isoformat(),
            reason=certificate.revoke_reason,
        )
    body = json.dumps(badges.credential(certificate), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'inline; filename="open-badge-{certificate.display_code}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the learner's own certificate -------------------------------------------------------------


def _pending_page(certificate: Certificate):
    response = Response(render_template("certificates/pending.html", c=certificate), status=202)
    response.headers["Refresh"] = "3"
    response.headers["Cache-Control"] = "no-store"
    return response


def ensure_or_queue(certificate: Certificate):
    """The PDF path, or None when a worker was asked to make it (REDIS_URL set)."""
    if storage.is_rendered(certificate):
        return storage.pdf_path(certificate)
    if settings.redis_url():
        try:
            if jobs.enqueue(certificate.id, certificate.code, certificate.revision):
                return None
        except Exception:  # Redis unreachable: render here rather than fail
            jobs.log.warning("queue unavailable, rendering %s in the request", certificate.code, exc_info=True)
    return storage.ensure_pdf(certificate)


def pdf_response(path, certificate: Certificate) -> Response:
    """The stored PDF as a download (read whole: it is a few tens of kilobytes)."""
    response = Response(path.read_bytes(), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="giay-chung-nhan-{certificate.display_code}.pdf"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/certificates/mine/<code>.pdf")
@download_limit
@login_required
def download(code: str):
    certificate = services.my_certificate(current_user._get_current_object(), code)
    if certificate.is_revoked:
        raise NotFound(_("Giấy chứng nhận này đã bị thu hồi nên không tải được nữa."))
    path = ensure_or_queue(certificate)
    if path is None:
        return _pending_page(certificate)
    return pdf_response(path, certificate)


@bp.get("/certificates/mine/<code>.png")
@download_limit
@login_required
def preview(code: str):
    certificate = services.my_certificate(current_user._get_current_object(), code)
    if certificate.is_revoked:
        raise NotFound(_("Giấy chứng nhận này đã bị thu hồi."))
    if ensure_or_queue(certificate) is None:
        return _pending_page(certificate)
    response = Response(storage.ensure_preview(certificate).read_bytes(), mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/certificates/mine")
@login_required
def mine():
    user = current_user._get_current_object()
    return render_template("certificates/mine.html", certificates=services.certificates_of(user), user=user)


import lms.certificates.manage  # noqa: E402, F401  (officials' routes, on this blueprint)
