"""Scorecard pages: a month's scorecard of a province, commune or team with its breakdown, the
places one level below ranked by score, the place's last twelve months, and exports; and the
`flask lms scorecards-compute` command. Places outside the viewer's scope are 404, as on the
dashboards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import click
from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.scope import capability, get_commune, get_team, requires_scope, scope_of, visible_teams
from lms.accounts.scope import viewer as current_viewer
from lms.core.cli import fail, lms_cli
from lms.core.errors import NotFound, ValidationFailed
from lms.core.extensions import db
from lms.core.nav import NavEntry, add_nav_entry
from lms.places.models import Commune, Province, Team
from lms.reports import scorecards
from lms.reports.models import COUNTRY
from lms.reports.scorecards import Scorecard

bp = Blueprint("evaluation", __name__, url_prefix="/reports/scorecards", template_folder="templates")

LEVELS = {"vn": "country", "provinces": "province", "communes": "commune", "teams": "team"}
CHILD = {"country": "province", "province": "commune", "commune": "team", "team": None}
LEVEL_LABELS = {
    "country": _l("Cả nước"),
    "province": _l("Tỉnh/thành phố"),
    "commune": _l("Xã/phường/đặc khu"),
    "team": _l("Tổ công nghệ số cộng đồng"),
}


@dataclass
class Child:
    key: str
    name: str
    url: str
    card: Scorecard | None


@dataclass
class Page:
    level: str
    key: str
    title: str
    segment: str
    crumbs: list[tuple[str, str]] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}" if unit == "%" else f"{value:.2f}"
    return text.replace(".", ",") + ("%" if unit == "%" else "")


def fmt_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def month_label(month: date) -> str:
    return f"{month.month:02d}/{month.year}"


# --- choosing the place -------------------------------------------------------------------------


def _province(code: str) -> Province:
    scope = scope_of(current_viewer())
    province = db.session.get(Province, code) if len(code) == 2 and code.isdigit() else None
    if province is None or not (scope.is_global or province.code in scope.province_codes):
        raise NotFound(_("Không tìm thấy tỉnh/thành phố này trong phạm vi bạn quản lý."))
    return province


def _team_id(key: str) -> int:
    if not key.isdigit() or int(key) > 2**31 - 1:
        raise NotFound(_("Không tìm thấy nơi này."))
    return int(key)


def _child_url(segment: str, key: str, month: date) -> str:
    return url_for("evaluation.show", segment=segment, key=key, month=month.strftime("%Y-%m"))


def _page(level: str, key: str, month: date) -> Page:
    scope = scope_of(current_viewer())
    crumbs: list[tuple[str, str]] = []
    if scope.is_global and level != "country":
        crumbs.append((str(LEVEL_LABELS["country"]), _child_url("vn", COUNTRY, month)))
    if level == "country":
        if not scope.is_global or key != COUNTRY:
            raise NotFound(_("Trang này dành cho quản trị viên."))
        page = Page(level, COUNTRY, str(LEVEL_LABELS["country"]), "vn")
        provinces = db.session.scalars(select(Province)).all()
        page.children = [Child(p.code, p.name, _child_url("provinces", p.code, month), None) for p in provinces]
        return page
    if level == "province":
        province = _province(key)
        page = Page(level, province.code, province.name, "provinces", crumbs)
        communes = db.session.scalars(select(Commune).where(Commune.province_code == province.code)).all()
        page.children = [Child(c.code, c.name, _child_url("communes", c.code, month), None) for c in communes]
        return page
    if level == "commune":
        commune = get_commune(current_viewer(), key[:5])
        if scope.is_global or commune.province_code in scope.province_codes:
            crumbs.append((commune.province.name, _child_url("provinces", commune.province_code, month)))
        page = Page(level, commune.code, commune.full_name, "communes", crumbs)
        teams = db.session.scalars(select(Team).where(Team.commune_code == commune.code)).unique().all()
        page.children = [
            Child(str(t.id), f"{t.name} ({t.village.name})", _child_url("teams", str(t.id), month), None) for t in teams
        ]
        return page
    team = get_team(current_viewer(), _team_id(key))
    if scope.manages_places:
        commune = team.village.commune
        if scope.is_global or commune.province_code in scope.province_codes:
            crumbs.append((commune.province.name, _child_url("provinces", commune.province_code, month)))
        crumbs.append((commune.name, _child_url("communes", commune.code, month)))
    return Page(level, str(team.id), f"{team.name} ({team.village.name})", "teams", crumbs)


def _month(months: list[date]) -> date | None:
    text = request.args.get("month")
    if text:
        return scorecards.parse_month(text[:16])
    return months[0] if months else None


def _ranked(children: list[Child]) -> list[Child]:
    """Highest score first; places without a scorecard last, by name."""
    return sorted(children, key=lambda c: (c.card is None, -(c.card.score if c.card else 0), c.name))


def _load(segment: str, key: str):
    level = LEVELS.get(segment)
    if level is None:
        raise NotFound(_("Không tìm thấy trang này."))
    months = scorecards.months_computed()
    month = _month(months)
    page = _page(level, key[:16], month or date(2000, 1, 1))
    own = scorecards.card(month, level, page.key) if month else None
    if month and page.children:
        found = scorecards.cards(month, CHILD[level] or "", [c.key for c in page.children])
        for child in page.children:
            child.card = found.get(child.key)
        page.children = _ranked(page.children)
    return level, months, month, page, own


# --- routes --------------------------------------------------------------------------------------


@bp.get("")
@requires_scope("sees_people")
def index():
    """Send each viewer to the top of what they may see, like the dashboards."""
    scope = scope_of(current_viewer())
    if scope.is_global:
        return redirect(url_for("evaluation.show", segment="vn", key=COUNTRY))
    places: list[tuple[str, str]] = []
    for code in sorted(scope.province_codes):
        province = db.session.get(Province, code)
        if province is not None:
            places.append((province.name, url_for("evaluation.show", segment="provinces", key=code)))
    for code in sorted(scope.commune_codes):
        commune = db.session.get(Commune, code)
        if commune is not None:
            places.append((commune.full_name, url_for("evaluation.show", segment="communes", key=code)))
    for team in db.session.scalars(visible_teams(current_viewer()).where(Team.id.in_(scope.led_team_ids))).unique():
        places.append((team.name, url_for("evaluation.show", segment="teams", key=str(team.id))))
    if len(places) == 1:
        return redirect(places[0][1])
    return render_template("reports/score_index.html", places=places)


@bp.get("/<segment>/<key>")
@requires_scope("sees_people")
def show(segment: str, key: str):
    level, months, month, page, own = _load(segment, key)
    child = CHILD[level]
    return render_template(
        "reports/score_page.html",
        page=page,
        level=level,
        months=months,
        month=month,
        own=own,
        history=scorecards.history(level, page.key),
        child_label=LEVEL_LABELS[child] if child else "",
        level_labels=LEVEL_LABELS,
        fmt_value=fmt_value,
        fmt_score=fmt_score,
        month_label=month_label,
    )


@bp.get("/<segment>/<key>/export")
@requires_scope("sees_people")
def export(segment: str, key: str):
    from lms.reports.exports import check_format, export_response

    fmt = check_format(request.args.get("format") or "csv")
    level, _months, month, page, own = _load(segment, key)
    if month is None:
        raise NotFound(_("Chưa có phiếu điểm tháng nào."))
    stem = f"phieu-diem-{page.level}-{page.key}-{month.strftime('%Y-%m')}"
    headers, rows = _children_table(page, level) if page.children else _breakdown_table(own)
    return export_response(stem, headers, rows, fmt)


def _children_table(page: Page, level: str):
    criteria = []
    for child in page.children:
        if child.card is not None:
            criteria = [(c["key"], c["name"]) for c in child.card.breakdown["criteria"]]
            break
    headers = [
        str(_("Hạng")),
        str(LEVEL_LABELS[CHILD[level] or "team"]),
        str(_("Điểm")),
        str(_("Xếp loại")),
        *[str(_("%(criterion)s (điểm)", criterion=name)) for _key, name in criteria],
        str(_("Phiên bản tiêu chí")),
    ]

    def rows():
        for rank, child in enumerate(page.children, start=1):
            card = child.card
            if card is None:
                yield (None, child.name, None, "", *[None for _c in criteria], "")
                continue
            by_key = {c["key"]: c["score"] for c in card.breakdown["criteria"]}
            yield (
                rank,
                child.name,
                card.score,
                card.breakdown["level_name"],
                *[by_key.get(key) for key, _name in criteria],
                card.criteria_version,
            )

    return headers, rows()


def _breakdown_table(own: Scorecard | None):
    if own is None:
        raise NotFound(_("Nơi này chưa có phiếu điểm tháng này."))
    headers = [str(_("Tiêu chí")), str(_("Giá trị")), str(_("Mục tiêu")), str(_("Trọng số")), str(_("Điểm")), str(_("Xếp loại"))]
    rows = [(c["name"], c["value"], c["target"], c["weight"], c["score"], c["level_name"]) for c in own.breakdown["criteria"]]
    rows.append((str(_("Điểm chung")), None, None, None, own.score, own.breakdown["level_name"]))
    return headers, iter(rows)


# --- command -------------------------------------------------------------------------------------


@lms_cli.command("scorecards-compute")
@click.option("--month", "month_text", help="Tháng cần tính, dạng NNNN-TT (mặc định: tháng vừa qua).")
@click.option("--replace", is_flag=True, help="Tính lại một tháng đã tính (chỉ khi sửa dữ liệu sai).")
@with_appcontext
def scorecards_compute_command(month_text: str | None, replace: bool) -> None:
    """Compute the monthly scorecards of every team, commune and province with the criteria in
    criteria/evaluation.yaml. A month already computed is kept unless --replace."""
    import time

    started = time.perf_counter()
    try:
        month = scorecards.parse_month(month_text) if month_text else scorecards.last_finished_month()
        outcome = scorecards.compute_month(month, replace=replace)
    except ValidationFailed as exc:
        fail(str(exc))
    except scorecards.CriteriaError as exc:
        fail(str(exc))
    db.session.commit()
    label = month.strftime("%Y-%m")
    if outcome.written is None:
        click.echo(f"Tháng {label} đã có {outcome.kept} phiếu điểm; giữ nguyên (dùng --replace để tính lại).")
        return
    w = outcome.written
    click.echo(
        f"Đã tính phiếu điểm tháng {label} theo tiêu chí phiên bản {outcome.criteria_version}: "
        f"{w['team']} tổ, {w['commune']} xã/phường, {w['province']} tỉnh/thành phố "
        f"trong {time.perf_counter() - started:.1f} giây."
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_entry(app, NavEntry("evaluation.index", _l("Đánh giá"), 26, capability("sees_people")))
