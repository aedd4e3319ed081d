"""Officials' pages: find a certificate, revoke it, correct the name and regenerate, and
download a commune's, village's or team's certificates as a ZIP or a print-ready PDF."""

from __future__ import annotations

from flask import Response, flash, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from redis.exceptions import RedisError
from sqlalchemy import select

from lms.accounts.scope import requires_scope, scope_of, visible_communes
from lms.accounts.scope import viewer as current_viewer
from lms.certificates import bulk, services, settings, storage
from lms.certificates.blueprint import bp
from lms.certificates.delivery import ensure_or_queue, pdf_response
from lms.certificates.forms import ButtonForm, CertificateSearchForm, PrintForm, RegenerateForm, ReinstateForm, RevokeForm
from lms.core import audit
from lms.core.errors import NotFound
from lms.core.extensions import db
from lms.core.forms import submit_form
from lms.places.models import Commune, Team, Village

GROUP = "<any(commune, village, team):kind>/<key>"
# Every page here is for officials in scope: anyone else gets 404, as for anything out of scope.
officials_only = requires_scope("manages_places", _l("Trang này dành cho cán bộ xã, cán bộ tỉnh và quản trị viên."))


@bp.get("/certificates/manage")
@officials_only
def manage():
    viewer = current_viewer()
    form = CertificateSearchForm(request.args)
    if form.q.data and form.validate():
        _, typo = services.try_normalize(form.q.data)  # a typo cannot exist anywhere: say what is wrong
        try:
            if typo:
                raise NotFound(typo)
            certificate = services.managed_certificate(viewer, form.q.data)
        except NotFound as error:
            form.q.errors = [error.message]
        else:
            return redirect(url_for("certificates.manage_certificate", code=certificate.display_code))
    communes = db.session.scalars(visible_communes(viewer).order_by(Commune.province_code, Commune.search_key).limit(100)).all()
    return render_template("certificates/manage.html", form=form, communes=communes, is_global=scope_of(viewer).is_global)


def _group_page_data(viewer, group):
    certificates = list(db.session.scalars(services.group_certificates(viewer, group)).unique())
    active = [c for c in certificates if not c.is_revoked]
    children: list[tuple[str, str, str]] = []
    if group.kind == "commune":
        for village in db.session.scalars(select(Village).where(Village.commune_code == group.key).order_by(Village.name)):
            children.append(("village", str(village.id), f"{village.kind.capitalize()} {village.name}"))
    elif group.kind == "village":
        for team in db.session.scalars(select(Team).where(Team.village_id == int(group.key)).order_by(Team.name)):
            children.append(("team", str(team.id), team.name))
    return certificates, active, children


@bp.get(f"/certificates/manage/{GROUP}")
@officials_only
def manage_group(kind: str, key: str):
    viewer = current_viewer()
    group = services.get_group(viewer, kind, key)
    certificates, active, children = _group_page_data(viewer, group)
    progress = services.group_progress(active)
    uses_worker = bool(settings.redis_url())
    batch = settings.print_batch()
    parts = max(1, -(-len(active) // batch))
    response = Response(
        render_template(
            "certificates/group.html",
            group=group,
            certificates=certificates,
            active=active,
            children=children,
            progress=progress,
            uses_worker=uses_worker,
            parts=parts,
            batch=batch,
            form=ButtonForm(formdata=None),
            print_form=PrintForm(formdata=None),
        )
    )
    if uses_worker and not progress.done and request.args.get("waiting"):
        response.headers["Refresh"] = "4"  # progress without JavaScript; the script polls instead
    return response


@bp.post(f"/certificates/manage/{GROUP}/prepare")
@officials_only
def prepare_group(kind: str, key: str):
    viewer = current_viewer()
    group = services.get_group(viewer, kind, key)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("certificates.manage_group", kind=kind, key=key))
    active = list(db.session.scalars(services.group_certificates(viewer, group, include_revoked=False)).unique())
    try:
        asked = services.enqueue_missing(active)
    except RedisError:
        flash(_("Không gửi được yêu cầu tới hàng đợi. Bạn vẫn có thể tải ZIP: máy chủ sẽ tạo tệp còn thiếu khi tải."), "error")
        return redirect(url_for("certificates.manage_group", kind=kind, key=key))
    if asked:
        flash(
            ngettext(
                "Đang tạo %(num)s tệp PDF còn thiếu. Trang sẽ tự cập nhật tiến độ.",
                "Đang tạo %(num)s tệp PDF còn thiếu. Trang sẽ tự cập nhật tiến độ.",
                asked,
            ),
            "info",
        )
    else:
        flash(_("Tất cả tệp PDF đã sẵn sàng."), "success")
    return redirect(url_for("certificates.manage_group", kind=kind, key=key, waiting=1 if asked else None))


@bp.get(f"/certificates/manage/{GROUP}/progress.json")
@officials_only
def group_progress(kind: str, key: str):
    viewer = current_viewer()
    group = services.get_group(viewer, kind, key)
    active = list(db.session.scalars(services.group_certificates(viewer, group, include_revoked=False)).unique())
    progress = services.group_progress(active)
    return jsonify(total=progress.total, ready=progress.ready, percent=progress.percent, done=progress.done)


def _active(viewer, group) -> list:
    return list(db.session.scalars(services.group_certificates(viewer, group, include_revoked=False)).unique())


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


def _ask_again(group):
    """A file URL opened without a valid signed link (old bookmark, link from elsewhere, expired):
    back to the group page, where the button asks for a new one. Nothing is written."""
    flash(_("Liên kết tải đã hết hạn hoặc không hợp lệ. Bạn hãy bấm nút tải trên trang này."), "info")
    return redirect(url_for("certificates.manage_group", kind=group.kind, key=group.key), code=303)


@bp.post(f"/certificates/manage/{GROUP}/chung-nhan.zip")
@officials_only
def request_group_zip(kind: str, key: str):
    """The ZIP button: audited here, then the browser follows a signed link to the file."""
    viewer = current_viewer()
    group = services.get_group(viewer, kind, key)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("certificates.manage_group", kind=group.kind, key=group.key), code=303)
    active = _active(viewer, group)
    if not active:
        raise NotFound(_("Nhóm này chưa có giấy chứng nhận nào để tải."))
    token = bulk.download_token(viewer.id, group.kind, group.key, "zip")
    response = redirect(url_for("certificates.group_zip", kind=group.kind, key=group.key, t=token), code=303)
    audit.record(viewer.id, "certificate.bulk_zip", group.kind, group.key, count=len(active))
    db.session.commit()
    return response


@bp.get(f"/certificates/manage/{GROUP}/chung-nhan.zip")
@officials_only
def group_zip(kind: str, key: str):
    viewer = current_viewer()
    group = services.get_group(viewer, kind, key)
    if not bulk.token_allows(request.args.get("t"), viewer.id, group.kind, group.key, "zip"):
        return _ask_again(group)
    active = _active(viewer, group)
    if not active:
        raise NotFound(_("Nhóm này chưa có giấy chứng nhận nào để tải."))
    snapshots = storage.detach(active)  # no transaction stays open while the ZIP streams
    stream = stream_with_context(bulk.stream_zip(snapshots))
    return Response(stream, mimetype="application/zip", headers=_attachment(f"chung-nhan-{group.slug}.zip"))


def _print_part(viewer, group, part: int) -> list:
    batch = settings.print_batch()
    chosen = _active(viewer, group)[(part - 1) * batch : part * batch] if part >= 1 else []
    if not chosen:
        raise NotFound(_("Không có giấy chứng nhận nào trong phần này."))
    return chosen


@bp.post(f"/certificates/manage/{GROUP}/ban-in.pdf")
@officials_only
def request_group_print(kind: str, key: str):
    """A print button (one per part): audited here, then a signed link to the file."""
    viewer = current_viewer()
    group = services.get_group(viewer, kind, key)
    form = PrintForm()
    if not form.validate_on_submit():
        return redirect(url_for("certificates.manage_group", kind=group.kind, key=group.key), code=303)
    part = bulk.part_number(form.part.data)
    chosen = _print_part(viewer, group, part)
    token = bulk.download_token(viewer.id, group.kind, group.key, "print", part)
    response = redirect(url_for("certificates.group_print", kind=group.kind, key=group.key, part=part, t=token), code=303)
    audit.record(viewer.id, "certificate.bulk_print", group.kind, group.key, count=len(chosen), part=part)
    db.session.commit()
    return response


@bp.get(f"/certificates/manage/{GROUP}/ban-in.pdf")
@officials_only
def group_print(kind: str, key: str):
    viewer = current_viewer()
    group = services.get_group(viewer, kind, key)
    part = bulk.part_number(request.args.get("part"))
    if part < 1:
        raise NotFound(_("Không có giấy chứng nhận nào trong phần này."))
    if not bulk.token_allows(request.args.get("t"), viewer.id, group.kind, group.key, "print", part):
        return _ask_again(group)
    chosen = storage.detach(_print_part(viewer, group, part))  # rendering holds no transaction
    data = bulk.print_pdf(chosen)
    return Response(data, mimetype="application/pdf", headers=_attachment(f"ban-in-{group.slug}-phan-{part}.pdf"))


# --- one certificate ---------------------------------------------------------------------------


def _certificate_page(certificate, revoke_form=None, regenerate_form=None, reinstate_form=None, status=200):
    holder = certificate.user
    if regenerate_form is None:
        regenerate_form = RegenerateForm(formdata=None, data={"full_name": holder.full_name, "revision": certificate.revision})
    return render_template(
        "certificates/manage_certificate.html",
        c=certificate,
        holder=holder,
        revoke_form=revoke_form or RevokeForm(formdata=None),
        regenerate_form=regenerate_form,
        reinstate_form=reinstate_form or ReinstateForm(formdata=None),
        may_reinstate=services.may_reinstate(certificate),
        history=services.history(certificate),
        rendered=storage.is_rendered(certificate),
        may_change=services.may_change(current_viewer(), certificate),
    ), status


@bp.get("/certificates/manage/c/<code>")
@officials_only
def manage_certificate(code: str):
    certificate = services.managed_certificate(current_viewer(), code)
    return _certificate_page(certificate)


@bp.post("/certificates/manage/c/<code>/revoke")
@officials_only
def revoke(code: str):
    viewer = current_viewer()
    certificate = services.managed_certificate(viewer, code)
    services.require_change(viewer, certificate)
    form = RevokeForm()
    if not form.validate_on_submit():
        if certificate.is_revoked:  # a second click after the first one went through
            return redirect(url_for("certificates.manage_certificate", code=certificate.display_code))
        return _certificate_page(certificate, revoke_form=form, status=422)
    changed = submit_form(form, lambda: services.revoke(viewer, certificate, form.reason.data))
    if changed is None:
        return _certificate_page(services.managed_certificate(viewer, code), revoke_form=form, status=422)
    if changed:
        flash(_("Đã thu hồi giấy chứng nhận %(code)s.", code=certificate.display_code), "success")
    else:
        flash(_("Giấy chứng nhận này đã được thu hồi trước đó; không có gì thay đổi."), "info")
    return redirect(url_for("certificates.manage_certificate", code=certificate.display_code))


@bp.post("/certificates/manage/c/<code>/reinstate")
@officials_only
def reinstate(code: str):
    """Undo a mistaken revocation (audited); the credential's status bit is cleared."""
    viewer = current_viewer()
    certificate = services.managed_certificate(viewer, code)
    services.require_change(viewer, certificate)
    form = ReinstateForm()
    if not form.validate_on_submit():
        if not certificate.is_revoked:  # a second click after the first one went through
            return redirect(url_for("certificates.manage_certificate", code=certificate.display_code))
        return _certificate_page(certificate, reinstate_form=form, status=422)
    # An erased holder's certificate is a Conflict: the app-wide page says so (409).
    changed = submit_form(form, lambda: services.reinstate(viewer, certificate, form.reason.data))
    if changed is None:
        return _certificate_page(services.managed_certificate(viewer, code), reinstate_form=form, status=422)
    if changed:
        flash(_("Đã khôi phục giấy chứng nhận %(code)s.", code=certificate.display_code), "success")
    else:
        flash(_("Giấy chứng nhận này không còn bị thu hồi; không có gì thay đổi."), "info")
    return redirect(url_for("certificates.manage_certificate", code=certificate.display_code))


@bp.post("/certificates/manage/c/<code>/regenerate")
@officials_only
def regenerate(code: str):
    viewer = current_viewer()
    certificate = services.managed_certificate(viewer, code)
    services.require_change(viewer, certificate)
    form = RegenerateForm()
    if not form.validate_on_submit():
        form.form_errors.extend(form.revision.errors)  # a hidden field: say it above the form
        return _certificate_page(certificate, regenerate_form=form, status=422)
    # A certificate revoked meanwhile is a Conflict: the app-wide page says so (409).
    changed = submit_form(
        form, lambda: services.correct_and_regenerate(viewer, certificate, form.full_name.data, form.revision.data)
    )
    if changed is None:
        return _certificate_page(services.managed_certificate(viewer, code), regenerate_form=form, status=422)
    if changed:
        if not settings.redis_url():
            storage.ensure_pdf(storage.detach([certificate])[0])  # ready when the page comes back
        flash(
            _(
                "Đã sửa tên và cấp lại bản PDF (lần %(n)s) với cùng mã %(code)s.",
                n=certificate.revision,
                code=certificate.display_code,
            ),
            "success",
        )
    else:
        flash(_("Giấy chứng nhận đã được cấp lại trước đó; không có gì thay đổi."), "info")
    return redirect(url_for("certificates.manage_certificate", code=certificate.display_code))


@bp.get("/certificates/manage/c/<code>.pdf")
@officials_only
def manage_download(code: str):
    certificate = services.managed_certificate(current_viewer(), code)
    path = ensure_or_queue(certificate)
    if path is None:
        flash(_("Tệp PDF đang được tạo. Bạn hãy tải lại sau ít giây."), "info")
        return redirect(url_for("certificates.manage_certificate", code=certificate.display_code))
    return pdf_response(path, certificate)
