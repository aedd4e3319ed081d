"""Every page the accessibility check opens (tests/test_a11y.py), as one list.

Add a page here when you add one to the app: a path (with {placeholders} filled from the
world below), who opens it, and optionally a button to press first, so that the page's state
after a failed submission (fields with errors) is checked as well. `build_world` makes the
people and records the paths need; add what a new page needs there too.

Roles: "anonymous" (no login), "learner" (a citizen with progress, a quiz attempt, a
result and a certificate), "member" (a team leader of a village team) and "official"
(a commune official of the demo commune)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, next_phone

PASSWORD = "mat-khau-123"
COURSE, MODULE = "nguoi-dan", "b03-tim-kiem"
ROLES = ("anonymous", "learner", "member", "official")


@dataclass(frozen=True)
class A11yPage:
    name: str
    path: str  # str.format()ed with the world's values
    roles: tuple[str, ...]
    submit: str | None = None  # a button (accessible name) pressed before the check, e.g. an empty form
    english: bool = False  # opened in English (the lesson text stays Vietnamese, marked lang="vi")
    status: int = 200  # what the page answers (checked, so a redirect to the login page is no pass)


PUBLIC = ("anonymous",)
SIGNED_IN = ("learner", "member", "official")
EVERYONE = ROLES

PAGES: list[A11yPage] = [
    # Everyone
    A11yPage("home", "/", EVERYONE),
    A11yPage("catalogue", "/courses", EVERYONE),
    A11yPage("course", "/courses/{course}", EVERYONE),
    A11yPage("module", "/courses/{course}/{module}", EVERYONE),
    A11yPage("lesson", "/courses/{course}/{module}/{lesson}", EVERYONE),
    A11yPage("lesson in English", "/courses/{course}/{module}/{lesson}", ("anonymous", "learner"), english=True),
    A11yPage("privacy notice", "/privacy", EVERYONE),
    A11yPage("verify form", "/verify", EVERYONE),
    A11yPage("verify form, empty code", "/verify", PUBLIC, submit="Kiểm tra"),
    A11yPage("verify a certificate", "/verify/{certificate}", EVERYONE),
    A11yPage("verify offline", "/verify/offline", PUBLIC),
    A11yPage("not found", "/khong-co-trang-nay", EVERYONE, status=404),
    A11yPage("offline fallback", "/offline", PUBLIC),
    # Anonymous
    A11yPage("login", "/login", PUBLIC),
    A11yPage("login, empty", "/login", PUBLIC, submit="Đăng nhập"),
    A11yPage("register", "/register", PUBLIC),
    A11yPage("register, empty", "/register", PUBLIC, submit="Đăng ký"),
    A11yPage("password reset", "/reset", PUBLIC),
    # Signed in
    A11yPage("dashboard", "/dashboard", SIGNED_IN),
    A11yPage("account", "/account", SIGNED_IN),
    A11yPage("change password", "/account/password", SIGNED_IN),
    A11yPage("change password, empty", "/account/password", ("learner",), submit="Đổi mật khẩu"),
    A11yPage("delete account", "/account/delete", SIGNED_IN),
    A11yPage("quiz landing", "/courses/{course}/{module}/quiz", ("learner",)),
    A11yPage("quiz attempt", "/attempts/{attempt}", ("learner",)),
    A11yPage("quiz attempt, unanswered questions", "/attempts/{attempt}", ("learner",), submit="Nộp bài"),
    A11yPage("quiz result", "/attempts/{result}/result", ("learner",)),
    A11yPage("my certificates", "/certificates/mine", ("learner",)),
    # Team member
    A11yPage("team", "/manage/teams/{team}", ("member", "official")),
    # Official
    A11yPage("places", "/manage", ("official",)),
    A11yPage("commune", "/manage/communes/{commune}", ("official",)),
    A11yPage("village", "/manage/villages/{village}", ("official",)),
    A11yPage("people", "/people", ("official",)),
    A11yPage("person", "/people/{learner_id}", ("official",)),
    A11yPage("certificate management", "/certificates/manage", ("official",)),
    A11yPage("certificates of a commune", "/certificates/manage/commune/{commune}", ("official",)),
    A11yPage("one certificate", "/certificates/manage/c/{certificate}", ("official",)),
    A11yPage("dashboard of a commune", "/reports/communes/{commune}", ("official",)),
    A11yPage("dashboard of a village", "/reports/villages/{village}", ("official",)),
    A11yPage("dashboard of a team", "/reports/teams/{team}", ("member", "official")),
    A11yPage("roles", "/manage/roles", ("official",)),
    A11yPage("honour roll", "/honour", PUBLIC),
    A11yPage("honour roll of a province", "/honour/01", PUBLIC),
    A11yPage("public statistics of a province", "/stats/provinces/01", PUBLIC),
    A11yPage("public statistics of a commune", "/stats/communes/{commune}", PUBLIC),
    A11yPage("scorecards of a commune", "/reports/scorecards/communes/{commune}", ("official",)),
    A11yPage("scorecard of a team", "/reports/scorecards/teams/{team}", ("member", "official")),
    A11yPage("outreach log", "/field/outreach", ("member",)),
    A11yPage("field work of a commune", "/fieldwork/commune/{commune}", ("official",)),
    A11yPage("field work of a team", "/fieldwork/team/{team}", ("member", "official")),
    A11yPage("team targets", "/fieldwork/teams/{team}/targets", ("official",)),
    A11yPage("local platforms", "/fieldwork/platforms", ("official",)),
    A11yPage("local platforms, empty", "/fieldwork/platforms", ("official",), submit="Thêm nền tảng"),
    A11yPage("campaigns of a commune", "/fieldwork/commune/{commune}/campaigns", ("official",)),
    A11yPage("campaigns of a commune, empty", "/fieldwork/commune/{commune}/campaigns", ("official",), submit="Tạo chiến dịch"),
]


def pages_for(role: str) -> list[A11yPage]:
    return [page for page in PAGES if role in page.roles]


def build_world(app, factory) -> dict:
    """The people and records every page of PAGES needs; returns the placeholders' values
    and each role's phone (role -> phone; anonymous has none)."""
    from lms.accounts.models import User
    from lms.catalog.models import Course
    from lms.catalog.services import lessons_for
    from lms.certificates.models import Certificate
    from lms.places.models import TeamMembership
    from lms.quizzes import services as quizzes
    from tests.cert_helpers import complete_course
    from tests.quiz_helpers import answer_key

    phones = {role: next_phone() for role in SIGNED_IN}
    learner_id = factory.user(phone=phones["learner"], name="Lê Thị Hoa")
    member_id = factory.user(phone=phones["member"], name="Đỗ Văn Minh")
    factory.user(phone=phones["official"], name="Vũ Thị Lan", role="commune_official", role_commune=DEMO_COMMUNE)
    village = factory.village()
    team = factory.team(village, members=[member_id, learner_id], leader=member_id)
    code = complete_course(app, learner_id, COURSE)
    with app.test_request_context("/", method="POST"):
        user = db.session.get(User, learner_id)
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        module = next(row.module for row in course.course_modules if row.module.slug == MODULE)
        lesson = lessons_for(course, module)[0].slug
        done = quizzes.start_attempt(user, course, module)
        db.session.commit()
        done_id = done.id
    right = answer_key(app, done_id, right=9)
    with app.test_request_context("/", method="POST"):
        user = db.session.get(User, learner_id)
        quizzes.submit_attempt(quizzes.get_attempt(user, done_id), right)
        db.session.commit()
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        module = next(row.module for row in course.course_modules if row.module.slug == MODULE)
        open_id = quizzes.start_attempt(db.session.get(User, learner_id), course, module).id
        db.session.commit()
        assert db.session.scalar(select(Certificate.id).where(Certificate.user_id == learner_id))
        assert db.session.scalar(select(TeamMembership.id).where(TeamMembership.team_id == team))
    with app.app_context():  # last month's scorecards, for the scorecard pages
        from lms.reports import scorecards

        scorecards.compute_month(scorecards.last_finished_month())
        db.session.commit()
    return {
        "values": {
            "course": COURSE,
            "module": MODULE,
            "lesson": lesson,
            "attempt": open_id,
            "result": done_id,
            "certificate": code,
            "commune": DEMO_COMMUNE,
            "village": village,
            "team": team,
            "learner_id": learner_id,
        },
        "phones": phones,
    }
