"""Field work pages: the outreach log for team members (a form that works without JavaScript,
and a JSON endpoint the offline queue sends to), corrections with their history, and targets
set by officials."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, or_, select

from lms.accounts.scope import get_commune, get_team, get_village, member_villages, scope_of
from lms.core.db import vi_order
from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.core.extensions import db, limiter
from lms.core.forms import attach_error, failure_status, submit_form
from lms.fieldwork import campaigns, outreach, progress, report, targets
from lms.fieldwork import tasks as tasks_module
from lms.fieldwork.counts import COUNTRY
from lms.fieldwork.forms import CampaignForm, EntryForm, PlatformForm, TargetForm
from lms.fieldwork.models import Campaign, LocalPlatform
from lms.fieldwork.tasks import item_names, items_for, load_tasks, task_by_code
from lms.places.models import Household, Province, Village

bp = Blueprint("fieldwork", __name__, template_folder="templates", static_folder="static", static_url_path="/fieldwork/static")
HOUSEHOLDS_SHOWN = 1000
OUTCOME_LABELS = {"done": _l("Đã xong"), "follow_up": _l("Cần quay lại")}


@bp.after_request
def no_store(response: Response) -> Response:
    # Entries name households by address: no browser or proxy keeps these pages.
    response.headers["Cache-Control"] = "no-store"
    return response


def _member():
    if not current_user.is_authenticated:
        return None
    viewer = current_user._get_current_object()
    if not member_villages(viewer):
        raise NotFound(_("Trang này dành cho thành viên tổ công nghệ số cộng đồng."))
    return viewer


def _id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 0 < int(raw) <= 2**31 - 1:
        raise NotFound(_("Không tìm thấy mục ghi này trong các mục của bạn."))
    return int(raw)


def _villages(viewer) -> list[Village]:
    return list(
        db.session.scalars(
            select(Village).where(Village.id.in_(member_villages(viewer))).order_by(vi_order(Village.name), Village.id)
        )
    )


def _fill_choices(form: EntryForm, viewer) -> list[Village]:
    villages = _villages(viewer)
    households = list(
        db.session.scalars(
            select(Household)
            .where(Household.village_id.in_([v.id for v in villages]))
            .order_by(Household.village_id, vi_order(Household.label), Household.id)
            .limit(HOUSEHOLDS_SHOWN)
        )
    )
    names = {v.id: v.name for v in villages}
    several = len(villages) > 1
    form.household.choices = [("", _("— Chọn hộ —"))] + [
        (str(h.id), f"{h.label} ({names[h.village_id]})" if several else h.label) for h in households
    ]
    form.task.choices = [("", _("— Chọn nhiệm vụ —"))] + [(t.code, t.name) for t in load_tasks()]
    commune = villages[0].commune_code if villages else ""
    form.item.choices = [("", _("— Không chọn —"))] + [
        (i.code, f"{t.name}: {i.name}") for t in load_tasks() for i in items_for(t, commune)
    ]
    return villages


def _form_data(form: EntryForm) -> dict:
    return {
        "date": form.date.data,
        "household": form.household.data,
        "task": form.task.data,
        "item": form.item.data,
        "outcome": form.outcome.data,
        "people": form.people.data,
        "note": form.note.data,
    }


def _task_name(code: object) -> str:
    task = task_by_code(code if isinstance(code, str) else None)
    return task.name if task else str(code or "")


def _entry_rows(entries) -> list[dict]:
    households = {
        h.id: h.label for h in db.session.scalars(select(Household).where(Household.id.in_({e.household_id for e in entries})))
    }
    items = item_names()
    rows = []
    for e in entries:
        rows.append(
            {
                "entry": e,
                "household": households.get(e.household_id, ""),
                "task": _task_name(e.task_code),
                "item": items.get(e.item_code or "", ""),
                "outcome": str(OUTCOME_LABELS.get(e.outcome, e.outcome)),
                "correctable": outreach.correctable(e),
            }
        )
    return rows


@bp.route("/field/outreach", methods=["GET", "POST"])
def log():
    viewer = _member()
    if viewer is None:
        return current_app.login_manager.unauthorized()
    form = EntryForm()
    _fill_choices(form, viewer)
    status = 200
    if request.method == "GET":
        form.client_id.data = str(uuid.uuid4())
        form.date.data = outreach.today().isoformat()
    elif form.validate_on_submit():
        recorded = submit_form(form, lambda: outreach.record(viewer, form.client_id.data, _form_data(form)))
        if recorded is not None:
            if recorded.repeated:
                flash(_("Mục này đã được ghi trước đó: không ghi thêm lần nữa."), "info")
            else:
                flash(_("Đã ghi lại."), "success")
            return redirect(url_for("fieldwork.log"))
        status = failure_status(form)
    else:
        status = 422
    if not outreach.CLIENT_ID_RE.match(form.client_id.data or ""):
        form.client_id.data = str(uuid.uuid4())
    rows = _entry_rows(outreach.recent_entries(viewer))
    return render_template("fieldwork/log.html", form=form, rows=rows, correction_days=outreach.CORRECTION_DAYS), status


@bp.post("/api/fieldwork/entries")
@limiter.limit("240 per minute")
def api_record():
    """One entry of the phone's queue (JSON). 201 stored, 200 already stored (same client id),
    409 a duplicate visit, 422 a refused field; {"message", "field"} says why."""
    if not current_user.is_authenticated:
        return jsonify(error="login", message=_("Bạn hãy đăng nhập lại để gửi các mục đang chờ.")), 401
    viewer = current_user._get_current_object()
    if not member_villages(viewer):
        raise NotFound(_("Trang này dành cho thành viên tổ công nghệ số cộng đồng."))
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationFailed(_("Dữ liệu gửi lên không đúng dạng."))
    try:
        recorded = outreach.record(viewer, payload.get("client_id"), payload)
    except ValidationFailed as error:
        db.session.rollback()
        return jsonify(message=error.message, field=error.field), 422
    except Conflict as error:  # a duplicate visit
        db.session.rollback()
        return jsonify(message=error.message, field=error.field), 409
    entry_id = recorded.entry.id  # read before the commit expires the row
    db.session.commit()
    return jsonify(id=entry_id, repeated=recorded.repeated), 200 if recorded.repeated else 201


@bp.route("/field/outreach/<entry_id>", methods=["GET", "POST"])
def entry(entry_id: str):
    viewer = _member()
    if viewer is None:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    row = outreach.own_entry(viewer, _id(entry_id))
    form = EntryForm()
    _fill_choices(form, viewer)
    status = 200
    if request.method == "GET":
        form.date.data = row.done_on.isoformat()
        form.household.data = str(row.household_id)
        form.task.data = row.task_code
        form.item.data = row.item_code or ""
        form.outcome.data = row.outcome
        form.people.data = str(row.people)
        form.note.data = row.note or ""
    elif form.validate_on_submit():
        corrected = submit_form(form, lambda: outreach.correct(viewer, row.id, _form_data(form)))
        if corrected is not None:
            flash(_("Đã lưu bản sửa."), "success")
            return redirect(url_for("fieldwork.entry", entry_id=row.id))
        status = failure_status(form)
        row = outreach.own_entry(viewer, row.id)
    else:
        status = 422
    versions = outreach.history(row)
    ids = {v.data.get("household_id") for v in versions}
    households = {h.id: h.label for h in db.session.scalars(select(Household).where(Household.id.in_(ids)))}
    items = item_names(row.commune_code)
    history = [
        {
            "revision": v.revision,
            "at": v.changed_at.astimezone(outreach.VIETNAM).strftime("%H:%M %d/%m/%Y"),
            "date": v.data.get("done_on"),
            "household": households.get(int(v.data.get("household_id") or 0), ""),
            "task": _task_name(v.data.get("task_code")),
            "item": items.get(v.data.get("item_code") or "", ""),
            "outcome": str(OUTCOME_LABELS.get(str(v.data.get("outcome")), "")),
            "people": v.data.get("people"),
            "note": v.data.get("note") or "",
        }
        for v in versions
    ]
    return render_template(
        "fieldwork/entry.html",
        form=form,
        row=row,
        history=history,
        correctable=outreach.correctable(row),
        correction_days=outreach.CORRECTION_DAYS,
    ), status


# --- targets -------------------------------------------------------------------------------


def _team_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 0 < int(raw) <= 2**31 - 1:
        raise NotFound(_("Không tìm thấy tổ này trong phạm vi bạn quản lý."))
    return int(raw)


@bp.route("/fieldwork/teams/<team_id>/targets", methods=["GET", "POST"])
def team_targets(team_id: str):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    viewer = current_user._get_current_object()
    team = get_team(viewer, _team_id(team_id), manage=True)
    form = TargetForm(request.args) if request.method == "GET" else TargetForm()
    if not form.period.data:
        form.period.data = targets.current_quarter(outreach.today()).code
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    status = 200
    try:
        period = targets.parse_period(form.period.data)
    except ValidationFailed as error:
        attach_error(form, error)
        period = targets.current_quarter(outreach.today())
        status = 422 if request.method == "POST" else 200
    if request.method == "POST" and status == 200 and form.validate_on_submit():
        for task in load_tasks():
            raw = request.form.get(f"t-{task.code}", "")
            typed[task.code] = raw if isinstance(raw, str) else ""
            if not typed[task.code].strip():
                continue
            try:
                targets.parse_households(typed[task.code].strip(), field=task.code)
            except ValidationFailed as error:
                errors[task.code] = error.message
        if not errors:
            for task in load_tasks():
                if typed[task.code].strip():
                    targets.set_target(viewer, team, task.code, period.code, typed[task.code].strip())
            db.session.commit()
            flash(_("Đã lưu chỉ tiêu %(period)s.", period=period.label), "success")
            return redirect(url_for("fieldwork.team_targets", team_id=team.id, period=period.code))
        status = 422
    elif request.method == "POST" and status == 200:
        status = 422
    current = targets.targets_of([team.id], period.code)
    rows = [
        {
            "task": t,
            "value": typed.get(t.code, str(current[(team.id, t.code)]) if (team.id, t.code) in current else ""),
            "error": errors.get(t.code),
        }
        for t in load_tasks()
    ]
    return render_template("fieldwork/targets.html", team=team, form=form, period=period, rows=rows), status


# --- progress and the monthly report ----------------------------------------------------------

LEVELS = ("country", "province", "commune", "village", "team")


def _viewer_or_login():
    if not current_user.is_authenticated:
        return None
    viewer = current_user._get_current_object()
    if not scope_of(viewer).sees_people:
        raise NotFound(_("Trang này dành cho cán bộ và tổ trưởng."))
    return viewer


def _check_place(viewer, level: str, key: str) -> str:
    """The place's key as stored, if the viewer may see it; else 404 (like anything out of scope)."""
    scope = scope_of(viewer)
    if level == "country" and scope.is_global:
        return COUNTRY
    in_scope = scope.is_global or key in scope.province_codes
    if level == "province" and len(key) <= 2 and in_scope and db.session.get(Province, key) is not None:
        return key
    if level == "commune" and len(key) <= 5:
        return get_commune(viewer, key).code
    if level == "village":
        return str(get_village(viewer, _team_id(key)).id)
    if level == "team":
        return str(get_team(viewer, _team_id(key)).id)
    raise NotFound(_("Không tìm thấy nơi này trong phạm vi bạn quản lý."))


def _period_arg() -> targets.Period:
    raw = request.args.get("period")
    if not raw:
        return targets.current_quarter(outreach.today())
    return targets.parse_period(raw)


@bp.get("/fieldwork")
def index():
    viewer = _viewer_or_login()
    if viewer is None:
        return current_app.login_manager.unauthorized()
    scope = scope_of(viewer)
    places: list[tuple[str, str]] = []
    if scope.is_global:
        return redirect(url_for("fieldwork.progress_page", level="country", place=COUNTRY))
    for code in sorted(scope.province_codes):
        places.append((progress.place_name("province", code), url_for("fieldwork.progress_page", level="province", place=code)))
    for code in sorted(scope.commune_codes):
        places.append((progress.place_name("commune", code), url_for("fieldwork.progress_page", level="commune", place=code)))
    for team_id in sorted(scope.led_team_ids):
        places.append(
            (progress.place_name("team", str(team_id)), url_for("fieldwork.progress_page", level="team", place=team_id))
        )
    if len(places) == 1:
        return redirect(places[0][1])
    return render_template("fieldwork/index.html", places=places, manages=scope.manages_places)


@bp.get("/fieldwork/<level>/<place>")
def progress_page(level: str, place: str):
    viewer = _viewer_or_login()
    if viewer is None:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if level not in LEVELS:
        raise NotFound(_("Không tìm thấy nơi này trong phạm vi bạn quản lý."))
    key = _check_place(viewer, level, place[:12])
    period = _period_arg()
    own, rows = progress.place_progress(
        level, key, progress.place_name(level, key), period.code, period.first_month, period.last_month
    )
    quiet = progress.quiet_teams(level, key) if level != "country" else []
    child = progress.CHILD_LEVEL[level]
    manages = scope_of(viewer).manages_places
    return render_template(
        "fieldwork/progress.html",
        level=level,
        key=key,
        own=own,
        rows=rows,
        child=child,
        period=period,
        tasks=load_tasks(),
        quiet=quiet,
        quiet_days=progress.QUIET_DAYS,
        manages=manages,
        this_month=outreach.today().strftime("%Y-%m"),
    )


@bp.get("/fieldwork/commune/<code>/report")
def commune_report(code: str):
    viewer = _viewer_or_login()
    if viewer is None:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if not scope_of(viewer).manages_places:
        raise NotFound(_("Trang này dành cho cán bộ."))
    commune = get_commune(viewer, code[:5])
    month = report.parse_month(request.args.get("month") or outreach.today().strftime("%Y-%m"))
    fmt = request.args.get("format") or "pdf"
    if fmt not in ("pdf", "xlsx"):
        raise ValidationFailed(_("Chỉ tải được tệp PDF hoặc XLSX."), field="format")
    built = report.build(commune, month)
    stem = f"bao-cao-cong-tac-{commune.code}-{month.strftime('%Y-%m')}"
    if fmt == "pdf":
        body, mimetype = report.pdf(built), "application/pdf"
    else:
        body, mimetype = report.xlsx(built), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


# --- local platforms -----------------------------------------------------------------------------


def _platform_places(viewer) -> list[tuple[str, str]]:
    """("province:01" or "commune:00004", name) of the places where the viewer adds platforms."""
    scope = scope_of(viewer)
    if scope.is_global:
        provinces = db.session.scalars(select(Province).order_by(Province.code))
        return [(f"province:{p.code}", p.name) for p in provinces]
    places = [(f"province:{code}", progress.place_name("province", code)) for code in sorted(scope.province_codes)]
    places += [(f"commune:{code}", progress.place_name("commune", code)) for code in sorted(scope.commune_codes)]
    return places


@bp.route("/fieldwork/platforms", methods=["GET", "POST"])
def platforms():
    viewer = _viewer_or_login()
    if viewer is None:
        return current_app.login_manager.unauthorized()
    if not scope_of(viewer).manages_places:
        raise NotFound(_("Trang này dành cho cán bộ."))
    form = PlatformForm()
    places = _platform_places(viewer)
    form.place.choices = places
    form.task.choices = [(t.code, t.name) for t in load_tasks()]
    if request.method == "GET":
        form.task.data = "nen-tang-khac"
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            chosen = form.place.data if form.place.data in {code for code, _name in places} else None

            def add():
                if chosen is None:
                    raise ValidationFailed(_("Bạn hãy chọn tỉnh hoặc xã/phường trong danh sách."), field="place")
                level, code = chosen.split(":", 1)
                return tasks_module.add_platform(viewer, level, code, form.task.data or "", form.name.data or "")

            added = submit_form(form, add)
            if added is not None:
                flash(_("Đã thêm nền tảng “%(name)s”.", name=added.name), "success")
                return redirect(url_for("fieldwork.platforms"))
            status = failure_status(form)
        else:
            status = 422
    keys = [code for code, _name in places]
    rows = list(
        db.session.scalars(
            select(LocalPlatform)
            .where(
                or_(false(), *[(LocalPlatform.level == k.split(":")[0]) & (LocalPlatform.place == k.split(":")[1]) for k in keys])
            )
            .order_by(LocalPlatform.level.desc(), LocalPlatform.place, LocalPlatform.id)
        )
    )
    names = dict(places)
    listed = [(names.get(f"{r.level}:{r.place}", r.place), _task_name(r.task_code), r.name) for r in rows]
    return render_template("fieldwork/platforms.html", form=form, rows=listed), status


# --- campaigns -------------------------------------------------------------------------------------


def _official():
    viewer = _viewer_or_login()
    if viewer is not None and not scope_of(viewer).manages_places:
        raise NotFound(_("Trang này dành cho cán bộ."))
    return viewer


@bp.route("/fieldwork/commune/<code>/campaigns", methods=["GET", "POST"])
def commune_campaigns(code: str):
    viewer = _official()
    if viewer is None:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    commune = get_commune(viewer, code[:5])
    form = CampaignForm()
    form.task.choices = [(t.code, t.name) for t in load_tasks()]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            created = submit_form(
                form,
                lambda: campaigns.create(
                    viewer, commune, form.name.data, form.task.data, form.starts_on.data, form.ends_on.data, form.households.data
                ),
            )
            if created is not None:
                flash(_("Đã tạo chiến dịch “%(name)s”.", name=created.name), "success")
                return redirect(url_for("fieldwork.campaign", campaign_id=created.id))
            status = failure_status(form)
        else:
            status = 422
    elif not form.starts_on.data:
        start = outreach.today()
        form.starts_on.data = start.isoformat()
        form.ends_on.data = (start + timedelta(days=9)).isoformat()
    rows = [(c, _task_name(c.task_code)) for c in campaigns.of_commune(commune.code)]
    return render_template("fieldwork/campaigns.html", commune=commune, form=form, rows=rows), status


@bp.get("/fieldwork/campaigns/<campaign_id>")
def campaign(campaign_id: str):
    viewer = _official()
    if viewer is None:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    row = db.session.get(Campaign, _team_id(campaign_id))
    if row is None:
        raise NotFound(_("Không tìm thấy chiến dịch này trong phạm vi bạn quản lý."))
    try:
        commune = get_commune(viewer, row.commune_code)
    except NotFound:
        raise NotFound(_("Không tìm thấy chiến dịch này trong phạm vi bạn quản lý.")) from None
    figures = campaigns.campaign_progress(row)
    return render_template("fieldwork/campaign.html", commune=commune, p=figures, task=_task_name(row.task_code))


def init_app(app) -> None:
    from lms.accounts.scope import capability, is_team_member
    from lms.core.nav import NavEntry, add_nav_entry

    app.register_blueprint(bp)
    add_nav_entry(app, NavEntry("fieldwork.log", _l("Ghi việc đã giúp"), 26, is_team_member))
    add_nav_entry(app, NavEntry("fieldwork.index", _l("Công tác cộng đồng"), 27, capability("sees_people")))
