"""The plain data the content readers return, and the problems they report."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

# Problem levels. LOAD: the content cannot be loaded as written (content-check and content-sync
# refuse it). CHECK: an editorial rule (content-check fails, content-sync still loads). REVIEW:
# review dates and dated sources (content-check warns, and fails with --strict).
LOAD, CHECK, REVIEW = "load", "check", "review"

COURSE_AUDIENCES = {"citizens", "members", "officials"}
ITEM_AUDIENCES = {"all", "members"}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RAW_HTML_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|<!--")
DANGEROUS_RE = re.compile(r"<\s*(script|iframe|object|embed|style)\b|\bon[a-z]+\s*=|javascript:", re.IGNORECASE)


def content_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


@dataclass
class Problem:
    path: str
    line: int
    message: str
    level: str = LOAD

    def __str__(self) -> str:
        label = "cảnh báo: " if self.level == REVIEW else ""
        return f"{self.path}:{self.line}: {label}{self.message}"


@dataclass
class LessonData:
    slug: str
    title: str
    audience: str
    minutes: int
    position: int
    body: str
    path: str
    body_line: int = 1
    reviewed: date | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        # Review dates and sources are editorial notes: changing them makes no new version.
        return content_hash([self.title, self.audience, self.minutes, self.position, self.body])


@dataclass
class QuestionData:
    key: str
    type: str
    audience: str
    prompt: str
    options: list[dict[str, str]]
    correct: list[str]
    explanation: str
    # Not part of the hash: pointing a question at another lesson changes no attempt's meaning.
    taught_in: list[str] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return content_hash([self.type, self.audience, self.prompt, self.options, self.correct, self.explanation])


@dataclass
class ModuleData:
    slug: str
    title: str
    summary: str
    objectives: list[str]
    sources: list[str]
    lessons: list[LessonData] = field(default_factory=list)
    questions: list[QuestionData] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return content_hash([self.title, self.summary, self.objectives, self.sources])


@dataclass
class CourseData:
    slug: str
    title: str
    audience: str
    summary: str
    who_for: str
    pass_mark: int
    questions_per_attempt: int
    cooldown_minutes: int
    certificate_title: str
    modules: list[tuple[str, bool]]  # (module slug, required)
    position: int
    # Where each module is listed in the course file, for problems about it (not hashed).
    module_lines: dict[str, int] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        return content_hash(
            [self.title, self.audience, self.summary, self.who_for, self.pass_mark,
             self.questions_per_attempt, self.cooldown_minutes, self.certificate_title, self.modules]
        )  # fmt: skip


@dataclass
class ContentBundle:
    courses: dict[str, CourseData] = field(default_factory=dict)
    modules: dict[str, ModuleData] = field(default_factory=dict)
    root: Path | None = None
