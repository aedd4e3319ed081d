"""Officials' roster import pages: templates, upload, preview, confirm, progress, result.

Every page is for officials who manage places (requires_scope("manages_places")); an import is
visible to the officials whose scope holds its commune, and anything else is 404 like a page
that does not exist. Uploads are taken only by `upload` (@accepts_files), with its own size
limit (ROSTER_MAX_BYTES) instead of the app's 2 MB.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from pathlib import Path
from typing import cast

from flask import Blueprint, Flask, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import RadioField, SearchField, SelectField, SubmitField
from wtforms.validators import Length, Optional

from lms.accounts.models import User
from lms.accounts.phone import display_phone
from lms.accounts.scope import capability, get_commune, get_team, requires_scope, scope_of, visible_communes
from lms.accounts.scope import viewer as current_viewer
from lms.core.errors import NotFound, render_error
from lms.core.extensions import db
from lms.core.forms import TOO_LONG, PostForm, failure_status, strip_filter
from lms.core.nav import NavEntry, add_nav_entry
from lms.core.security import accepts_files
from lms.core.text import nfc
from lms.places import jobs, rosters
from lms.places.models import Commune, RosterImport, Team, Village
from lms.places.services import where_words_match

bp = Blueprint(
    "rosters",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/places",
)
bp.record_once(
    lambda state: add_nav_entry(
        cast(Flask, state.app), NavEntry("rosters.index", _l("Nhập danh sách"), 25, capability("manages_places"))
    )
)

PAGE_SIZE = 20
_PAGE_RE = re.compile(r"^[0-9]{1,6}$")
_ID_RE = re.compile(r"^[0-9]{1,9}$")
KIND_LABELS = {"learners": _l("Người học (cư dân của xã)"), "members": _l("Thành viên của một tổ")}
STATUS_LABELS = {
    "queued": _l("Đang chờ xử lý"),
    "running": _l("Đang xử lý"),
    "preview": _l("Chờ xác nhận"),
    "rejected": _l("Bị từ chối (chưa ghi gì)"),
    "done": _l("Đã nhập"),
    "failed": _l("Bị dừng (chưa ghi gì)"),
}


@bp.after_request
def no_store(response: Response) -> Response:
    # Names and phone numbers of a commune: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, _values: dict | None) -> None:
    # Runs before the app's input checks read the body: the roster form takes bigger files.
    if endpoint == "rosters.upload":
        request.max_content_length = int(rosters.setting("ROSTER_MAX_BYTES")) + 64 * 1024


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge):
    return render_error(413, _too_large_message())


def _too_large_message() -> str:
    megabytes = int(rosters.setting("ROSTER_MAX_BYTES")) // (1024 * 1024)
    return _(
        "Tệp quá lớn: mỗi tệp tối đa %(mb)s MB. Bạn hãy chia danh sách thành nhiều tệp (mỗi tệp vài chục nghìn dòng).",
        mb=megabytes,
    )


class UploadForm(FlaskForm):
    kind = RadioField(_l("Danh sách này là"), choices=list(KIND_LABELS.items()), default="learners", validate_choice=False)
    team = SelectField(_l("Tổ (khi nhập thành viên)"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Kiểm tra tệp"))


class CommuneSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Tìm xã/phường (gõ không dấu cũng được)"),
        filters=[strip_filter],
        validators=[Optional(), Length(max=80, message=TOO_LONG)],
    )


def _page() -> int:
    raw = request.args.get("page", "")
    return max(1, int(raw)) if _PAGE_RE.match(raw) else 1


def visible_imports(viewer: User):
    """Imports whose commune is in the viewer's scope (scope.py decides which communes)."""
    return select(RosterImport).where(RosterImport.commune_code.in_(visible_communes(viewer, select(Commune.code))))


def get_import(viewer: User, import_id: int) -> RosterImport:
    roster = db.session.scalar(visible_imports(viewer).where(RosterImport.id == import_id))
    if roster is None:
        raise NotFound(_("Không tìm thấy lần nhập danh sách này trong phạm vi bạn quản lý."))
    return roster


@bp.get("/rosters")
@requires_scope("manages_places")
def index():
    viewer = current_viewer()
    scope = scope_of(viewer)
    search = CommuneSearchForm(request.args)
    communes: list[Commune] = []
    if not scope.is_global and not scope.province_codes and len(scope.commune_codes) <= 10:
        communes = list(db.session.scalars(visible_communes(viewer).order_by(Commune.search_key)))
    elif search.validate() and search.q.data:
        stmt = where_words_match(visible_communes(viewer), Commune.search_key, search.q.data)
        communes = list(db.session.scalars(stmt.order_by(func.length(Commune.search_key), Commune.search_key).limit(20)))
    page = _page()
    total = db.session.scalar(select(func.count()).select_from(visible_imports(viewer).subquery())) or 0
    imports = db.session.scalars(
        visible_imports(viewer).order_by(RosterImport.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    names = dict(
        (code, name)
        for code, name in db.session.execute(
            select(Commune.code, Commune.name).where(Commune.code.in_({i.commune_code for i in imports}))
        )
    )
    return render_template(
        "places/roster_index.html",
        search=search,
        communes=communes,
        imports=imports,
        commune_names=names,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        searching=bool(scope.is_global or scope.province_codes or len(scope.commune_codes) > 10),
    )


@bp.get("/rosters/template.<any(csv, xlsx):fmt>")
@requires_scope("manages_places")
def template(fmt: str):
    if fmt == "csv":
        body, mimetype = rosters.template_csv(), "text/csv; charset=utf-8"
    else:
        body, mimetype = rosters.template_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="mau-danh-sach.{fmt}"'})


def _teams_of(commune: Commune) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(Team.id, Team.name, Village.kind, Village.name)
        .join(Village, Village.id == Team.village_id)
        .where(Team.commune_code == commune.code)
        .order_by(Village.name, Team.name)
    ).all()
    return [(str(team_id), f"{name} — {kind} {village}") for team_id, name, kind, village in rows]


def _display_name(raw: str | None) -> str:
    """The file's name as the official knows it, without folders or characters no column holds."""
    name = nfc(raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C")).strip()
    return name[:120] or "tep"


def _store(upload) -> tuple[Path, str, int, bytes]:
    """Copy the upload to ROSTER_DIR; (path, sha256, size, first bytes). Over the limit: 413."""
    folder = Path(rosters.setting("ROSTER_DIR"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.upload"
    digest = hashlib.sha256()
    size = 0
    head = b""
    limit = int(rosters.setting("ROSTER_MAX_BYTES"))
    with open(path, "wb") as out:
        while block := upload.stream.read(1 << 16):
            if not head:
                head = block[:16]
            size += len(block)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise rosters.RosterFileError(_too_large_message(), status=413)
            digest.update(block)
            out.write(block)
    return path, digest.hexdigest(), size, head


@bp.route("/rosters/new", methods=["GET", "POST"])
@requires_scope("manages_places")
@accepts_files
def upload():
    viewer = current_viewer()
    commune = get_commune(viewer, (request.args.get("commune") or "")[:5])
    form = UploadForm()
    form.team.choices = [("", _("— Chọn tổ —"))] + _teams_of(commune)
    status = 200
    if form.validate_on_submit():
        outcome = _receive(form, viewer, commune)
        if isinstance(outcome, RosterImport):
            return redirect(url_for("rosters.show", import_id=outcome.id))
        status = outcome
    elif request.method == "POST":
        status = failure_status(form)
    return (
        render_template(
            "places/roster_upload.html",
            form=form,
            commune=commune,
            max_mb=int(rosters.setting("ROSTER_MAX_BYTES")) // (1024 * 1024),
            headers=rosters.template_headers(),
            guide=rosters.GUIDE,
        ),
        status,
    )


def _receive(form: UploadForm, viewer: User, commune: Commune) -> RosterImport | int:
    """Store the file and make its import; the HTTP status of the form page on a refusal."""
    kind = form.kind.data if form.kind.data in rosters.KINDS else None
    if kind is None:
        form.kind.errors = [_("Bạn hãy chọn loại danh sách.")]
        return 422
    team_id = None
    if kind == "members":
        raw = form.team.data or ""
        team = None
        if _ID_RE.match(raw):
            try:
                team = get_team(viewer, int(raw), manage=True)
            except NotFound:
                team = None
        if team is None or team.commune_code != commune.code:
            form.team.errors = [_("Bạn hãy chọn tổ của %(commune)s để nhập thành viên.", commune=commune.name)]
            return 422
        team_id = team.id
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.form_errors.append(_("Bạn hãy chọn tệp danh sách (.csv hoặc .xlsx)."))
        return 422
    stored = None
    try:
        stored, sha256, size, head = _store(upload)
        if size == 0:
            raise rosters.RosterFileError(_("Tệp rỗng. Bạn hãy chọn lại tệp danh sách."))
        name = _display_name(upload.filename)
        file_kind = rosters.file_kind(name, head)
        same = db.session.scalar(
            visible_imports(viewer).where(
                RosterImport.created_by_id == viewer.id,
                RosterImport.file_sha256 == sha256,
                RosterImport.commune_code == commune.code,
                RosterImport.kind == kind,
                RosterImport.team_id.is_(None) if team_id is None else RosterImport.team_id == team_id,
                RosterImport.status.in_(("queued", "running", "preview")),
            )
        )
        if same is not None:  # the same file sent twice (a double click): its first import
            stored.unlink(missing_ok=True)
            return same
        roster = rosters.new_import(
            viewer,
            kind=kind,
            commune_code=commune.code,
            team_id=team_id,
            filename=name,
            stored=stored,
            sha256=sha256,
            file_kind_=file_kind,
        )
    except rosters.RosterFileError as error:
        db.session.rollback()
        if stored is not None:
            stored.unlink(missing_ok=True)
        form.form_errors.append(error.message)
        return error.status_code
    db.session.commit()
    jobs.start(roster.id, size)
    return roster


def _progress_of(roster: RosterImport) -> dict:
    rows, alive = jobs.progress(roster.id) if roster.status in ("queued", "running") else (None, None)
    stale = rosters.is_stale(roster, alive)
    processed = rows if rows is not None and roster.status == "running" else roster.processed_rows
    phase = (roster.detail or {}).get("phase", "check")
    return {
        "id": roster.id,
        "status": "failed" if stale else roster.status,
        "phase": phase,
        "processed": processed,
        # While the file is checked its length is not known yet; writing goes row by row of a
        # preview that counted them.
        "total": roster.total_rows if phase == "apply" or roster.status not in ("queued", "running") else None,
        "created": roster.created_count,
        "matched": roster.matched_count,
        "errors": roster.error_count,
        "finished": stale or roster.status not in ("queued", "running"),
        "stale": stale,
    }


@bp.get("/rosters/<int:import_id>")
@requires_scope("manages_places")
def show(import_id: int):
    viewer = current_viewer()
    roster = get_import(viewer, import_id)
    commune = db.session.get(Commune, roster.commune_code)
    team = db.session.get(Team, roster.team_id) if roster.team_id else None
    uploader = db.session.get(User, roster.created_by_id) if roster.created_by_id else None
    people_url = None
    if "people.index" in current_app.view_functions:
        people_url = url_for("people.index", team=team.id) if team else url_for("people.index", commune=roster.commune_code)
    detail = roster.detail or {}
    return render_template(
        "places/roster_show.html",
        roster=roster,
        detail=detail,
        counts=detail.get("counts") or {},
        commune=commune,
        team=team,
        uploader=uploader,
        progress=_progress_of(roster),
        post_form=PostForm(),
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        encoding=rosters.encoding_label(detail["encoding"]) if detail.get("encoding") else None,
        people_url=people_url,
        display_phone=display_phone,
    )


@bp.get("/rosters/<int:import_id>/progress")
@requires_scope("manages_places")
def progress(import_id: int):
    roster = get_import(current_viewer(), import_id)
    return jsonify(_progress_of(roster))


@bp.post("/rosters/<int:import_id>/confirm")
@requires_scope("manages_places")
def confirm(import_id: int):
    viewer = current_viewer()
    roster = get_import(viewer, import_id)
    form = PostForm()
    if not form.validate_on_submit():
        flash(_("Phiên làm việc của biểu mẫu đã hết hạn. Bạn hãy tải lại trang rồi gửi lại."), "error")
        return redirect(url_for("rosters.show", import_id=roster.id))
    # Compare-and-set: of two clicks (or two officials) only one starts the writing.
    if rosters.claim(roster.id, from_status=("preview",), to_status="queued", phase="apply", actor_id=viewer.id):
        db.session.commit()
        _start(roster.id)
    else:
        db.session.rollback()
    return redirect(url_for("rosters.show", import_id=roster.id))


@bp.post("/rosters/<int:import_id>/retry")
@requires_scope("manages_places")
def retry(import_id: int):
    viewer = current_viewer()
    roster = get_import(viewer, import_id)
    form = PostForm()
    if not form.validate_on_submit():
        flash(_("Phiên làm việc của biểu mẫu đã hết hạn. Bạn hãy tải lại trang rồi gửi lại."), "error")
        return redirect(url_for("rosters.show", import_id=roster.id))
    allowed = ["failed"]
    if _progress_of(roster)["stale"]:
        allowed.append("running")  # its worker was killed: the run wrote nothing
    if rosters.claim(roster.id, from_status=allowed, to_status="queued", actor_id=viewer.id):
        db.session.commit()
        _start(roster.id)
    else:
        db.session.rollback()
    return redirect(url_for("rosters.show", import_id=roster.id))


def _start(import_id: int) -> None:
    roster = db.session.get(RosterImport, import_id)
    if roster is None:
        return
    size = int((roster.detail or {}).get("size") or 0)
    if roster.stored_path and os.path.isfile(roster.stored_path):
        size = os.path.getsize(roster.stored_path)
    jobs.start(import_id, size)
