"""'Người tôi đã giúp': for a team member, the citizens they registered at the door with each
one's progress per course, and the households reached; for a team's leader, the team's members
and their progress and the households of the team's village.

A household is *reached* when at least one of its people completed the citizens' course
(slug "nguoi-dan"), the programme's own goal. Everything here is counted from the records
(enrolments, completions, certificates), over the rows of one page or one village at a time.

Status of a person in a course, the words of the people pages (lms/reports/people.py):
not_started = enrolled, nothing read or graded yet; in_progress = started, not completed;
completed = the course completed; certified = a certificate that is not revoked.

Seeing one's helped people gives no power over them: the pages link to no person page, and
nothing here edits or resets anyone (docs/security.md).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, func, select, union

from lms.accounts.models import AssistedRegistration, User
from lms.accounts.phone import display_phone
from lms.accounts.scope import get_team, is_team_member, member_villages, scope_of
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.core.db import Page, page_number, paginate, vi_order
from lms.core.errors import NotFound
from lms.core.extensions import db
from lms.core.nav import NavEntry, add_nav_entry
from lms.learning.models import CourseCompletion, Enrollment
from lms.places.models import Household, Team, TeamMembership

bp = Blueprint("helped", __name__, template_folder="templates")

CITIZEN_COURSE = "nguoi-dan"
PAGE_SIZE = 25
HOUSEHOLD_PAGE_SIZE = 50

STATUS_LABELS = {
    "not_started": _l("Chưa bắt đầu"),
    "in_progress": _l("Đang học"),
    "completed": _l("Đã hoàn thành"),
    "certified": _l("Có chứng nhận"),
}


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class CourseStatus:
    course: str
    status: str

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass(frozen=True)
class HouseholdRow:
    household: Household
    people: int
    reached: bool


def progress_of(user_ids: list[int]) -> dict[int, list[CourseStatus]]:
    """Each person's status in each course they enrolled in (or completed), in course order."""
    if not user_ids:
        return {}
    courses = {c.id: c for c in db.session.scalars(select(Course))}
    started: dict[tuple[int, int], bool] = {}
    for user_id, course_id, started_at in db.session.execute(
        select(Enrollment.user_id, Enrollment.course_id, Enrollment.started_at).where(Enrollment.user_id.in_(user_ids))
    ):
        started[(user_id, course_id)] = started_at is not None
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
    for user_id, course_id in sorted(set(started) | completed | certified, key=lambda k: (k[0], courses[k[1]].position)):
        if (user_id, course_id) in certified:
            status = "certified"
        elif (user_id, course_id) in completed:
            status = "completed"
        elif started.get((user_id, course_id)):
            status = "in_progress"
        else:
            status = "not_started"
        result[user_id].append(CourseStatus(courses[course_id].title, status))
    return result


def _citizen_course_id() -> int | None:
    return db.session.scalar(select(Course.id).where(Course.slug == CITIZEN_COURSE))


def _reached(household_ids: Select | list[int]) -> Select:
    """Ids of the given households with at least one person who completed the citizens' course."""
    return (
        select(User.household_id)
        .join(CourseCompletion, CourseCompletion.user_id == User.id)
        .where(User.household_id.in_(household_ids), CourseCompletion.course_id == _citizen_course_id())
        .distinct()
    )


def household_rows(households: list[Household]) -> list[HouseholdRow]:
    ids = [h.id for h in households]
    if not ids:
        return []
    reached = set(db.session.scalars(_reached(ids)))
    people = {
        household_id: count
        for household_id, count in db.session.execute(
            select(User.household_id, func.count())
            .where(User.household_id.in_(ids), User.deleted_at.is_(None))
            .group_by(User.household_id)
        )
    }
    return [HouseholdRow(h, people.get(h.id, 0), h.id in reached) for h in households]


def household_summary(household_ids: Select) -> tuple[int, int]:
    """(households, households reached) among the ids a select gives."""
    total = db.session.scalar(select(func.count()).select_from(household_ids.subquery())) or 0
    reached = db.session.scalar(select(func.count()).select_from(_reached(household_ids).subquery())) or 0
    return total, reached


def _household_page(household_ids: Select, number: int) -> tuple[Page, list[HouseholdRow]]:
    stmt = select(Household).where(Household.id.in_(household_ids)).order_by(vi_order(Household.label), Household.id)
    page = paginate(stmt, number, HOUSEHOLD_PAGE_SIZE)
    return page, household_rows(page.items)


def my_households(member: User) -> Select:
    """Households the member reached at the door: those of the people they registered, and those
    they added."""
    return (
        union(
            select(AssistedRegistration.household_id.label("id")).where(
                AssistedRegistration.member_id == member.id, AssistedRegistration.household_id.is_not(None)
            ),
            select(Household.id.label("id")).where(Household.created_by_id == member.id),
        )
        .subquery()
        .select()
    )


@dataclass(frozen=True)
class HelpedRow:
    person: User
    login: str
    household: str | None
    registered_at: datetime
    progress: list[CourseStatus]


def helped_page(member: User, number: int) -> Page:
    stmt = (
        select(User, AssistedRegistration.created_at, Household.label)
        .join(AssistedRegistration, AssistedRegistration.citizen_id == User.id)
        .outerjoin(Household, Household.id == User.household_id)
        .where(AssistedRegistration.member_id == member.id, User.deleted_at.is_(None))
        .order_by(AssistedRegistration.created_at.desc(), AssistedRegistration.id.desc())
    )
    page = paginate(stmt, number, PAGE_SIZE, scalars=False)
    progress = progress_of([row[0].id for row in page.items])
    rows = [
        HelpedRow(person, display_phone(person.phone), label, registered_at, progress.get(person.id, []))
        for person, registered_at, label in page.items
    ]
    return Page(items=rows, number=page.number, size=page.size, total=page.total)


def _viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _has_helped(user: User) -> bool:
    first = select(AssistedRegistration.id).where(AssistedRegistration.member_id == user.id).limit(1)
    return db.session.scalar(first) is not None


@bp.get("/helped")
def index():
    viewer = _viewer()
    if viewer is None:
        return current_app.login_manager.unauthorized()
    if not member_villages(viewer) and not _has_helped(viewer):
        raise NotFound(_("Trang này dành cho thành viên tổ công nghệ số cộng đồng."))
    people = helped_page(viewer, page_number(request.args.get("page")))
    mine = my_households(viewer)
    households_total, households_reached = household_summary(mine)
    households_page, households = _household_page(mine, page_number(request.args.get("hpage")))
    led = sorted(scope_of(viewer).led_team_ids)
    teams = db.session.scalars(select(Team).where(Team.id.in_(led)).order_by(vi_order(Team.name), Team.id)).all() if led else []
    return render_template(
        "reports/helped.html",
        people=people,
        households=households,
        households_page=households_page,
        households_total=households_total,
        households_reached=households_reached,
        teams=teams,
    )


@bp.get("/helped/teams/<int:team_id>")
def team(team_id: int):
    """A team's members with their progress, and the households of its village: for its
    leader, and for officials whose scope holds the team (get_team); 404 for anyone else."""
    viewer = _viewer()
    if viewer is None:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    team = get_team(viewer, team_id)
    members_stmt = (
        select(User, TeamMembership.is_leader)
        .join(TeamMembership, TeamMembership.user_id == User.id)
        .where(TeamMembership.team_id == team.id, User.deleted_at.is_(None))
        .order_by(TeamMembership.is_leader.desc(), vi_order(User.full_name), User.id)
    )
    members = paginate(members_stmt, page_number(request.args.get("page")), PAGE_SIZE, scalars=False)
    progress = progress_of([user.id for user, _leader in members.items])
    village_households = select(Household.id).where(Household.village_id == team.village_id)
    households_total, households_reached = household_summary(village_households)
    households_page, households = _household_page(village_households, page_number(request.args.get("hpage")))
    return render_template(
        "reports/helped_team.html",
        team=team,
        members=members,
        progress=progress,
        households=households,
        households_page=households_page,
        households_total=households_total,
        households_reached=households_reached,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_entry(app, NavEntry("helped.index", _l("Người tôi đã giúp"), 26, is_team_member))
