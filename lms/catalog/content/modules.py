"""Module folders: courses/modules/<slug>/module.yaml and the lessons beside it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from lms.catalog.content.lessons import read_lesson
from lms.catalog.content.model import LessonData, ModuleData
from lms.catalog.content.reader import Reader, line_of

LESSONS_PER_MODULE = (3, 5)


def read_module(reader: Reader, folder: Path) -> ModuleData | None:
    manifest = folder / "module.yaml"
    if not manifest.is_file():
        reader.problem(folder, 1, "học phần thiếu tệp module.yaml")
        return None
    data = reader.load_mapping(manifest, "module.yaml phải là các cặp khóa: giá trị")
    if data is None:
        return None
    slug = reader.require_str(manifest, data, "slug")
    if slug and slug != folder.name:
        reader.problem(manifest, line_of(data), f"slug '{slug}' phải trùng tên thư mục '{folder.name}'")
    module = ModuleData(
        slug=folder.name,
        title=reader.require_str(manifest, data, "title"),
        summary=reader.require_str(manifest, data, "summary"),
        objectives=reader.str_list(manifest, data, "objectives"),
        sources=_module_sources(reader, manifest, data),
        lessons=_read_lessons(reader, folder),
    )
    if not LESSONS_PER_MODULE[0] <= len(module.lessons) <= LESSONS_PER_MODULE[1]:
        reader.problem(
            manifest, 1, f"học phần có {len(module.lessons)} bài; cần từ {LESSONS_PER_MODULE[0]} đến {LESSONS_PER_MODULE[1]}"
        )
    if module.lessons and not re.search(r"^## Nguồn tham khảo", module.lessons[-1].body, re.MULTILINE):
        reader.problem(manifest, 1, "bài cuối của học phần phải kết thúc bằng mục '## Nguồn tham khảo'")
    return module


def _read_lessons(reader: Reader, folder: Path) -> list[LessonData]:
    """The folder's lessons in their order; a lesson whose slug or order repeats another's is left out."""
    lessons: list[LessonData] = []
    slugs: dict[str, str] = {}
    orders: dict[int, str] = {}
    for path in sorted(folder.glob("*.md")):
        lesson = read_lesson(reader, path)
        if lesson is None:
            continue
        if lesson.slug in slugs:
            reader.problem(path, 2, f"slug bài học '{lesson.slug}' trùng với {slugs[lesson.slug]}")
            continue
        if lesson.position in orders:
            reader.problem(path, 2, f"order {lesson.position} trùng với {orders[lesson.position]}")
            continue
        slugs[lesson.slug] = lesson.path
        orders[lesson.position] = lesson.path
        lessons.append(lesson)
    return sorted(lessons, key=lambda item: item.position)


def _module_sources(reader: Reader, path: Path, data: dict) -> list[str]:
    """A module names its sources as strings, or as {title, url, date} like a lesson; stored as labels."""
    raw = data.get("sources")
    if not isinstance(raw, list) or not raw:
        reader.problem(path, line_of(data), "'sources' phải là danh sách nguồn không rỗng")
        return []
    labels = []
    for item in raw:
        if isinstance(item, str) and item.strip():
            labels.append(item.strip())
        elif isinstance(item, dict) and isinstance(item.get("title"), str) and item["title"].strip():
            when = item.get("date")
            parts = [item["title"].strip(), str(item.get("url") or "").strip()]
            label = " — ".join(part for part in parts if part)
            labels.append(f"{label} ({when.strftime('%d/%m/%Y')})" if isinstance(when, date) else label)
        else:
            reader.problem(path, line_of(item, line_of(data)), "mỗi nguồn là một chuỗi, hoặc {title, url, date}")
    return labels
