"""Upsert validated content into the database by slug and content hash.

Running it twice changes nothing. An edited question gets a new version, so
attempts keep the text they were graded on. Content that disappeared from the
files is retired (hidden), never deleted, so learners' history stays intact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.catalog.content import ContentBundle, LessonData, ModuleData, QuestionData
from lms.catalog.models import Course, CourseModule, Lesson, Module, Question, QuestionVersion
from lms.core.extensions import db
from lms.core.markdown import render_markdown
from lms.core.models import utcnow


@dataclass
class SyncReport:
    counts: Counter = field(default_factory=Counter)
    editorial_problems: int = 0  # content-check problems that do not stop a sync

    def add(self, kind: str, what: str) -> None:
        self.counts[(kind, what)] += 1

    @property
    def changed(self) -> bool:
        return any(what != "unchanged" for (_, what) in self.counts)

    def lines(self) -> list[str]:
        kinds = ["course", "module", "lesson", "question"]
        names = {"course": "khóa học", "module": "học phần", "lesson": "bài học", "question": "câu hỏi"}
        out = []
        for kind in kinds:
            parts = [
                f"{self.counts[(kind, w)]} {w}" for w in ("created", "updated", "retired", "unchanged") if self.counts[(kind, w)]
            ]
            out.append(f"{names[kind]}: " + (", ".join(parts) or "0"))
        return out


def lesson_link(target: str) -> str:
    return f"/lessons/{target}"


def render_lesson(module_slug: str, body: str) -> str:
    return render_markdown(body, resolve_link=lesson_link, resolve_image=lambda src: f"/content/{module_slug}/{src}")


def _sync_lessons(module: Module, data: ModuleData, report: SyncReport) -> None:
    existing = {lesson.slug: lesson for lesson in db.session.scalars(select(Lesson).where(Lesson.module_id == module.id))}
    wanted: dict[str, LessonData] = {lesson.slug: lesson for lesson in data.lessons}
    # Free positions first so a reorder never trips over itself.
    for slug, item in wanted.items():
        row = existing.get(slug)
        if row is None:
            db.session.add(
                Lesson(
                    module_id=module.id, slug=slug, title=item.title, audience=item.audience, minutes=item.minutes,
                    position=item.position, body_md=item.body, body_html=render_lesson(data.slug, item.body),
                    content_hash=item.content_hash,
                )
            )  # fmt: skip
            report.add("lesson", "created")
        elif row.content_hash != item.content_hash or row.is_retired:
            row.title, row.audience, row.minutes, row.position = item.title, item.audience, item.minutes, item.position
            row.body_md, row.body_html = item.body, render_lesson(data.slug, item.body)
            row.content_hash, row.is_retired, row.updated_at = item.content_hash, False, utcnow()
            report.add("lesson", "updated")
        else:
            report.add("lesson", "unchanged")
    for slug, row in existing.items():
        if slug not in wanted and not row.is_retired:
            row.is_retired = True
            row.updated_at = utcnow()
            report.add("lesson", "retired")


def _new_version(question: Question, item: QuestionData, number: int) -> QuestionVersion:
    return QuestionVersion(
        question_id=question.id, version=number, type=item.type, prompt=item.prompt, options=item.options,
        correct=item.correct, explanation=item.explanation, content_hash=item.content_hash,
    )  # fmt: skip


def _sync_questions(module: Module, data: ModuleData, report: SyncReport) -> None:
    existing = {q.key: q for q in db.session.scalars(select(Question).where(Question.module_id == module.id))}
    wanted = {q.key: (position, q) for position, q in enumerate(data.questions)}
    moved: dict[str, Question] = {}
    for key, (position, item) in wanted.items():
        row = existing.get(key)
        if row is None:
            # The id may have moved from another module's bank.
            row = moved.get(key) or db.session.scalar(select(Question).where(Question.key == key))
        if row is None:
            row = Question(key=key, module_id=module.id, audience=item.audience, position=position)
            db.session.add(row)
            db.session.flush()
            version = _new_version(row, item, 1)
            db.session.add(version)
            db.session.flush()
            row.current_version_id = version.id
            report.add("question", "created")
            continue
        current = row.current_version
        changed = current is None or current.content_hash != item.content_hash
        if changed:
            latest = max((v.version for v in db.session.scalars(
                select(QuestionVersion).where(QuestionVersion.question_id == row.id))), default=0)  # fmt: skip
            version = _new_version(row, item, latest + 1)
            db.session.add(version)
            db.session.flush()
            row.current_version_id = version.id
        if changed or row.is_retired or row.module_id != module.id or row.audience != item.audience or row.position != position:
            row.module_id, row.audience, row.position, row.is_retired = module.id, item.audience, position, False
            report.add("question", "updated")
        else:
            report.add("question", "unchanged")
    for key, row in existing.items():
        if key not in wanted and not row.is_retired:
            row.is_retired = True
            report.add("question", "retired")


def sync_content(bundle: ContentBundle) -> SyncReport:
    """Bring the database in line with a validated bundle; flushes, the caller commits."""
    report = SyncReport()
    modules = _sync_modules(bundle, report)
    _sync_courses(bundle, modules, report)
    db.session.flush()
    return report


def _sync_modules(bundle: ContentBundle, report: SyncReport) -> dict[str, Module]:
    """Modules with their lessons, then every bank (a question may move between modules)."""
    modules = {m.slug: m for m in db.session.scalars(select(Module))}
    for slug, data in bundle.modules.items():
        row = modules.get(slug)
        if row is None:
            row = Module(slug=slug, title=data.title, summary=data.summary, objectives=data.objectives,
                         sources=data.sources, content_hash=data.content_hash)  # fmt: skip
            db.session.add(row)
            db.session.flush()
            modules[slug] = row
            report.add("module", "created")
        elif row.content_hash != data.content_hash or row.is_retired:
            row.title, row.summary, row.objectives, row.sources = data.title, data.summary, data.objectives, data.sources
            row.content_hash, row.is_retired, row.updated_at = data.content_hash, False, utcnow()
            report.add("module", "updated")
        else:
            report.add("module", "unchanged")
        _sync_lessons(row, data, report)
    for slug, data in bundle.modules.items():
        _sync_questions(modules[slug], data, report)
    for slug, row in modules.items():
        if slug not in bundle.modules and not row.is_retired:
            _retire_module(row, report)
    return modules


def _retire_module(row: Module, report: SyncReport) -> None:
    row.is_retired = True
    report.add("module", "retired")
    for lesson in row.lessons:
        lesson.is_retired = True
    for question in db.session.scalars(select(Question).where(Question.module_id == row.id)):
        question.is_retired = True


def _sync_courses(bundle: ContentBundle, modules: dict[str, Module], report: SyncReport) -> None:
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    for slug, data in bundle.courses.items():
        row = courses.get(slug)
        fields = dict(
            title=data.title, audience=data.audience, summary=data.summary, who_for=data.who_for,
            pass_mark=data.pass_mark, questions_per_attempt=data.questions_per_attempt,
            cooldown_minutes=data.cooldown_minutes, certificate_title=data.certificate_title,
            position=data.position, content_hash=data.content_hash,
        )  # fmt: skip
        if row is None:
            row = Course(slug=slug, **fields)
            db.session.add(row)
            db.session.flush()
            report.add("course", "created")
        elif row.content_hash != data.content_hash or row.is_retired:
            for key, value in fields.items():
                setattr(row, key, value)
            row.is_retired, row.updated_at = False, utcnow()
            report.add("course", "updated")
        else:
            report.add("course", "unchanged")
            continue
        _sync_course_modules(row, data.modules, modules)
    for slug, row in courses.items():
        if slug not in bundle.courses and not row.is_retired:
            row.is_retired = True
            report.add("course", "retired")


def _sync_course_modules(course: Course, wanted: list[tuple[str, bool]], modules: dict[str, Module]) -> None:
    existing = {cm.module_id: cm for cm in db.session.scalars(select(CourseModule).where(CourseModule.course_id == course.id))}
    keep = set()
    for position, (slug, required) in enumerate(wanted):
        module = modules[slug]
        keep.add(module.id)
        row = existing.get(module.id)
        if row is None:
            db.session.add(CourseModule(course_id=course.id, module_id=module.id, position=position, is_required=required))
        else:
            row.position, row.is_required = position, required
    for module_id, row in existing.items():
        if module_id not in keep:
            db.session.delete(row)
