"""People and their progress: the list (/people) with its filters, accent-free search,
Vietnamese order, pages and counts, its export (/people/export), and a person's page
(/people/<id>) with progress per course and module, quiz attempts and certificates.

Who appears is decided by lms.accounts.scope.visible_people only; a place filter outside the
viewer's scope is "not found". Reset codes and other management stay in accounts (the person
page posts to accounts.person_reset_code).

Status of a person in a course, as the dashboards count it (lms/reports/figures.py):
not_started = enrolled, nothing read or graded yet, not completed; in_progress = started, not
completed; completed = the course completed (whether or not a certificate followed); certified = a
certificate that is not revoked. Without a course, a status means "in any course".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from wtforms import SelectField, StringField
from wtforms.validators import AnyOf, Length, Optional

from lms.accounts import services as accounts_services
from lms.accounts.models import User
from lms.accounts.phone import display_phone
from lms.accounts.scope import (
    can_manage,
    capability,
    get_commune,
    get_person,
    get_team,
    get_village,
    requires_scope,
    scope_of,
    visible_communes,
    visible_people,
)
from lms.accounts.scope import viewer as current_viewer
from lms.catalog.models import Course
from lms.catalog.services import get_course, list_courses
from lms.certificates.models import Certificate
from lms.core.converters import MAX_DATABASE_INT
from lms.core.db import Page, page_number, paginate, vi_order
from lms.core.errors import NotFound, ValidationFailed
from lms.core.extensions import db
from lms.core.forms import TOO_LONG, PostForm, strip_filter
from lms.core.models import utcnow
from lms.core.nav import NavEntry, add_nav_entry
from lms.core.text import fold
from lms.learning.models import CourseCompletion, Enrollment, ModuleCompletion
from lms.learning.services import CourseOverview, course_overview
from lms.places.models import Commune, Household, Province, Team, TeamMembership, Village
from lms.quizzes.models import AttemptState, QuizAttempt
from lms.reports.exports import check_format, export_response

bp = Blueprint("people", __name__, template_folder="templates")

PAGE_SIZE = 50
EXPORT_BATCH = 500
INACTIVE_DAYS = 14
# Above this many communes in scope (an admin's 3,321) the list offers no commune menu: the
# dashboards lead to a commune's people instead.
COMMUNE_MENU_MAX = 300

STATUS_LABELS = {
    "not_started": _l("Chưa bắt đầu"),
    "in_progress": _l("Đang học"),
    "completed": _l("Đã hoàn thành"),
    "certified": _l("Có chứng nhận"),
}
SORT_LABELS = {
    "name": _l("Họ và tên"),
    "commune": _l("Xã/phường"),
    "activity": _l("Lâu chưa học nhất lên đầu"),
}


@bp.after_request
def no_store(response: Response) -> Response:
    # Personal data: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


# --- filters ------------------------------------------------------------------------------


class PeopleFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(
        _l("Tìm theo tên hoặc số điện thoại"),
        filters=[strip_filter],
        validators=[Optional(), Length(max=80, message=TOO_LONG)],
        description=_l("Gõ không dấu cũng được, ví dụ: ngoc anh"),
    )
    commune = SelectField(_l("Xã/phường"), default="", validate_choice=False)
    course = SelectField(_l("Khóa học"), default="", validate_choice=False)
    status = SelectField(
        _l("Tình trạng"),
        default="",
        validate_choice=False,
        validators=[AnyOf(["", *STATUS_LABELS], message=_l("Bạn hãy chọn một tình trạng trong danh sách."))],
    )
    inactive = SelectField(
        _l("Hoạt động"),
        default="",
        validate_choice=False,
        validators=[AnyOf(["", str(INACTIVE_DAYS)], message=_l("Bạn hãy chọn một mục trong danh sách hoạt động."))],
    )
    sort = SelectField(
        _l("Sắp xếp theo"),
        default="name",
        validate_choice=False,
        validators=[AnyOf(list(SORT_LABELS), message=_l("Bạn hãy chọn một cách sắp xếp trong danh sách."))],
    )

    def fill_choices(self, courses: list[Course], communes: list[Commune]) -> None:
        self.course.choices = [("", _("Mọi khóa học"))] + [(c.slug, c.title) for c in courses]
        self.status.choices = [("", _("Mọi tình trạng"))] + [(k, str(v)) for k, v in STATUS_LABELS.items()]
        self.inactive.choices = [("", _("Mọi người")), (str(INACTIVE_DAYS), _("Không học gì trong %(n)s ngày", n=INACTIVE_DAYS))]
        self.sort.choices = [(k, str(v)) for k, v in SORT_LABELS.items()]
        self.commune.choices = [("", _("Mọi xã/phường"))] + [(c.code, f"{c.name} ({c.province.name})") for c in communes]


@dataclass
class PeopleFilters:
    q: str = ""
    commune: Commune | None = None
    village: Village | None = None
    team: Team | None = None
    course: Course | None = None
    status: str = ""
    inactive: int | None = None
    sort: str = "name"

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query parameters that give these filters back (for page and export links)."""
        values = {
            "q": self.q,
            "commune": self.commune.code if self.commune else "",
            "village": self.village.id if self.village else "",
            "team": self.team.id if self.team else "",
            "course": self.course.slug if self.course else "",
            "status": self.status,
            "inactive": self.inactive or "",
            "sort": self.sort if self.sort != "name" else "",
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None)}

    @property
    def course_id(self) -> int | None:
        return self.course.id if self.course else None


def _id_arg(name: str) -> int | None:
    """An id from the query string; one the database cannot hold is not found, like in a path."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw.lstrip("0")) > 10 or int(raw) > MAX_DATABASE_INT:
        raise NotFound(_("Không tìm thấy nơi này trong phạm vi bạn quản lý."))
    return int(raw)


def filters_from(viewer: User, form: PeopleFilterForm) -> PeopleFilters:
    """The filters of a validated form and of the place parameters, each place checked against
    the viewer's scope (NotFound outside it)."""
    filters = PeopleFilters(
        q=form.q.data or "",
        status=form.status.data or "",
        sort=form.sort.data or "name",
        inactive=int(form.inactive.data or 0) or None,
    )
    if form.commune.data:
        code = form.commune.data
        if len(code) > 5:
            raise NotFound(_("Không tìm thấy xã/phường này trong phạm vi bạn quản lý."))
        filters.commune = get_commune(viewer, code)
    village_id = _id_arg("village")
    if village_id is not None:
        filters.village = get_village(viewer, village_id)
    team_id = _id_arg("team")
    if team_id is not None:
        filters.team = get_team(viewer, team_id)
    if form.course.data:
        filters.course = get_course(form.course.data[:64])
    return filters


def _menu_communes(viewer: User) -> list[Commune]:
    """The communes the list offers as a menu: a province official's, a commune official's
    several; nobody else gets one (a leader has none, an admin too many)."""
    scope = scope_of(viewer)
    if scope.is_global or not scope.manages_places:
        return []
    stmt = visible_communes(viewer).join(Province, Province.code == Commune.province_code)
    stmt = stmt.order_by(vi_order(Province.name), vi_order(Commune.name), Commune.code)
    communes = list(db.session.scalars(stmt.limit(COMMUNE_MENU_MAX + 1)))
    return communes if 1 < len(communes) <= COMMUNE_MENU_MAX else []


# --- the query ----------------------------------------------------------------------------


def search_condition(query: str) -> ColumnElement[bool]:
    """Every folded word of the query begins a word of the stored folded name (users.name_key):
    "ngoc anh", "NGỌC ÁNH" and "pham thi ngoc anh" all find "Phạm Thị Ngọc Ánh". Four digits or
    more also match the phone number."""
    words = fold(query).split()[:8]
    name = and_(
        *[
            or_(User.name_key.startswith(word, autoescape=True), User.name_key.contains(" " + word, autoescape=True))
            for word in words
        ]
    )
    digits = "".join(ch for ch in query if ch.isascii() and ch.isdigit())
    if len(digits) >= 4:
        return or_(name, User.phone.contains(digits.lstrip("0"), autoescape=True))
    return name


def _in_course(column, course_id: int | None) -> list[ColumnElement[bool]]:
    return [column == course_id] if course_id is not None else []


def status_condition(status: str, course_id: int | None) -> ColumnElement[bool]:
    # Enrolments not completed (a completion always counts as completed, whatever else the
    # records say), started or not.
    completed = exists().where(CourseCompletion.user_id == Enrollment.user_id, CourseCompletion.course_id == Enrollment.course_id)
    if status in ("not_started", "in_progress"):
        started = Enrollment.started_at.is_(None) if status == "not_started" else Enrollment.started_at.is_not(None)
        return exists().where(Enrollment.user_id == User.id, started, ~completed, *_in_course(Enrollment.course_id, course_id))
    if status == "completed":
        return exists().where(CourseCompletion.user_id == User.id, *_in_course(CourseCompletion.course_id, course_id))
    return exists().where(
        Certificate.user_id == User.id, Certificate.revoked_at.is_(None), *_in_course(Certificate.course_id, course_id)
    )


def inactive_condition(days: int, course_id: int | None, now: datetime | None = None) -> ColumnElement[bool]:
    """Nothing done for `days` days: in the course (enrolled, last activity before the cutoff),
    or without a course in any course, counting the registration as a first activity."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    if course_id is not None:
        return exists().where(
            Enrollment.user_id == User.id, Enrollment.course_id == course_id, Enrollment.last_activity_at < cutoff
        )
    recent = exists().where(Enrollment.user_id == User.id, Enrollment.last_activity_at >= cutoff)
    return and_(~recent, User.created_at < cutoff)


def last_activity(course_id: int | None):
    return (
        select(func.max(Enrollment.last_activity_at))
        .where(Enrollment.user_id == User.id, *_in_course(Enrollment.course_id, course_id))
        .correlate(User)
        .scalar_subquery()
    )


def filtered(viewer: User, filters: PeopleFilters, stmt=None):
    """stmt (a select over users) limited to the people the viewer may see who match the filters."""
    stmt = visible_people(viewer, stmt)
    if filters.commune is not None:
        stmt = stmt.where(User.home_commune_code == filters.commune.code)
    if filters.village is not None:
        stmt = stmt.where(User.household_id.in_(select(Household.id).where(Household.village_id == filters.village.id)))
    if filters.team is not None:
        stmt = stmt.where(User.id.in_(select(TeamMembership.user_id).where(TeamMembership.team_id == filters.team.id)))
    if filters.q:
        stmt = stmt.where(search_condition(filters.q))
    if filters.status:
        stmt = stmt.where(status_condition(filters.status, filters.course_id))
    elif filters.course is not None:
        stmt = stmt.where(exists().where(Enrollment.user_id == User.id, Enrollment.course_id == filters.course.id))
    if filters.inactive:
        stmt = stmt.where(inactive_condition(filters.inactive, filters.course_id))
    return stmt


def _row_columns(course_id: int | None) -> list:
    return [
        User.id,
        User.full_name,
        User.phone,
        User.birth_year,
        Commune.name.label("commune"),
        Province.name.label("province"),
        last_activity(course_id).label("last_activity"),
    ]


def _with_places(stmt):
    return stmt.outerjoin(Commune, Commune.code == User.home_commune_code).outerjoin(
        Province, Province.code == Commune.province_code
    )


def _ordered(stmt, filters: PeopleFilters):
    """stmt in the chosen order; the person's id ends every order, so pages never overlap."""
    name = vi_order(User.full_name)
    if filters.sort == "commune":
        return stmt.order_by(vi_order(Province.name).nulls_last(), vi_order(Commune.name).nulls_last(), name, User.id)
    if filters.sort == "activity":
        return stmt.order_by(last_activity(filters.course_id).asc().nulls_first(), name, User.id)
    return stmt.order_by(name, User.id)


def people_rows(viewer: User, filters: PeopleFilters):
    """One row per person (id, name, phone, birth year, commune, province, last activity), in
    the chosen order: the export's query."""
    stmt = _with_places(select(*_row_columns(filters.course_id)).select_from(User))
    return _ordered(filtered(viewer, filters, stmt), filters)


def people_page(viewer: User, filters: PeopleFilters, number: int) -> Page:
    """A page of people_rows. The ids are sorted and cut first, and the rows of those ids read
    afterwards, so the last activity is looked up for one page, not for everyone sorted."""
    ids = select(User.id).select_from(User)
    if filters.sort == "commune":
        ids = _with_places(ids)
    page = paginate(_ordered(filtered(viewer, filters, ids), filters), number, PAGE_SIZE, total=count_people(viewer, filters))
    if not page.items:
        return page
    details = _with_places(select(*_row_columns(filters.course_id)).select_from(User)).where(User.id.in_(page.items))
    by_id = {row.id: row for row in db.session.execute(details)}
    return Page(items=[by_id[i] for i in page.items], number=page.number, size=page.size, total=page.total)


def count_people(viewer: User, filters: PeopleFilters) -> int:
    ids = filtered(viewer, filters, select(User.id))
    return db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0


@dataclass
class CourseStatus:
    course: Course
    status: str  # a key of STATUS_LABELS

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


def course_statuses(user_ids: list[int], courses: list[Course]) -> dict[int, list[CourseStatus]]:
    """Each person's status in each course they enrolled in, for a page (or a batch) of people."""
    if not user_ids:
        return {}
    wanted = {course.id: course for course in courses}
    enrolled = db.session.execute(
        select(Enrollment.user_id, Enrollment.course_id, Enrollment.started_at).where(
            Enrollment.user_id.in_(user_ids), Enrollment.course_id.in_(wanted)
        )
    ).all()
    completed = {
        (user_id, course_id)
        for user_id, course_id in db.session.execute(
            select(CourseCompletion.user_id, CourseCompletion.course_id).where(CourseCompletion.user_id.in_(user_ids))
        )
    }
    certified = {
        (user_id, course_id)
        for user_id, course_id in db.session.execute(
            select(Certificate.user_id, Certificate.course_id).where(
                Certificate.user_id.in_(user_ids), Certificate.revoked_at.is_(None)
            )
        )
    }
    result: dict[int, list[CourseStatus]] = defaultdict(list)
    for user_id, course_id, started_at in sorted(enrolled, key=lambda row: wanted[row[1]].position):
        key = (user_id, course_id)
        status = (
            "certified"
            if key in certified
            else "completed"
            if key in completed
            else "in_progress"
            if started_at is not None
            else "not_started"
        )
        result[user_id].append(CourseStatus(wanted[course_id], status))
    return result


# --- the list -----------------------------------------------------------------------------


def _listing(viewer: User) -> tuple[PeopleFilterForm, PeopleFilters | None, list[Course]]:
    """The filter form from the query string, and the filters when it is valid."""
    form = PeopleFilterForm(request.args)
    courses = list_courses()
    form.fill_choices(courses, _menu_communes(viewer))
    if not form.validate():
        return form, None, courses
    return form, filters_from(viewer, form), courses


@bp.get("/people")
@requires_scope("sees_people")
def index():
    viewer = current_viewer()
    form, filters, courses = _listing(viewer)
    page: Page | None = None
    statuses: dict[int, list[CourseStatus]] = {}
    if filters is not None:
        number = page_number(request.args.get("page"))
        page = people_page(viewer, filters, number)
        shown = [filters.course] if filters.course else courses
        statuses = course_statuses([row.id for row in page.items], shown)
    return render_template(
        "reports/people.html",
        form=form,
        filters=filters,
        page=page,
        statuses=statuses,
        display_phone=display_phone,
        number=format_decimal,
        status_labels=STATUS_LABELS,
    ), (200 if filters is not None else 400)


# --- the export ---------------------------------------------------------------------------


def export_rows(viewer: User, filters: PeopleFilters, courses: list[Course]) -> Iterator[tuple]:
    """The export's rows, read in batches from one streamed query: memory stays flat."""
    result = db.session.execute(people_rows(viewer, filters).execution_options(yield_per=EXPORT_BATCH))
    not_enrolled = _("Chưa ghi danh")
    for batch in result.partitions():
        statuses = course_statuses([row.id for row in batch], courses)
        for row in batch:
            by_course = {s.course.id: s.label for s in statuses.get(row.id, [])}
            yield (
                row.full_name,
                display_phone(row.phone),
                row.birth_year,
                row.commune or "",
                row.province or "",
                *[by_course.get(course.id, not_enrolled) for course in courses],
                row.last_activity,
            )


@bp.get("/people/export")
@requires_scope("sees_people")
def export():
    viewer = current_viewer()
    fmt = check_format(request.args.get("format") or "csv")
    form, filters, courses = _listing(viewer)
    if filters is None:
        field_name, errors = next((name, errs) for name, errs in form.errors.items() if errs)
        raise ValidationFailed(f"{getattr(form, field_name).label.text}: {errors[0]}", field=field_name)
    shown = [filters.course] if filters.course else courses
    headers = [
        _("Họ và tên"),
        _("Số điện thoại"),
        _("Năm sinh"),
        _("Xã/phường"),
        _("Tỉnh/thành phố"),
        *[course.title for course in shown],
        _("Hoạt động gần nhất"),
    ]
    stem = (
        "nguoi-hoc"
        + (f"-{filters.commune.code}" if filters.commune else "")
        + (f"-{filters.course.slug}" if filters.course else "")
    )
    return export_response(stem, headers, export_rows(viewer, filters, shown), fmt)


# --- a person -----------------------------------------------------------------------------


@dataclass
class Attempt:
    module_title: str
    number: int
    submitted_at: datetime | None
    percent: int | None
    passed: bool | None


@dataclass
class CourseProgress:
    overview: CourseOverview
    status: str
    module_completed_at: dict[int, datetime] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    certificate: Certificate | None = None

    @property
    def course(self) -> Course:
        return self.overview.course

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


def person_progress(person: User) -> list[CourseProgress]:
    """Progress in each course the person enrolled in: per module, lessons read of the total, the
    best quiz score and completion; the submitted quiz attempts; the certificate."""
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.user_id == person.id)).all()
    certificates = {c.course_id: c for c in db.session.scalars(select(Certificate).where(Certificate.user_id == person.id))}
    completed_modules: dict[int, dict[int, datetime]] = defaultdict(dict)
    for course_id, module_id, at in db.session.execute(
        select(ModuleCompletion.course_id, ModuleCompletion.module_id, ModuleCompletion.completed_at).where(
            ModuleCompletion.user_id == person.id
        )
    ):
        completed_modules[course_id][module_id] = at
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == person.id, QuizAttempt.state == AttemptState.SUBMITTED.value)
        .order_by(QuizAttempt.submitted_at.desc(), QuizAttempt.id.desc())
    ):
        attempts[attempt.course_id].append(
            Attempt(attempt.module.title, attempt.number, attempt.submitted_at, attempt.percent, attempt.passed)
        )
    progress = []
    for enrollment in sorted(enrollments, key=lambda e: (e.course.position, e.course.id)):
        overview = course_overview(person, enrollment.course)
        certificate = certificates.get(enrollment.course_id)
        if certificate is not None and not certificate.is_revoked:
            status = "certified"
        elif overview.completion is not None:
            status = "completed"
        else:
            status = "in_progress" if enrollment.started_at is not None else "not_started"
        progress.append(
            CourseProgress(overview, status, completed_modules[enrollment.course_id], attempts[enrollment.course_id], certificate)
        )
    return progress


@bp.get("/people/<int:user_id>")
@requires_scope("sees_people")
def person(user_id: int):
    viewer = current_viewer()
    person = get_person(viewer, user_id)
    manages = can_manage(viewer, person)
    scope = scope_of(viewer)
    progress = person_progress(person)
    activity = [p.overview.enrollment.last_activity_at for p in progress if p.overview.enrollment is not None]
    return render_template(
        "reports/person.html",
        person=person,
        phone=display_phone(person.phone),
        form=PostForm(),
        can_reset=manages,
        is_official=person.is_official,
        resets=accounts_services.reset_history(person) if manages or scope.is_global else [],
        progress=progress,
        last_activity=max(activity) if activity else None,
        manages_certificates=scope.manages_places,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_entry(app, NavEntry("people.index", _l("Danh sách người học"), 30, capability("sees_people")))
