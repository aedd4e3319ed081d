"""Read and validate the course files (courses/, quizzes/) into plain data.

Nothing here touches the database: `load_content()` returns a ContentBundle and
a list of problems, each with the file and line it belongs to, so
`flask lms content-check` can print them as `file:line: message`.

One reader per kind of file: course manifests (courses.py), module folders
(modules.py), lessons with their front matter (lessons.py) and question banks
(banks.py); the checks across them (review dates, key facts, references) are in
checks.py, the data they return in model.py.

Problems have a level. LOAD: the content cannot be loaded as written, so
content-check and content-sync both refuse it. CHECK: an editorial rule (each
question names the lesson that teaches it and that lesson holds its key fact;
lesson sources well formed): content-check fails, content-sync still loads the
content. REVIEW: review dates and dated sources: content-check warns, and
fails with --strict.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lms.catalog.content.banks import read_bank, read_taught_in
from lms.catalog.content.checks import check_references, content_pairs, content_words, exact_terms, normalize_text
from lms.catalog.content.courses import read_course
from lms.catalog.content.model import (
    CHECK,
    LOAD,
    REVIEW,
    SLUG_RE,
    ContentBundle,
    CourseData,
    LessonData,
    ModuleData,
    Problem,
    QuestionData,
    content_hash,
)
from lms.catalog.content.modules import read_module
from lms.catalog.content.reader import Reader

__all__ = [
    "CHECK",
    "LOAD",
    "REVIEW",
    "ContentBundle",
    "CourseData",
    "LessonData",
    "ModuleData",
    "Problem",
    "QuestionData",
    "content_hash",
    "content_pairs",
    "content_words",
    "exact_terms",
    "load_content",
    "normalize_text",
    "read_taught_in",
]


def load_content(root: Path, today: date | None = None) -> tuple[ContentBundle, list[Problem]]:
    """Read every course, module, lesson and question bank under root; review dates are
    judged against `today` (default: the current date)."""
    reader = Reader(root, today or date.today())
    bundle = ContentBundle(root=root)
    modules_dir = root / "courses" / "modules"
    if not modules_dir.is_dir():
        reader.problem(modules_dir, 1, "không có thư mục courses/modules")
        return bundle, reader.problems
    for folder in sorted(p for p in modules_dir.iterdir() if p.is_dir()):
        if not SLUG_RE.match(folder.name):
            reader.problem(folder, 1, "tên thư mục học phần chỉ gồm chữ thường không dấu, số và dấu gạch nối")
            continue
        module = read_module(reader, folder)
        if module is not None:
            bundle.modules[module.slug] = module
    seen_ids: dict[str, str] = {}
    for path in sorted((root / "quizzes").glob("*.yaml")):
        read_bank(reader, path, bundle.modules, seen_ids)
    for position, path in enumerate(sorted((root / "courses").glob("*.yaml"))):
        course = read_course(reader, path, position)
        if course is not None:
            bundle.courses[course.slug] = course
    if not bundle.courses:
        reader.problem(root / "courses", 1, "không có tệp khóa học nào (courses/*.yaml)")
    check_references(reader, root, bundle)
    reader.problems.sort(key=lambda p: (p.path, p.line))
    return bundle, reader.problems
