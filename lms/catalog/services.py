"""Catalogue services: load content from disk, and read courses, modules and lessons."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer, lazyload

from lms.catalog.content import LOAD, ContentBundle, Problem, load_content, read_taught_in
from lms.catalog.models import Course, CourseModule, Lesson, Module, Question
from lms.catalog.sync import SyncReport, sync_content
from lms.core.errors import DomainError, NotFound
from lms.core.extensions import db

AUDIENCE_LABELS = {"citizens": _l("Người dân"), "members": _l("Thành viên Tổ CNSCĐ"), "officials": _l("Cán bộ xã, tỉnh")}


class ContentInvalid(DomainError):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} lỗi nội dung")
        self.problems = problems


def content_root() -> Path:
    return Path(current_app.config["CONTENT_ROOT"])


def check_content(root: Path | None = None) -> tuple[ContentBundle, list[Problem]]:
    return load_content(root or content_root())


def sync_from_disk(root: Path | None = None) -> SyncReport:
    """Validate everything first; load nothing unless the whole content loads. Editorial
    problems (content-check's CHECK and REVIEW levels) do not block the sync: the report
    carries their count, and content-check is the gate before a merge."""
    bundle, problems = check_content(root)
    blocking = [p for p in problems if p.level == LOAD]
    if blocking:
        raise ContentInvalid(blocking)
    report = sync_content(bundle)
    report.editorial_problems = len(problems)
    forget_lesson_keys()
    return report


_taught_in_files: dict[Path, tuple[tuple[int, int], dict[str, list[str]]]] = {}


def _taught_in(module_slug: str) -> dict[str, list[str]]:
    """The bank file's taught_in fields, re-read only when the file changes. They are not
    stored: a lesson link changes no question's meaning, so it needs no new version."""
    path = content_root() / "quizzes" / f"{module_slug}.yaml"
    try:
        stat = path.stat()
    except OSError:
        return {}
    stamp = (stat.st_mtime_ns, stat.st_size)
    known = _taught_in_files.get(path)
    if known is None or known[0] != stamp:
        known = (stamp, read_taught_in(path))
        _taught_in_files[path] = known
    return known[1]


def lessons_teaching(module: Module, lessons: list[Lesson], question_ids: list[int]) -> dict[int, list[Lesson]]:
    """For each question id, the lessons (among `lessons`, those the course shows) that teach it.
    Old versions of a question share its id, so they link to the lesson of today's version."""
    if not question_ids:
        return {}
    keys = dict(db.session.execute(select(Question.id, Question.key).where(Question.id.in_(question_ids))).all())
    taught = _taught_in(module.slug)
    by_slug = {lesson.slug: lesson for lesson in lessons}
    return {qid: [by_slug[s] for s in taught.get(key, []) if s in by_slug] for qid, key in keys.items()}


def list_courses() -> list[Course]:
    return list(db.session.scalars(select(Course).where(Course.is_retired.is_(False)).order_by(Course.position)))


def get_course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug, Course.is_retired.is_(False)))
    if course is None:
        raise NotFound(_("Không tìm thấy khóa học này."))
    return course


def audiences_for(course: Course) -> tuple[str, ...]:
    """Which lesson/question audiences a course shows: members also see members-only items."""
    return _audiences(course.audience)


def _audiences(course_audience: str) -> tuple[str, ...]:
    return ("all", "members") if course_audience == "members" else ("all",)


def shows(course: Course, item: Lesson | Question) -> bool:
    """The audience rule for one lesson or question: not retired, and meant for this course."""
    return not item.is_retired and item.audience in audiences_for(course)


def course_modules(course: Course) -> list[CourseModule]:
    return list(
        db.session.scalars(
            select(CourseModule)
            .join(Module)
            .where(CourseModule.course_id == course.id, Module.is_retired.is_(False))
            .order_by(CourseModule.position)
        )
    )


def get_course_module(course: Course, module_slug: str) -> CourseModule:
    row = db.session.scalar(
        select(CourseModule)
        .join(Module)
        .where(CourseModule.course_id == course.id, Module.slug == module_slug, Module.is_retired.is_(False))
    )
    if row is None:
        raise NotFound(_("Không tìm thấy học phần này trong khóa học."))
    return row


def lessons_for(course: Course, module: Module | None = None) -> list[Lesson]:
    """The lessons a course shows, in reading order: of one module, or (module=None) of all the
    course's modules at once (ordered by module id, then position; group them by module_id).

    Outlines need titles, slugs and ids only: the bodies stay in the database until one is read
    (a deferred column, loaded on access), and each lesson's module comes from the session's
    identity map (loaded once by course_modules or get_course_module) instead of a join that
    decoded every module's JSON columns once per lesson."""
    stmt = (
        select(Lesson)
        .options(defer(Lesson.body_md), defer(Lesson.body_html), lazyload(Lesson.module))
        .where(Lesson.is_retired.is_(False), Lesson.audience.in_(audiences_for(course)))
    )
    if module is not None:
        return list(db.session.scalars(stmt.where(Lesson.module_id == module.id).order_by(Lesson.position)))
    in_course = select(CourseModule.module_id).where(CourseModule.course_id == course.id)
    return list(db.session.scalars(stmt.where(Lesson.module_id.in_(in_course)).order_by(Lesson.module_id, Lesson.position)))


def module_context(course_slug: str, module_slug: str) -> tuple[Course, CourseModule, list[Lesson]]:
    """A course, one of its modules, and the lessons the course shows of it; NotFound otherwise."""
    course = get_course(course_slug)
    course_module = get_course_module(course, module_slug)
    return course, course_module, lessons_for(course, course_module.module)


def lesson_index(lessons: list[Lesson], lesson_slug: str) -> int:
    """Where a lesson stands among a module's lessons; NotFound when the course does not show it."""
    index = next((i for i, item in enumerate(lessons) if item.slug == lesson_slug), None)
    if index is None:
        raise NotFound(_("Không tìm thấy bài học này."))
    return index


def questions_for(course: Course, module: Module) -> list[Question]:
    """The questions a course draws from for one module: current, not retired, for its audience."""
    return list(
        db.session.scalars(
            select(Question)
            .where(
                Question.module_id == module.id,
                Question.is_retired.is_(False),
                Question.audience.in_(audiences_for(course)),
                Question.current_version_id.is_not(None),
            )
            .order_by(Question.position, Question.id)
        )
    )


def courses_containing(module_slug: str) -> list[Course]:
    return list(
        db.session.scalars(
            select(Course)
            .join(CourseModule)
            .join(Module)
            .where(Module.slug == module_slug, Course.is_retired.is_(False))
            .order_by(Course.position)
        )
    )


def course_for_audience(audience: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.audience == audience, Course.is_retired.is_(False)))


@dataclass(frozen=True)
class LessonKey:
    """What identifies one rendering of a lesson page: ids and the content hashes it shows."""

    course_id: int
    lesson_id: int
    hashes: tuple[str, str, str]


# Built once: constructing the statement costs more than running it on this hot path.
_LESSON_KEY = (
    select(Course.id, Course.audience, Lesson.id, Lesson.audience, Course.content_hash, Module.content_hash,
           Lesson.content_hash)
    .join(CourseModule, CourseModule.course_id == Course.id)
    .join(Module, Module.id == CourseModule.module_id)
    .join(Lesson, Lesson.module_id == Module.id)
    .where(Course.slug == bindparam("course"), Module.slug == bindparam("module"), Lesson.slug == bindparam("lesson"),
           Course.is_retired.is_(False), Module.is_retired.is_(False), Lesson.is_retired.is_(False))
)  # fmt: skip


LESSON_KEY_SECONDS = 5.0
_lesson_keys: dict[tuple[str, str, str], tuple[float, LessonKey]] = {}


def forget_lesson_keys() -> None:
    _lesson_keys.clear()


def lesson_key(course_slug: str, module_slug: str, lesson_slug: str) -> LessonKey:
    """Is this lesson visible in this course, and which content versions does it show.

    Remembered for a few seconds per process: content changes only with content-sync,
    and a public lesson page then needs no database round trip at all."""
    wanted = (course_slug, module_slug, lesson_slug)
    now = time.monotonic()
    known = _lesson_keys.get(wanted)
    if known is not None and known[0] > now:
        return known[1]
    key = _load_lesson_key(course_slug, module_slug, lesson_slug)
    if len(_lesson_keys) > 4096:
        _lesson_keys.clear()
    _lesson_keys[wanted] = (now + LESSON_KEY_SECONDS, key)
    return key


def _load_lesson_key(course_slug: str, module_slug: str, lesson_slug: str) -> LessonKey:
    row = db.session.execute(_LESSON_KEY, {"course": course_slug, "module": module_slug, "lesson": lesson_slug}).first()
    if row is None:
        raise NotFound(_("Không tìm thấy bài học này."))
    course_id, course_audience, lesson_id, lesson_audience, course_hash, module_hash, lesson_hash = row
    if lesson_audience not in _audiences(course_audience):
        raise NotFound(_("Không tìm thấy bài học này."))
    return LessonKey(course_id, lesson_id, (course_hash, module_hash, lesson_hash))
