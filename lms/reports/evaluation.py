"""Scorecard pages: a month's scorecard of a province, commune or team with its breakdown, the
places one level below ranked by score, the place's last twelve months, and exports; and the
`flask lms scorecards-compute` command. Places outside the viewer's scope are 404, as on the
dashboards."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import click
from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.scope import capability, get_commune, get_team, requires_scope, scope_of, visible_teams
from lms.accounts.scope import viewer as current_viewer
from lms.core.cli import fail, lms_cli
from lms.core.errors import NotFound, ValidationFailed
from lms.core.extensions import db
from lms.core.models import utcnow
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
    "village": _l("Thôn/tổ dân phố"),
}


@dataclass
class Child:
    key: str
    name: str
    url: str
    card: scorecards.Rank | None


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
    province = db.session.get(Province, code) if len(code) == 2 and (code.isascii() and code.isdigit()) else None
    if province is None or not (scope.is_global or province.code in scope.province_codes):
        raise NotFound(_("Không tìm thấy tỉnh/thành phố này trong phạm vi bạn quản lý."))
    return province


def _team_id(key: str) -> int:
    if not (key.isascii() and key.isdigit()) or int(key) > 2**31 - 1:
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
        found = scorecards.ranks(month, CHILD[level] or "", [c.key for c in page.children])
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
        honoured=honoured_rank(month, int(page.key)) if month and level == "team" else None,
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
    headers, rows = _children_table(page, level, month) if page.children else _breakdown_table(own)
    return export_response(stem, headers, rows, fmt)


def _children_table(page: Page, level: str, month: date):
    full = scorecards.cards(month, CHILD[level] or "", [c.key for c in page.children])
    criteria = []
    for found in full.values():
        criteria = [(c["key"], c["name"]) for c in found.breakdown["criteria"]]
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
            card = full.get(child.key)
            if card is None:
                yield (None, child.name, None, "", *[None for _c in criteria], "")
                continue
            by_key = {c["key"]: c["score"] for c in card.breakdown["criteria"]}
            yield (
                rank,
                child.name,
                card.score,
                card.level_name,
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


# --- honour roll --------------------------------------------------------------------------------

HONOUR_SIZE = 10  # places honoured per list
honour_bp = Blueprint("honour", __name__, url_prefix="/honour", template_folder="templates")


def honour_public() -> bool:
    """The public honour roll is on unless LMS_HONOUR_ROLL_PUBLIC is false/off/0."""
    value = current_app.config.get("HONOUR_ROLL_PUBLIC", True)
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off")
    return bool(value)


@dataclass
class Honoured:
    rank: int
    name: str
    place: str  # commune, province
    score: float
    level_name: str
    key: str


def _honoured(month: date, level: str, province: str | None) -> list[Honoured]:
    """The best places of a level (team or commune) in a province or the country: score above 0,
    highest first, ties by place key; names of places only."""
    stmt = select(Scorecard.place, Scorecard.commune_code, Scorecard.score, Scorecard.level_name).where(
        Scorecard.month == month, Scorecard.level == level, Scorecard.score > 0
    )
    if province is not None:
        stmt = stmt.where(Scorecard.province_code == province)
    cards_ = list(db.session.execute(stmt.order_by(Scorecard.score.desc(), Scorecard.place).limit(HONOUR_SIZE)))
    if not cards_:
        return []
    communes = {
        c.code: c
        for c in db.session.scalars(select(Commune).where(Commune.code.in_({c.commune_code for c in cards_ if c.commune_code})))
    }
    names: dict[str, str] = {}
    if level == "team":
        teams = db.session.scalars(select(Team).where(Team.id.in_([int(c.place) for c in cards_]))).unique()
        names = {str(t.id): f"{t.name} ({t.village.kind} {t.village.name})" for t in teams}
    result = []
    for rank, card_ in enumerate(cards_, start=1):
        commune = communes.get(card_.commune_code or "")
        if commune is None:
            continue
        if level == "team":
            name, place = names.get(card_.place, ""), f"{commune.name}, {commune.province.name}"
        else:
            name, place = commune.name, commune.province.name
        result.append(Honoured(rank, name, place, card_.score, card_.level_name, card_.place))
    return result


def _honour_month() -> tuple[list[date], date | None]:
    months = scorecards.months_computed()
    return months, _month(months)


def _public_gate() -> None:
    if not honour_public():
        raise NotFound(_("Bảng vinh danh công khai đang tắt."))


@honour_bp.get("")
def honour_country():
    _public_gate()
    months, month = _honour_month()
    provinces = []
    if month is not None:
        names = {p.code: p.name for p in db.session.scalars(select(Province))}
        found = scorecards.ranks(month, "province", list(names))
        provinces = sorted(
            ((names[code], rank.score, rank.level_name, code) for code, rank in found.items()),
            key=lambda row: (-row[1], row[0]),
        )
    response = current_app.make_response(
        render_template(
            "reports/honour.html",
            title=_("Cả nước"),
            months=months,
            month=month,
            teams=_honoured(month, "team", None) if month else [],
            communes=_honoured(month, "commune", None) if month else [],
            provinces=provinces,
            province=None,
            fmt_score=fmt_score,
            month_label=month_label,
        )
    )
    response.cache_control.public = True
    response.cache_control.max_age = 600
    return response


@honour_bp.get("/<code>")
def honour_province(code: str):
    _public_gate()
    province = db.session.get(Province, code) if len(code) == 2 and (code.isascii() and code.isdigit()) else None
    if province is None:
        raise NotFound(_("Không có tỉnh/thành phố này."))
    months, month = _honour_month()
    response = current_app.make_response(
        render_template(
            "reports/honour.html",
            title=province.name,
            months=months,
            month=month,
            teams=_honoured(month, "team", province.code) if month else [],
            communes=_honoured(month, "commune", province.code) if month else [],
            provinces=[],
            province=province,
            fmt_score=fmt_score,
            month_label=month_label,
        )
    )
    response.cache_control.public = True
    response.cache_control.max_age = 600
    return response


def honoured_rank(month: date, team_id: int) -> Honoured | None:
    """The team's place on its province's honour roll of the month, if it is on it."""
    own = scorecards.card(month, "team", str(team_id))
    if own is None:
        return None
    for honoured in _honoured(month, "team", own.province_code):
        if honoured.key == str(team_id):
            return honoured
    return None


@bp.get("/teams/<key>/merit.pdf")
@requires_scope("sees_people")
def merit(key: str):
    """A certificate of merit for a team on its province's honour roll of the month, drawn by the
    certificate renderer (same fonts, stylesheet and locked-down fetcher) from certificates/merit.html."""
    from lms.certificates import render, settings

    team = get_team(current_viewer(), _team_id(key[:16]))
    months = scorecards.months_computed()
    month = _month(months)
    honoured = honoured_rank(month, team.id) if month else None
    if month is None or honoured is None:
        raise NotFound(_("Tổ này không có trong bảng vinh danh của tỉnh tháng này."))
    commune = team.village.commune
    renderer = render.get_renderer(settings.template_dir())
    url = f"{settings.public_base_url()}{url_for('honour.honour_province', code=commune.province_code)}"
    name = render.printable(f"{team.name} ({team.village.kind} {team.village.name})")
    context = {
        "name": name,
        "name_size": render.name_size(name),
        "reason": render.printable(
            f"Xếp thứ {honoured.rank} trong các tổ công nghệ số cộng đồng của {commune.province.name}, "
            f"đạt {fmt_score(honoured.score)} điểm, xếp loại {honoured.level_name}"
        ),
        "place": render.printable(f"{commune.name}, {commune.province.name}"),
        "month": month_label(month),
        "issuer": render.printable(settings.issuer_name()),
        "issued_on_long": render.vietnamese_date(render.local_date(utcnow())),
        "score": fmt_score(honoured.score),
        "verify_hint": url.split("://", 1)[-1],
        "qr_src": render.QR_URL,
    }
    _css, html_class, _fonts, _x, _y = render._weasyprint()
    markup = renderer.env.get_template("merit.html").render(**context)
    with renderer.lock:
        document = html_class(
            string=markup, base_url=renderer._base(), url_fetcher=renderer._fetcher({render.QR_URL: render.qr_png(url)})
        )
        pdf = document.write_pdf(stylesheets=[renderer.stylesheet], font_config=renderer.font_config)
    response = current_app.response_class(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="giay-khen-to-{team.id}-{month:%Y-%m}.pdf"'
    return response


# --- public statistics ---------------------------------------------------------------------------

stats_bp = Blueprint("stats", __name__, url_prefix="/stats", template_folder="templates")
SMALL = 5  # counts from 1 to 4 are shown as "< 5", so nobody can be singled out
STATS_WEEKS = 12
_stats_cache: dict[tuple, tuple[float, Any]] = {}
_stats_lock = threading.Lock()


def stats_public() -> bool:
    """The public statistics are on unless LMS_PUBLIC_STATS is false/off/0."""
    value = current_app.config.get("PUBLIC_STATS", True)
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off")
    return bool(value)


def clear_stats_cache() -> None:
    with _stats_lock:
        _stats_cache.clear()


def shown(value: int) -> str:
    """A count for the public: 1 to 4 suppressed."""
    if 0 < value < SMALL:
        return "< 5"
    return f"{value:,}".replace(",", ".")


@dataclass(frozen=True)
class StatsRow:
    key: str
    name: str
    completed: int
    certified: int
    households: int


@dataclass(frozen=True)
class Stats:
    courses: list[tuple[str, int, int]]  # course title, completed, certified
    households: int  # households reached by the citizens' course
    households_total: int
    rows: list[StatsRow]  # the places one level down
    weeks: list[tuple[date, int, int]]  # week, completions, certificates (citizens' course)


def _stats(level: str, key: str, children: list[tuple[str, str]], child_level: str) -> Stats:
    """The figures of a place from the rollup counters (no records of people are read)."""
    from lms.catalog.services import list_courses
    from lms.reports.figures import figures, household_totals, trend

    def compute() -> Stats:
        courses = list_courses()
        found = figures(level, [key], [c.id for c in courses])
        citizens = next((c for c in courses if c.slug == scorecards.CITIZENS_COURSE), courses[0] if courses else None)
        per_course = [(c.title, found[(key, c.id)].completed, found[(key, c.id)].certified) for c in courses]
        rows: list[StatsRow] = []
        weeks: list[tuple[date, int, int]] = []
        households = 0
        if citizens is not None:
            households = found[(key, citizens.id)].households
            below = figures(child_level, [k for k, _n in children], [citizens.id])
            rows = [
                StatsRow(
                    k, n, below[(k, citizens.id)].completed, below[(k, citizens.id)].certified, below[(k, citizens.id)].households
                )
                for k, n in children
            ]
            weeks = [(w.start, w.completed, w.certified) for w in trend(level, key, citizens.id, weeks=STATS_WEEKS)]
        total = household_totals(level, [key]).get(key, 0)
        return Stats(per_course, households, total, rows, weeks)

    cache_key = (level, key)
    seconds = float(current_app.config.get("PUBLIC_STATS_CACHE_SECONDS", 600))
    now = time.monotonic()
    with _stats_lock:
        hit = _stats_cache.get(cache_key)
    if hit is not None and now - hit[0] < seconds:
        return hit[1]
    value = compute()
    with _stats_lock:
        _stats_cache[cache_key] = (now, value)
    return value


def _stats_page(title: str, level: str, key: str, children, child_level: str, child_url, crumbs):
    if not stats_public():
        raise NotFound(_("Trang thống kê công khai đang tắt."))
    data = _stats(level, key, children, child_level)
    response = current_app.make_response(
        render_template(
            "reports/stats.html",
            title=title,
            level=level,
            data=data,
            child_label=LEVEL_LABELS.get(child_level, ""),
            child_url=child_url,
            crumbs=crumbs,
            shown=shown,
        )
    )
    response.cache_control.public = True
    response.cache_control.max_age = 600
    return response


@stats_bp.get("")
def stats_country():
    provinces = sorted(db.session.scalars(select(Province)), key=lambda p: p.name)
    return _stats_page(
        str(_("Cả nước")),
        "country",
        COUNTRY,
        [(p.code, p.name) for p in provinces],
        "province",
        lambda code: url_for("stats.stats_province", code=code),
        [],
    )


@stats_bp.get("/provinces/<code>")
def stats_province(code: str):
    province = db.session.get(Province, code) if len(code) == 2 and (code.isascii() and code.isdigit()) else None
    if province is None:
        raise NotFound(_("Không có tỉnh/thành phố này."))
    communes = db.session.scalars(select(Commune).where(Commune.province_code == province.code).order_by(Commune.name))
    return _stats_page(
        province.name,
        "province",
        province.code,
        [(c.code, c.name) for c in communes],
        "commune",
        lambda code: url_for("stats.stats_commune", code=code),
        [(str(_("Cả nước")), url_for("stats.stats_country"))],
    )


@stats_bp.get("/communes/<code>")
def stats_commune(code: str):
    commune = db.session.get(Commune, code) if len(code) == 5 and (code.isascii() and code.isdigit()) else None
    if commune is None:
        raise NotFound(_("Không có xã/phường này."))
    crumbs = [
        (str(_("Cả nước")), url_for("stats.stats_country")),
        (commune.province.name, url_for("stats.stats_province", code=commune.province_code)),
    ]
    return _stats_page(commune.full_name, "commune", commune.code, [], "village", None, crumbs)


# --- command -------------------------------------------------------------------------------------


@lms_cli.command("scorecards-compute")
@click.option("--month", "month_text", help="Tháng cần tính, dạng NNNN-TT (mặc định: tháng vừa qua).")
@click.option("--replace", is_flag=True, help="Tính lại một tháng đã tính (chỉ khi sửa dữ liệu sai).")
@with_appcontext
def scorecards_compute_command(month_text: str | None, replace: bool) -> None:
    """Compute the monthly scorecards of every team, commune and province with the criteria in
    criteria/evaluation.yaml. A month already computed is kept unless --replace."""

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
    app.register_blueprint(honour_bp)
    app.register_blueprint(stats_bp)
    add_nav_entry(
        app, NavEntry("stats.stats_country", _l("Thống kê công khai"), 91, lambda _user: stats_public(), place="footer")
    )
    add_nav_entry(app, NavEntry("honour.honour_country", _l("Bảng vinh danh"), 90, lambda _user: honour_public(), place="footer"))
    add_nav_entry(app, NavEntry("evaluation.index", _l("Đánh giá"), 26, capability("sees_people")))
