"""Lesson files: Markdown with a YAML front matter between two '---' lines."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from lms.catalog.content.checks import check_reviewed
from lms.catalog.content.model import CHECK, DANGEROUS_RE, ITEM_AUDIENCES, RAW_HTML_RE, REVIEW, SLUG_RE, LessonData
from lms.catalog.content.reader import Reader, line_of

LESSON_WORDS = (300, 900)
FRONT_MATTER_KEYS = {"title", "slug", "audience", "minutes", "order"}
IMAGE_RE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def read_lesson(reader: Reader, path: Path) -> LessonData | None:
    split = _split_front_matter(reader, path)
    if split is None:
        return None
    meta, body, body_first_line = split
    ok = _check_meta(reader, path, meta)
    words = len(body.split())
    if not LESSON_WORDS[0] <= words <= LESSON_WORDS[1]:
        reader.problem(path, body_first_line, f"bài học có {words} từ; cần từ {LESSON_WORDS[0]} đến {LESSON_WORDS[1]}")
    _check_body(reader, path, body, body_first_line)
    _check_images(reader, path, body, body_first_line)
    if not ok:
        return None
    return LessonData(
        slug=str(meta["slug"]),
        title=meta["title"].strip(),
        audience=meta["audience"],
        minutes=meta["minutes"],
        position=meta["order"],
        body=body,
        path=reader.rel(path),
        body_line=body_first_line,
        reviewed=check_reviewed(reader, path, meta),
        sources=lesson_sources(reader, path, meta),
    )


def _split_front_matter(reader: Reader, path: Path) -> tuple[dict, str, int] | None:
    """(front matter, body, the body's first line), or None with the problem noted."""
    text = reader.read_text(path)
    if text is None:
        return None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        reader.problem(path, 1, "thiếu phần đầu (front matter) mở bằng '---'")
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        reader.problem(path, 1, "phần đầu (front matter) không có dòng '---' đóng")
        return None
    meta = reader.load_yaml(path, "\n".join(lines[1:end]), first_line=2)
    if not isinstance(meta, dict):
        if meta is not None:
            reader.problem(path, 2, "phần đầu phải là các cặp khóa: giá trị")
        return None
    missing = FRONT_MATTER_KEYS - set(meta)
    if missing:
        reader.problem(path, 2, f"phần đầu thiếu: {', '.join(sorted(missing))}")
        return None
    return meta, "\n".join(lines[end + 1 :]).strip("\n") + "\n", end + 2


def _check_meta(reader: Reader, path: Path, meta: dict) -> bool:
    ok = True
    slug = str(meta["slug"])
    if not SLUG_RE.match(slug):
        reader.problem(path, 2, f"slug '{slug}' chỉ gồm chữ thường không dấu, số và dấu gạch nối")
        ok = False
    if meta["audience"] not in ITEM_AUDIENCES:
        reader.problem(path, 2, f"audience phải là một trong: {', '.join(sorted(ITEM_AUDIENCES))}")
        ok = False
    for key in ("minutes", "order"):
        if not isinstance(meta[key], int) or isinstance(meta[key], bool) or meta[key] < 1:
            reader.problem(path, 2, f"'{key}' phải là số nguyên dương")
            ok = False
    if not isinstance(meta["title"], str) or not meta["title"].strip():
        reader.problem(path, 2, "thiếu tiêu đề (title)")
        ok = False
    return ok


def _check_body(reader: Reader, path: Path, body: str, first_line: int) -> None:
    in_code = False
    for offset, line in enumerate(body.splitlines()):
        number = first_line + offset
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        visible = re.sub(r"`[^`]*`", "", line)
        if DANGEROUS_RE.search(visible):
            reader.problem(path, number, "có mã HTML/JavaScript nguy hiểm (script, iframe, on...=, javascript:)")
        elif RAW_HTML_RE.search(visible):
            reader.problem(path, number, "không dùng HTML thô trong bài học; hãy viết bằng Markdown")


def _check_images(reader: Reader, path: Path, body: str, first_line: int) -> None:
    """Each image has alt text and is a file inside the module's folder."""
    folder = path.parent.resolve()
    for offset, line in enumerate(body.splitlines()):
        for alt, src in IMAGE_RE.findall(line):
            if not alt.strip():
                reader.problem(path, first_line + offset, f"ảnh {src} thiếu mô tả (alt text)")
            if "://" in src:
                reader.problem(path, first_line + offset, f"ảnh {src} phải nằm trong thư mục của học phần")
                continue
            target = (path.parent / src).resolve()
            if not target.is_file() or folder not in target.parents:
                reader.problem(path, first_line + offset, f"không tìm thấy ảnh {src}")


def lesson_sources(reader: Reader, path: Path, meta: dict) -> list[dict[str, Any]]:
    """`sources:` a list of {title, url (optional), date}; the date is the source document's."""
    raw = meta.get("sources")
    if raw is None or raw == []:
        reader.problem(path, 2, "thiếu 'sources': các nguồn của bài, mỗi nguồn có title và date", REVIEW)
        return []
    if not isinstance(raw, list):
        reader.problem(path, 2, "'sources' phải là danh sách {title, url, date}", CHECK)
        return []
    sources = []
    for item in raw:
        line = line_of(item, 1) + 1  # the front matter starts on line 2 of the file
        if not isinstance(item, dict) or not isinstance(item.get("title"), str) or not item["title"].strip():
            reader.problem(path, line, "mỗi nguồn cần 'title' (tên văn bản, trang hoặc bài báo)", CHECK)
            continue
        url = item.get("url")
        if url is not None and not (isinstance(url, str) and re.match(r"^https?://\S+$", url)):
            reader.problem(path, line, f"nguồn '{item['title']}': url phải bắt đầu bằng http:// hoặc https://", CHECK)
        if not isinstance(item.get("date"), date):
            reader.problem(path, line, f"nguồn '{item['title']}' thiếu 'date' (ngày của văn bản, dạng YYYY-MM-DD)", REVIEW)
        sources.append({key: value for key, value in item.items() if key != "__line__"})
    return sources
