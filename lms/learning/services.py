"""Enrolment, progress, resume and completion. Completion is recorded once, in the
transaction of the event that caused it, and announced through lms.core.signals
(enrolled, course_started, lesson_read, module_completed, course_completed; sender "learning"), so
certificates and reports react without learning knowing them. The best quiz score per
module is learning's own row (BestScore), recorded from the quizzes' quiz_graded signal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.attributes import set_committed_value

from lms.accounts.models import User
from lms.accounts.scope import member_villages
from lms.catalog.models import Course, CourseModule, Lesson, Module
from lms.catalog.services import course_modules, lessons_for, shows
from lms.core import signals
from lms.core.db import insert_once
from lms.core.errors import NotFound
from lms.core.extensions import db
from lms.core.models import utcnow
from lms.learning.models import BestScore, CourseCompletion, Enrollment, LessonProgress, ModuleCompletion

SENDER = "learning"


def primary_audience(user: User | None) -> str:
    if user is None:
        return "citizens"
    if user.is_official:
        return "officials"
    if member_villages(user):  # the user's teams, loaded with the menu's scope on every page
        return "members"
    return "citizens"


def order_courses_for(user: User | None, courses: list[Course]) -> list[Course]:
    """The course meant for this person first, the others after in their usual order."""
    audience = primary_audience(user)
    return sorted(courses, key=lambda c: (c.audience != audience, c.position))


def preferred_course(user: User | None, courses: list[Course]) -> Course:
    if user is not None:
        enrolled = set(db.session.scalars(select(Enrollment.course_id).where(Enrollment.user_id == user.id)))
        for course in courses:
            if course.id in enrolled:
                return course
    return order_courses_for(user, courses)[0]


def get_enrollment(user: User | None, course: Course) -> Enrollment | None:
    if user is None:
        return None
    return db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id))


def enroll(user: User, course: Course) -> Enrollment:
    """Enrol once; a second click or a parallel request returns the same enrolment."""
    existing = get_enrollment(user, course)
    if existing is not None:
        return existing
    enrollment, inserted = insert_once(Enrollment(user_id=user.id, course_id=course.id), lambda: get_enrollment(user, course))
    if inserted:
        signals.enrolled.send(SENDER, enrollment=enrollment, user=user, course=course)
    return enrollment


def record_activity(user: User, course: Course) -> Enrollment:
    """The learner did something in the course (read, started or finished a quiz): enrol them
    if needed and move the course up their dashboard."""
    enrollment = enroll(user, course)
    now = utcnow()
    enrollment.last_activity_at = now
    if enrollment.started_at is None:
        # Set once: a parallel first activity that also saw None updates no row, so the
        # course is announced as started exactly once.
        started = db.session.execute(
            update(Enrollment).where(Enrollment.id == enrollment.id, Enrollment.started_at.is_(None)).values(started_at=now)
        )
        if cast(CursorResult[Any], started).rowcount == 1:
            set_committed_value(enrollment, "started_at", now)
            signals.course_started.send(SENDER, enrollment=enrollment, user=user, course=course)
    return enrollment


def _read_lesson_ids(user: User | None, lesson_ids: list[int]) -> set[int]:
    if user is None or not lesson_ids:
        return set()
    return set(
        db.session.scalars(
            select(LessonProgress.lesson_id).where(LessonProgress.user_id == user.id, LessonProgress.lesson_id.in_(lesson_ids))
        )
    )


def best_percents(user: User | None, course: Course) -> dict[int, int]:
    """Best graded score per module for this course (the best score counts)."""
    if user is None:
        return {}
    rows = db.session.execute(
        select(BestScore.module_id, BestScore.best_percent).where(BestScore.user_id == user.id, BestScore.course_id == course.id)
    ).all()
    return {module_id: percent for module_id, percent in rows}


def _best_score(user: User, course: Course, module: Module) -> BestScore | None:
    return db.session.scalar(
        select(BestScore).where(BestScore.user_id == user.id, BestScore.course_id == course.id, BestScore.module_id == module.id)
    )


def record_score(user: User, course: Course, module: Module, percent: int) -> BestScore:
    """Keep the best graded score. Raising it is one conditional UPDATE, so of two attempts
    graded at once the higher score stays whichever commits last."""
    existing = _best_score(user, course, module)
    if existing is None:
        fresh = BestScore(user_id=user.id, course_id=course.id, module_id=module.id, best_percent=percent)
        row, inserted = insert_once(fresh, lambda: _best_score(user, course, module))
        if inserted:
            return row
    else:
        row = existing
    db.session.execute(
        update(BestScore)
        .where(BestScore.id == row.id, BestScore.best_percent < percent)
        .values(best_percent=percent, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(row, ["best_percent", "updated_at"])
    return row


@dataclass
class ModuleProgress:
    course_module: CourseModule
    lessons: list[Lesson]
    read_ids: set[int]
    best_percent: int | None
    pass_mark: int
    is_complete: bool

    @property
    def module(self) -> Module:
        return self.course_module.module

    @property
    def lessons_read(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.id in self.read_ids)

    @property
    def quiz_passed(self) -> bool:
        return self.best_percent is not None and self.best_percent >= self.pass_mark

    @property
    def percent(self) -> int:
        steps = len(self.lessons) + 1  # every lesson, plus the quiz
        done = self.lessons_read + (1 if self.quiz_passed else 0)
        return round(100 * done / steps) if steps else 0

    @property
    def next_lesson(self) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id not in self.read_ids), None)


@dataclass
class CourseOverview:
    course: Course
    enrollment: Enrollment | None
    modules: list[ModuleProgress] = field(default_factory=list)
    completion: CourseCompletion | None = None

    @property
    def percent(self) -> int:
        required = [m for m in self.modules if m.course_module.is_required] or self.modules
        if not required:
            return 0
        return round(sum(m.percent for m in required) / len(required))

    @property
    def resume(self) -> tuple[str, ModuleProgress, Lesson | None] | None:
        """Where to continue: the first unread lesson, else the first quiz not yet passed."""
        for module in self.modules:
            if module.next_lesson is not None:
                return ("lesson", module, module.next_lesson)
            if not module.quiz_passed:
                return ("quiz", module, None)
        return None


def course_overview(user: User | None, course: Course, enrollment: Enrollment | None = None) -> CourseOverview:
    """The learner's progress in a course (`enrollment`: theirs in it, when the caller has it)."""
    if enrollment is None:
        enrollment = get_enrollment(user, course)
    overview = CourseOverview(course=course, enrollment=enrollment)
    rows = course_modules(course)
    lessons = lessons_for(course)
    read = _read_lesson_ids(user, [lesson.id for lesson in lessons])
    best = best_percents(user, course)
    done = set()
    if user is not None:
        done = set(
            db.session.scalars(
                select(ModuleCompletion.module_id).where(
                    ModuleCompletion.user_id == user.id, ModuleCompletion.course_id == course.id
                )
            )
        )
        overview.completion = db.session.scalar(
            select(CourseCompletion).where(CourseCompletion.user_id == user.id, CourseCompletion.course_id == course.id)
        )
    for row in rows:
        overview.modules.append(
            ModuleProgress(
                course_module=row,
                lessons=[lesson for lesson in lessons if lesson.module_id == row.module_id],
                read_ids=read,
                best_percent=best.get(row.module_id),
                pass_mark=course.pass_mark,
                is_complete=row.module_id in done,
            )
        )
    return overview


def module_overview(user: User | None, course: Course, module: Module, lessons: list[Lesson]) -> ModuleProgress:
    row = db.session.scalar(select(CourseModule).where(CourseModule.course_id == course.id, CourseModule.module_id == module.id))
    if row is None:
        raise NotFound(_("Không tìm thấy học phần này trong khóa học."))
    completed = user is not None and db.session.scalar(
        select(ModuleCompletion.id).where(
            ModuleCompletion.user_id == user.id, ModuleCompletion.course_id == course.id, ModuleCompletion.module_id == module.id
        )
    )
    return ModuleProgress(
        course_module=row,
        lessons=lessons,
        read_ids=_read_lesson_ids(user, [lesson.id for lesson in lessons]),
        best_percent=best_percents(user, course).get(module.id),
        pass_mark=course.pass_mark,
        is_complete=bool(completed),
    )


_IS_READ = select(LessonProgress.id).where(
    LessonProgress.user_id == bindparam("user"), LessonProgress.lesson_id == bindparam("lesson")
)


def is_lesson_read(user: User | None, lesson_id: int) -> bool:
    if user is None:
        return False
    return db.session.execute(_IS_READ, {"user": user.id, "lesson": lesson_id}).first() is not None


def _progress(user: User, lesson: Lesson) -> LessonProgress | None:
    return db.session.scalar(
        select(LessonProgress).where(LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id)
    )


def mark_lesson_read(user: User, course: Course, lesson: Lesson) -> LessonProgress:
    """Record that the learner read to the end and confirmed; idempotent. The first read is
    announced (lesson_read) and may complete the module."""
    if not shows(course, lesson):
        raise NotFound(_("Không tìm thấy bài học này."))
    record_activity(user, course)
    progress = _progress(user, lesson)
    if progress is None:
        fresh = LessonProgress(user_id=user.id, lesson_id=lesson.id, content_hash=lesson.content_hash)
        recorded, inserted = insert_once(fresh, lambda: _progress(user, lesson))
        if inserted:
            signals.lesson_read.send(SENDER, progress=recorded, user=user, lesson=lesson, course=course)
        progress = recorded
    maybe_complete_module(user, course, lesson.module)
    return progress


def _module_completion(user: User, course: Course, module: Module) -> ModuleCompletion | None:
    return db.session.scalar(
        select(ModuleCompletion).where(
            ModuleCompletion.user_id == user.id, ModuleCompletion.course_id == course.id, ModuleCompletion.module_id == module.id
        )
    )


def maybe_complete_module(user: User, course: Course, module: Module) -> ModuleCompletion | None:
    """Record module completion (once) when its lessons are read and its quiz passed."""
    existing = _module_completion(user, course, module)
    if existing is not None:
        return existing
    lessons = lessons_for(course, module)
    if len(_read_lesson_ids(user, [lesson.id for lesson in lessons])) < len(lessons):
        return None
    best = best_percents(user, course).get(module.id)
    if best is None or best < course.pass_mark:
        return None
    fresh = ModuleCompletion(user_id=user.id, course_id=course.id, module_id=module.id, best_percent=best)
    completion, inserted = insert_once(fresh, lambda: _module_completion(user, course, module))
    if inserted:
        signals.module_completed.send(SENDER, completion=completion, user=user, module=module, course=course)
        maybe_complete_course(user, course)
    return completion


def _course_completion(user: User, course: Course) -> CourseCompletion | None:
    return db.session.scalar(
        select(CourseCompletion).where(CourseCompletion.user_id == user.id, CourseCompletion.course_id == course.id)
    )


def maybe_complete_course(user: User, course: Course) -> CourseCompletion | None:
    """Record course completion (once) when every required module is complete, and announce it
    (course_completed: certificates issue theirs in this transaction)."""
    existing = _course_completion(user, course)
    if existing is not None:
        return existing
    required = {row.module_id for row in course_modules(course) if row.is_required}
    done = set(
        db.session.scalars(
            select(ModuleCompletion.module_id).where(ModuleCompletion.user_id == user.id, ModuleCompletion.course_id == course.id)
        )
    )
    if not required or not required <= done:
        return None
    fresh = CourseCompletion(user_id=user.id, course_id=course.id)
    completion, inserted = insert_once(fresh, lambda: _course_completion(user, course))
    if inserted:
        signals.course_completed.send(SENDER, completion=completion, user=user, course=course)
    return completion


def record_graded_attempt(user: User, course: Course, module: Module, percent: int, passed: bool) -> None:
    """A quiz attempt was graded: keep the best score, count the activity, complete the module
    when this attempt passed and the lessons are read."""
    record_score(user, course, module, percent)
    record_activity(user, course)
    if passed:
        maybe_complete_module(user, course, module)


def dashboard(user: User) -> list[CourseOverview]:
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == user.id).order_by(Enrollment.last_activity_at.desc())
    ).all()
    return [course_overview(user, e.course, e) for e in enrollments if not e.course.is_retired]


def export_learning(user: User) -> dict:
    """The learner's own learning records, for the personal data export (quiz attempts are the
    quizzes' section)."""
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)).all()
    lessons = db.session.execute(
        select(Lesson.slug, Module.slug, LessonProgress.read_at)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(LessonProgress.user_id == user.id)
    ).all()
    scores = db.session.execute(
        select(Course.slug, Module.slug, BestScore.best_percent)
        .join(Course, Course.id == BestScore.course_id)
        .join(Module, Module.id == BestScore.module_id)
        .where(BestScore.user_id == user.id)
    ).all()
    return {
        "enrollments": [{"course": e.course.slug, "enrolled_at": e.enrolled_at.isoformat()} for e in enrollments],
        "lessons_read": [{"module": m, "lesson": lesson, "read_at": at.isoformat()} for lesson, m, at in lessons],
        "best_scores": [{"course": c, "module": m, "percent": percent} for c, m, percent in scores],
    }
