"""Question banks: quizzes/<module slug>.yaml, each question checked against its type and
against the lessons it names in taught_in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from lms.catalog.content.checks import check_key_fact
from lms.catalog.content.model import CHECK, DANGEROUS_RE, ITEM_AUDIENCES, LOAD, RAW_HTML_RE, ModuleData, QuestionData
from lms.catalog.content.reader import FAST_LOADER, Reader, line_of
from lms.catalog.question_types import QuestionSpecError, get_type

QUESTION_ID_RE = re.compile(r"^[a-z0-9]+-\d{3,}$")
QUESTION_KEYS = {"id", "type", "audience", "prompt", "options", "answer", "explanation", "taught_in", "__line__"}


class _Bank:
    """One bank file being read: its path, its module, and the question ids seen in every bank."""

    def __init__(self, reader: Reader, path: Path, module: ModuleData, modules: dict[str, ModuleData], seen_ids: dict):
        self.reader, self.path, self.module, self.modules, self.seen_ids = reader, path, module, modules, seen_ids

    def problem(self, line: int, message: str, level: str = LOAD) -> None:
        self.reader.problem(self.path, line, message, level)


def read_bank(reader: Reader, path: Path, modules: dict[str, ModuleData], seen_ids: dict[str, str]) -> None:
    """Read one bank; its valid questions are appended to their module."""
    data = reader.load_mapping(path, "ngân hàng câu hỏi phải là các cặp khóa: giá trị")
    if data is None:
        return
    module_slug = data.get("module")
    if module_slug != path.stem:
        reader.problem(path, line_of(data), f"module '{module_slug}' phải trùng tên tệp '{path.stem}'")
        return
    module = modules.get(module_slug)
    if module is None:
        reader.problem(path, line_of(data), f"không có học phần '{module_slug}' trong courses/modules/")
        return
    items = data.get("questions")
    if not isinstance(items, list):
        reader.problem(path, line_of(data), "thiếu danh sách 'questions'")
        return
    bank = _Bank(reader, path, module, modules, seen_ids)
    for item in items:
        question = _read_question(bank, item)
        if question is not None:
            module.questions.append(question)


def _question_key(bank: _Bank, item: Any, line: int) -> str | None:
    """The question's id when the item is a mapping with a new, well-formed id."""
    if not isinstance(item, dict):
        bank.problem(line, "mỗi câu hỏi phải là các cặp khóa: giá trị")
        return None
    key = str(item.get("id", ""))
    if not QUESTION_ID_RE.match(key):
        bank.problem(line, f"id câu hỏi '{key}' không hợp lệ (ví dụ b01-001)")
        return None
    if key in bank.seen_ids:
        bank.problem(line, f"id câu hỏi '{key}' trùng với {bank.seen_ids[key]}")
        return None
    bank.seen_ids[key] = f"{bank.reader.rel(bank.path)}:{line}"
    return key


def _read_question(bank: _Bank, item: Any) -> QuestionData | None:
    line = line_of(item)
    key = _question_key(bank, item, line)
    if key is None:
        return None
    audience = item.get("audience", "all")
    if audience not in ITEM_AUDIENCES:
        bank.problem(line, f"{key}: audience phải là all hoặc members")
        return None
    prompt = bank.reader.require_str(bank.path, item, "prompt", line)
    explanation = bank.reader.require_str(bank.path, item, "explanation", line)
    try:
        qtype = get_type(str(item.get("type", "")))
        normalized = qtype.normalize(item)
    except QuestionSpecError as exc:
        bank.problem(line, f"{key}: {exc}")
        return None
    unknown = set(item) - QUESTION_KEYS
    if unknown:
        bank.problem(line, f"{key}: khóa lạ: {', '.join(sorted(unknown))}")
    for text in [prompt, explanation] + [o["text"] for o in normalized.options]:
        if DANGEROUS_RE.search(text) or RAW_HTML_RE.search(text):
            bank.problem(line, f"{key}: không dùng HTML trong câu hỏi")
            break
    if not prompt or not explanation:
        return None
    question = QuestionData(
        key=key,
        type=qtype.name,
        audience=audience,
        prompt=prompt,
        options=normalized.options,
        correct=normalized.correct,
        explanation=explanation,
        taught_in=_taught_in(bank, line, key, audience, item.get("taught_in")),
    )
    if question.taught_in:
        check_key_fact(bank.reader, bank.path, line, bank.module, question)
    return question


def _taught_in(bank: _Bank, line: int, key: str, audience: str, raw: Any) -> list[str]:
    """The lesson slugs of the question's own module that teach it; [] (with a problem) when unusable."""
    if raw is None:
        bank.problem(line, f"{key}: thiếu 'taught_in' (slug của bài học dạy câu này)", CHECK)
        return []
    slugs = [raw] if isinstance(raw, str) else raw
    if not isinstance(slugs, list) or not slugs or not all(isinstance(s, str) and s.strip() for s in slugs):
        bank.problem(line, f"{key}: 'taught_in' phải là một slug bài học hoặc danh sách slug", CHECK)
        return []
    module = bank.module
    lessons = {lesson.slug: lesson for lesson in module.lessons}
    good = []
    for slug in (s.strip() for s in slugs):
        lesson = lessons.get(slug)
        if lesson is None:
            elsewhere = [m.slug for m in bank.modules.values() if m is not module and any(x.slug == slug for x in m.lessons)]
            where = f"; bài này thuộc học phần {', '.join(elsewhere)}" if elsewhere else ""
            bank.problem(line, f"{key}: taught_in '{slug}' không phải bài học của học phần {module.slug}{where}", CHECK)
        elif audience == "all" and lesson.audience == "members":
            bank.problem(line, f"{key}: câu dành cho mọi khóa nhưng bài '{slug}' chỉ có trong khóa thành viên", CHECK)
        else:
            good.append(slug)
    return good if len(good) == len(slugs) else []


def read_taught_in(path: Path) -> dict[str, list[str]]:
    """Question id -> lesson slugs, read straight from one bank file; tolerant of a broken
    file (content-check reports it), which then simply gives no links."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=FAST_LOADER)  # noqa: S506 (a safe loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    items = data.get("questions") if isinstance(data, dict) else None
    found = {}
    for item in items if isinstance(items, list) else []:
        raw = item.get("taught_in") if isinstance(item, dict) else None
        slugs = [raw] if isinstance(raw, str) else raw
        if isinstance(slugs, list):
            found[str(item.get("id"))] = [s.strip() for s in slugs if isinstance(s, str)]
    return found
