"""Course manifests: courses/<slug>.yaml."""

from __future__ import annotations

from pathlib import Path

from lms.catalog.content.model import COURSE_AUDIENCES, CourseData
from lms.catalog.content.reader import Reader, line_of

# key in the file, default, lowest, highest
NUMBERS = (
    ("pass_mark", 80, 1, 100),
    ("questions_per_attempt", 10, 1, 50),
    ("attempt_cooldown_minutes", 0, 0, 7 * 24 * 60),
)


def read_course(reader: Reader, path: Path, position: int) -> CourseData | None:
    data = reader.load_mapping(path, "tệp khóa học phải là các cặp khóa: giá trị")
    if data is None:
        return None
    slug = reader.require_str(path, data, "slug")
    if slug and slug != path.stem:
        reader.problem(path, line_of(data), f"slug '{slug}' phải trùng tên tệp '{path.stem}'")
    audience = data.get("audience")
    if audience not in COURSE_AUDIENCES:
        reader.problem(path, line_of(data), f"audience phải là một trong: {', '.join(sorted(COURSE_AUDIENCES))}")
    numbers = _numbers(reader, path, data)
    modules = _modules(reader, path, data)
    return CourseData(
        slug=path.stem,
        title=reader.require_str(path, data, "title"),
        audience=audience if audience in COURSE_AUDIENCES else "citizens",
        summary=reader.require_str(path, data, "summary"),
        who_for=reader.require_str(path, data, "who_for"),
        pass_mark=numbers["pass_mark"],
        questions_per_attempt=numbers["questions_per_attempt"],
        cooldown_minutes=numbers["attempt_cooldown_minutes"],
        certificate_title=reader.require_str(path, data, "certificate_title"),
        modules=[(slug, required) for slug, required, _ in modules],
        position=position,
        module_lines={slug: line for slug, _, line in modules},
    )


def _numbers(reader: Reader, path: Path, data: dict) -> dict[str, int]:
    numbers = {}
    for key, default, low, high in NUMBERS:
        value = data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            reader.problem(path, line_of(data), f"'{key}' phải là số nguyên từ {low} đến {high}")
            value = default
        numbers[key] = value
    return numbers


def _modules(reader: Reader, path: Path, data: dict) -> list[tuple[str, bool, int]]:
    """(module slug, required, line in the file) for each entry of `modules`."""
    raw_modules = data.get("modules")
    if not isinstance(raw_modules, list) or not raw_modules:
        reader.problem(path, line_of(data), "thiếu danh sách 'modules'")
        return []
    modules = []
    for entry in raw_modules:
        if not isinstance(entry, dict) or not isinstance(entry.get("slug"), str):
            reader.problem(path, line_of(entry, line_of(data)), "mỗi mục trong modules cần 'slug'")
            continue
        required = entry.get("required", True)
        if not isinstance(required, bool):
            reader.problem(path, line_of(entry), "'required' phải là true hoặc false")
            required = True
        modules.append((entry["slug"], required, line_of(entry)))
    return modules
