"""What every content reader shares: UTF-8 and NFC checks, YAML with line numbers, and the
list of problems with the file and line each belongs to."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from lms.catalog.content.model import LOAD, Problem


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every mapping as '__line__'."""


def _construct_mapping(loader, node, deep=False):
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def line_of(data: Any, default: int = 1) -> int:
    return data.get("__line__", default) if isinstance(data, dict) else default


class Reader:
    """One run over the content tree: its root, the day review dates are judged against, and
    the problems found so far."""

    def __init__(self, root: Path, today: date):
        self.root = root
        self.today = today
        self.problems: list[Problem] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def problem(self, path: Path, line: int, message: str, level: str = LOAD) -> None:
        self.problems.append(Problem(self.rel(path), line, message, level))

    def read_text(self, path: Path) -> str | None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.problem(path, 1, f"tệp không phải UTF-8: {exc}")
            return None
        for number, line in enumerate(text.splitlines(), start=1):
            if not unicodedata.is_normalized("NFC", line):
                self.problem(path, number, "văn bản chưa chuẩn hóa Unicode NFC")
                break
        return text

    def load_yaml(self, path: Path, text: str | None = None, first_line: int = 1) -> Any:
        text = self.read_text(path) if text is None else text
        if text is None:
            return None
        try:
            return yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = (mark.line + first_line) if mark else first_line
            self.problem(path, line, f"YAML không đọc được: {getattr(exc, 'problem', exc)}")
            return None

    def load_mapping(self, path: Path, message: str) -> dict | None:
        """A YAML file that must hold key: value pairs; None (with the problem noted) otherwise."""
        data = self.load_yaml(path)
        if data is not None and not isinstance(data, dict):
            self.problem(path, 1, message)
        return data if isinstance(data, dict) else None

    def require_str(self, path: Path, data: dict, key: str, line: int | None = None) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.problem(path, line or line_of(data), f"thiếu '{key}' (chuỗi không rỗng)")
            return ""
        return value.strip()

    def str_list(self, path: Path, data: dict, key: str) -> list[str]:
        value = data.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(path, line_of(data), f"'{key}' phải là danh sách chuỗi không rỗng")
            return []
        return [v.strip() for v in value]
