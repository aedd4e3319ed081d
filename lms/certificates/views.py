"""Public verification pages, Open Badges JSON, and the learner's own downloads.
(Officials' pages are in manage.py; both add their routes to blueprint.bp.)"""

from __future__ import annotations

import hashlib
import json
import re

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.certificates import badges, credentials, keyring, services, settings, storage
from lms.certificates.blueprint import bp
from lms.certificates.codes import MalformedCode, format_code
from lms.certificates.delivery import ensure_or_queue, pdf_response
from lms.certificates.forms import VerifyForm
from lms.certificates.models import Certificate, StatusList
from lms.certificates.signing import b64url
from lms.core.db import write_intent
from lms.core.errors import NotFound
from lms.core.extensions import client_ip, db, limiter

verify_limit = limiter.shared_limit(settings.verify_rate_limit, scope="certificate-verify")


def _account_key() -> str:
    """Downloads are counted per account (a commune office shares one address), else per IP."""
    if getattr(current_user, "is_authenticated", False):
        return f"user:{current_user.id}"
    return client_ip()


download_limit = limiter.shared_limit(settings.download_rate_limit, scope="certificate-download", key_func=_account_key)


# --- public verification -----------------------------------------------------------------------


def _public_keys() -> list[dict]:
    return [
        {"kid": kid, "raw": key.raw.hex(), "did": key.did, "pem": key.pem} for kid, key in sorted(keyring.trusted_keys().items())
    ]


def _keys_attribute() -> str:
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


def _signed_response(document: str, filename: str):
    """A stored credential as it was signed: the same bytes on every request (ETag from them)."""
    body = document.encode("utf-8")
    response = Response(body, mimetype=badges.MEDIA_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "no-cache"  # stored for good, but revocation turns it into a 410
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return response.make_conditional(request)


def _document_of(certificate: Certificate) -> str:
    """The stored credential; one made before credentials existed is signed now, once, in a
    transaction of its own (a GET otherwise never writes)."""
    document = credentials.stored_document(certificate)
    if document is not None:
        return document
    certificate_id = certificate.id
    db.session.rollback()
    with write_intent():
        fresh = db.session.get(Certificate, certificate_id)
        if fresh is None:
            raise NotFound(_("Không có giấy chứng nhận nào mang mã này."))
        row = credentials.issue(fresh)
        document = row.document or ""
        db.session.commit()
    return document


@bp.get("/certificates/<code>.json")
@verify_limit
def open_badge(code: str):
    try:
        certificate = services.find_by_code(code)
    except MalformedCode as error:
        return _json_error(400, str(error))
    except NotFound as error:
        return _json_error(404, error.message)
    if certificate.revoked_at is not None:  # is_revoked, in a form mypy can follow
        return _json_error(
            410,
            _("Giấy chứng nhận này đã bị thu hồi."),
            revoked_at=certificate.revoked_at.isoformat(),
            reason=certificate.revoke_reason,
        )
    filename = f"open-badge-{certificate.display_code}.json"
    return _signed_response(_document_of(certificate), filename)


_LIST_ID = re.compile(r"[0-9]{1,9}")


@bp.get("/certificates/status/<list_id>")
def status_list(list_id: str):
    """A signed BitstringStatusListCredential: what verifiers read to see a revocation."""
    row = db.session.get(StatusList, int(list_id)) if _LIST_ID.fullmatch(list_id) else None
    if row is None or row.document is None:
        return _json_error(404, _("Không có danh sách trạng thái này."))
    return _signed_response(row.document, f"status-list-{row.id}.json")


# --- the learner's own certificate -------------------------------------------------------------


def _pending_page(certificate: Certificate):
    response = Response(render_template("certificates/pending.html", c=certificate), status=202)
    response.headers["Refresh"] = "3"
    response.headers["Cache-Control"] = "no-store"
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
