"""Completion dashboards: country → province → commune → village and team → people.

Every page reads the rollup counters of the places it lists (lms.reports.figures), so its cost
follows the number of places shown, not the learners behind them. Each level is limited to the
viewer's scope; anything outside it is 404, like every other page of officials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.scope import capability, get_commune, get_team, get_village, requires_scope, scope_of, visible_teams
from lms.accounts.scope import viewer as current_viewer
from lms.catalog.models import Course
from lms.catalog.services import list_courses
from lms.core.errors import NotFound, ValidationFailed
from lms.core.extensions import db
from lms.core.nav import NavEntry, add_nav_entry
from lms.core.text import vi_sort_key
from lms.places.models import Commune, Province, Team, Village
from lms.reports import chart
from lms.reports.figures import MEASURES, Figures, figures, trend
from lms.reports.models import COUNTRY, NO_COURSE

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates", static_folder="static")

CITIZENS_COURSE = "nguoi-dan"
MEMBERS_COURSE = "thanh-vien"
STATUSES = ("enrolled", "not_started", "in_progress", "completed", "certified")

MEASURE_LABELS = {
    "enrolled": _l("Đã ghi danh"),
    "not_started": _l("Chưa bắt đầu"),
    "in_progress": _l("Đang học"),
    "completed": _l("Đã hoàn thành"),
    "certified": _l("Có chứng nhận"),
    "rate": _l("Tỉ lệ hoàn thành"),
    "median_days": _l("Số ngày (trung vị)"),
    "households": _l("Hộ có người hoàn thành"),
}
LEVEL_LABELS = {
    "country": _l("Cả nước"),
    "province": _l("Tỉnh/thành phố"),
    "commune": _l("Xã/phường/đặc khu"),
    "village": _l("Thôn/tổ dân phố"),
    "team": _l("Tổ công nghệ số cộng đồng"),
}


@dataclass
class Row:
    """One place in a level's table."""

    key: str
    name: str
    url: str | None
    figures: Figures
    households: int = 0  # households the place has (all, not only reached)
    extra: str = ""


@dataclass
class Page:
    level: str
    key: str
    title: str
    crumbs: list[tuple[str, str]]
    child_level: str | None
    rows: list[Row] = field(default_factory=list)
    team_rows: list[Row] = field(default_factory=list)
    people_filter: dict[str, Any] = field(default_factory=dict)


# --- choosing what to show --------------------------------------------------------------------


def _courses() -> list[Course]:
    return list_courses()


def _chosen_course(courses: list[Course]) -> Course:
    slug = (request.args.get("course") or "")[:64]
    for course in courses:
        if course.slug == slug:
            return course
    if slug:
        raise NotFound(_("Không có khóa học này."))
    return next((c for c in courses if c.slug == CITIZENS_COURSE), courses[0])


def _sort_args() -> tuple[str, bool]:
    sort = request.args.get("sort") or "name"
    if sort != "name" and sort not in MEASURES:
        sort = "name"
    return sort, request.args.get("dir") == "desc"


def _status_arg() -> str:
    status = request.args.get("status") or ""
    return status if status in STATUSES else ""


def _name_key(name: str):
    return vi_sort_key(name)


def _order(rows: list[Row], sort: str, descending: bool, status: str) -> list[Row]:
    if status:
        rows = [row for row in rows if row.figures.measure(status)]
    if sort == "name":
        return sorted(rows, key=lambda row: _name_key(row.name), reverse=descending)
    present = [row for row in rows if row.figures.measure(sort) is not None]
    missing = [row for row in rows if row.figures.measure(sort) is None]
    present.sort(key=lambda row: (row.figures.measure(sort), _name_key(row.name)), reverse=descending)
    return present + missing


# --- the levels --------------------------------------------------------------------------------


def _rows(level: str, places: Sequence[tuple[str, str, str | None]], course: Course, also: Course | None = None) -> list[Row]:
    """The places' figures for the course, their households (the NO_COURSE row) and, with `also`,
    the certified of a second course in row.extra: one read of the counters for all of it."""
    keys = [key for key, _name, _url in places]
    found = figures(level, keys, [course.id, NO_COURSE, *([also.id] if also else [])])
    rows = [Row(key, name, url, found[(key, course.id)], found[(key, NO_COURSE)].households) for key, name, url in places]
    if also is not None:
        for row in rows:
            row.extra = str(found[(row.key, also.id)].certified)
    return rows


def _country_page(course: Course) -> Page:
    provinces = db.session.scalars(select(Province)).all()
    page = Page("country", COUNTRY, str(LEVEL_LABELS["country"]), [], "province")
    page.rows = _rows(
        "province", [(p.code, p.name, url_for("reports.province", code=p.code, course=course.slug)) for p in provinces], course
    )
    return page


def _province_page(code: str, course: Course) -> Page:
    scope = scope_of(current_viewer())
    province = db.session.get(Province, code[:2]) if len(code) <= 2 else None
    if province is None or not (scope.is_global or province.code in scope.province_codes):
        raise NotFound(_("Không tìm thấy tỉnh/thành phố này trong phạm vi bạn quản lý."))
    crumbs = [(str(LEVEL_LABELS["country"]), url_for("reports.country", course=course.slug))] if scope.is_global else []
    page = Page("province", province.code, province.name, crumbs, "commune")
    communes = db.session.scalars(select(Commune).where(Commune.province_code == province.code)).all()
    page.rows = _rows(
        "commune", [(c.code, c.name, url_for("reports.commune", code=c.code, course=course.slug)) for c in communes], course
    )
    page.people_filter = {}
    return page


def _commune_crumbs(commune: Commune, course: Course) -> list[tuple[str, str]]:
    scope = scope_of(current_viewer())
    crumbs = []
    if scope.is_global:
        crumbs.append((str(LEVEL_LABELS["country"]), url_for("reports.country", course=course.slug)))
    if scope.is_global or commune.province_code in scope.province_codes:
        crumbs.append((commune.province.name, url_for("reports.province", code=commune.province_code, course=course.slug)))
    return crumbs


def _team_rows(teams: list[Team], course: Course, members_course: Course | None) -> list[Row]:
    """Teams with their figures for the chosen course, and members certified in the members' course."""
    places = [(str(t.id), t.name, url_for("reports.team", team_id=t.id, course=course.slug)) for t in teams]
    rows = _rows("team", places, course, also=members_course)
    by_id = {str(t.id): t for t in teams}
    for row in rows:
        row.name = f"{row.name} ({by_id[row.key].village.name})"
    return rows


def _commune_page(code: str, course: Course, members_course: Course | None) -> Page:
    commune = get_commune(current_viewer(), code[:5])
    page = Page("commune", commune.code, commune.name, _commune_crumbs(commune, course), "village")
    villages = db.session.scalars(select(Village).where(Village.commune_code == commune.code)).unique().all()
    page.rows = _rows(
        "village",
        [(str(v.id), f"{v.kind} {v.name}", url_for("reports.village", village_id=v.id, course=course.slug)) for v in villages],
        course,
    )
    teams = db.session.scalars(select(Team).where(Team.commune_code == commune.code)).unique().all()
    page.team_rows = _team_rows(list(teams), course, members_course)
    page.people_filter = {"commune": commune.code}
    return page


def _village_page(village_id: int, course: Course, members_course: Course | None) -> Page:
    village = get_village(current_viewer(), village_id)
    crumbs = _commune_crumbs(village.commune, course)
    crumbs.append((village.commune.name, url_for("reports.commune", code=village.commune_code, course=course.slug)))
    page = Page("village", str(village.id), f"{village.kind} {village.name}", crumbs, "team")
    page.team_rows = _team_rows(list(village.teams), course, members_course)
    page.people_filter = {"village": str(village.id)}
    return page


def _team_page(team_id: int, course: Course) -> Page:
    viewer = current_viewer()
    team = get_team(viewer, team_id)
    scope = scope_of(viewer)
    crumbs = []
    if scope.manages_places:
        crumbs = _commune_crumbs(team.village.commune, course)
        crumbs.append((team.village.commune.name, url_for("reports.commune", code=team.commune_code, course=course.slug)))
        crumbs.append((team.village.name, url_for("reports.village", village_id=team.village_id, course=course.slug)))
    page = Page("team", str(team.id), team.name, crumbs, None)
    page.people_filter = {"team": str(team.id)}
    return page


def number(value: int) -> str:
    """12345 -> "12.345", as Vietnamese writes it."""
    return f"{value:,}".replace(",", ".")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


class Cells:
    """Formats a row's figures once per request: labels are translated once, numbers formatted in
    Python, so a table of hundreds of communes renders without a macro call per cell."""

    def __init__(self, members_course: Course | None):
        self.labels = {name: str(label) for name, label in MEASURE_LABELS.items()}
        self.day = str(_("ngày"))
        self.members_label = str(_("Thành viên có chứng nhận"))
        self.members_course = members_course

    def days(self, value: float | None) -> str:
        return "—" if value is None else f"{value:g} {self.day}"

    def __call__(self, row: Row, level: str) -> list[tuple[str, str]]:
        f, label = row.figures, self.labels
        households = "—" if level == "team" else number(f.households) + (f" / {number(row.households)}" if row.households else "")
        cells = [
            (label["enrolled"], number(f.enrolled)),
            (label["not_started"], number(f.not_started)),
            (label["in_progress"], number(f.in_progress)),
            (label["completed"], number(f.completed)),
            (label["certified"], number(f.certified)),
            (label["rate"], percent(f.rate)),
            (label["median_days"], self.days(f.median_days)),
            (label["households"], households),
        ]
        if level == "team" and self.members_course is not None:
            cells.append((self.members_label, row.extra))
        return cells


def _summary(page: Page, courses: list[Course]) -> tuple[list[tuple[Course, Figures]], int | None]:
    """Each course's figures for the page's own place, and the households the place has."""
    found = figures(page.level, [page.key], [*(c.id for c in courses), NO_COURSE])
    households = found[(page.key, NO_COURSE)].households if page.level != "team" else None
    return [(course, found[(page.key, course.id)]) for course in courses], households


def _render(page: Page, courses: list[Course], course: Course, members_course: Course | None):
    sort, descending = _sort_args()
    status = _status_arg()
    page.rows = _order(page.rows, sort, descending, status)
    page.team_rows = _order(page.team_rows, sort, descending, status)
    weeks = trend(page.level, page.key, course.id)
    series = [
        chart.Series("enrolled", str(_("Ghi danh")), "#0b5cad"),
        chart.Series("completed", str(_("Hoàn thành")), "#1d6b35", "6 3"),
        chart.Series("certified", str(_("Chứng nhận")), "#9a4d00", "2 3"),
    ]
    svg = chart.trend_svg(weeks, series, _("Theo tuần, 26 tuần gần nhất: %(course)s", course=course.title))
    summary, households = _summary(page, courses)
    return render_template(
        "reports/dashboard.html",
        page=page,
        courses=courses,
        course=course,
        members_course=members_course,
        summary=summary,
        households=households,
        weeks=weeks,
        svg=svg,
        sort=sort,
        descending=descending,
        status=status,
        statuses=STATUSES,
        measures=MEASURES,
        labels=MEASURE_LABELS,
        level_labels=LEVEL_LABELS,
        people_url=_people_url(page.people_filter, course),
        cells=Cells(members_course),
        number=number,
        percent=percent,
    )


def _people_url(filters: dict[str, Any], course: Course) -> str | None:
    if not filters:
        return None
    return url_for("people.index", course=course.slug, **filters)


def _page_for(level: str, key: str, course: Course, members_course: Course | None) -> Page:
    if level == "country":
        if not scope_of(current_viewer()).is_global:
            raise NotFound(_("Trang này dành cho quản trị viên."))
        return _country_page(course)
    if level == "province":
        return _province_page(key, course)
    if level == "commune":
        return _commune_page(key, course, members_course)
    if level == "village":
        return _village_page(_int_key(key), course, members_course)
    return _team_page(_int_key(key), course)


def _int_key(key: str) -> int:
    """A village or team id from the address: ASCII digits within the integer range, else 404
    ("²" and other Unicode digits pass str.isdigit but are no id)."""
    if not (0 < len(key) <= 10 and key.isascii() and key.isdigit()) or int(key) > 2**31 - 1:
        raise NotFound(_("Không tìm thấy nơi này."))
    return int(key)


def _show(level: str, key: str):
    courses = _courses()
    if not courses:
        raise NotFound(_("Chưa có khóa học nào."))
    course = _chosen_course(courses)
    members_course = next((c for c in courses if c.slug == MEMBERS_COURSE), None)
    page = _page_for(level, key, course, members_course)
    if request.endpoint and request.endpoint.endswith("_export"):
        from lms.reports.exports import export_response

        fmt = request.args.get("format") or "csv"
        if fmt not in ("csv", "xlsx"):
            raise ValidationFailed(_("Chỉ tải được tệp CSV hoặc XLSX."), field="format")
        stem, headers, rows = _export_table(page, course, members_course)
        return export_response(stem, headers, rows, fmt)
    return _render(page, courses, course, members_course)


def _export_table(page: Page, course: Course, members_course: Course | None) -> tuple[str, list[str], Iterator[tuple]]:
    sort, descending = _sort_args()
    status = _status_arg()
    headers = [
        str(LEVEL_LABELS.get(page.child_level or "team", "")),
        *[str(MEASURE_LABELS[m]) for m in MEASURES],
        str(_("Hộ gia đình")),
    ]
    rows = []
    for row in _order(page.rows, sort, descending, status):
        rows.append(_export_row(row))
    team_rows = _order(page.team_rows, sort, descending, status)
    if team_rows:
        headers.append(str(_("Thành viên có chứng nhận (khóa thành viên)")))
        rows = [(*r, "") for r in rows] + [(*_export_row(row), row.extra) for row in team_rows]
    stem = f"bao-cao-{page.level}-{page.key}-{course.slug}"
    return stem, headers, iter(rows)


def _export_row(row: Row) -> tuple:
    f = row.figures
    rate = f"{f.rate:.1f}" if f.rate is not None else ""
    median = f"{f.median_days:g}" if f.median_days is not None else ""
    return (
        row.name,
        f.enrolled,
        f.not_started,
        f.in_progress,
        f.completed,
        f.certified,
        rate,
        median,
        f.households,
        row.households,
    )


# --- routes ------------------------------------------------------------------------------------


@bp.get("")
@requires_scope("sees_people")
def index():
    """Send each viewer to the top of what they may see."""
    scope = scope_of(current_viewer())
    if scope.is_global:
        return redirect(url_for("reports.country"))
    places: list[tuple[str, str]] = []
    for code in sorted(scope.province_codes):
        province = db.session.get(Province, code)
        if province is not None:
            places.append((province.name, url_for("reports.province", code=code)))
    for code in sorted(scope.commune_codes):
        commune = db.session.get(Commune, code)
        if commune is not None:
            places.append((commune.full_name, url_for("reports.commune", code=code)))
    for team in db.session.scalars(visible_teams(current_viewer()).where(Team.id.in_(scope.led_team_ids))).unique():
        places.append((team.name, url_for("reports.team", team_id=team.id)))
    if len(places) == 1:
        return redirect(places[0][1])
    return render_template("reports/index.html", places=places)


# Each level's page and its export: (endpoint, address, the address's key argument or None).
LEVEL_ROUTES = (
    ("country", "/vn", None),
    ("province", "/provinces/<code>", "code"),
    ("commune", "/communes/<code>", "code"),
    ("village", "/villages/<village_id>", "village_id"),
    ("team", "/teams/<team_id>", "team_id"),
)


def _level_view(level: str, key_argument: str | None) -> Callable:
    @requires_scope("sees_people")
    def view(**arguments: str):
        return _show(level, arguments[key_argument] if key_argument else COUNTRY)

    return view


for _level, _rule, _argument in LEVEL_ROUTES:
    bp.add_url_rule(_rule, _level, _level_view(_level, _argument))
    bp.add_url_rule(f"{_rule}/export", f"{_level}_export", _level_view(_level, _argument))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_entry(app, NavEntry("reports.index", _l("Báo cáo"), 25, capability("sees_people")))
