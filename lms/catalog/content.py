"""Read and validate the course files (courses/, quizzes/) into plain data.

Nothing here touches the database: `load_content()` returns a ContentBundle and
a list of problems, each with the file and line it belongs to, so
`flask lms content-check` can print them as `file:line: message`.

Problems have a level. LOAD: the content cannot be loaded as written, so
content-check and content-sync both refuse it. CHECK: an editorial rule (each
question names the lesson that teaches it and that lesson holds its key fact;
lesson sources well formed): content-check fails, content-sync still loads the
content. REVIEW: review dates and dated sources: content-check warns, and
fails with --strict.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from lms.quizzes.types import QuestionSpecError, get_type

COURSE_AUDIENCES = {"citizens", "members", "officials"}
ITEM_AUDIENCES = {"all", "members"}
LESSON_WORDS = (300, 900)
LESSONS_PER_MODULE = (3, 5)
MIN_QUESTIONS = 15
MIN_MEMBER_SCENARIOS = 3
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QUESTION_ID_RE = re.compile(r"^[a-z0-9]+-\d{3,}$")
RAW_HTML_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|<!--")
DANGEROUS_RE = re.compile(r"<\s*(script|iframe|object|embed|style)\b|\bon[a-z]+\s*=|javascript:", re.IGNORECASE)
IMAGE_RE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
LESSON_LINK_RE = re.compile(r"\]\(lesson:([a-z0-9-]+)/([a-z0-9-]+)\)")
FRONT_MATTER_KEYS = {"title", "slug", "audience", "minutes", "order"}
QUESTION_KEYS = {"id", "type", "audience", "prompt", "options", "answer", "explanation", "taught_in", "__line__"}
REVIEW_MONTHS = 12
# Shares of the correct option the lesson must contain: its content syllables (tiếng), and
# its adjacent pairs of them, which is how most Vietnamese words are written (mật khẩu).
KEY_WORD_SHARE = 0.6
KEY_PAIR_SHARE = 0.5
LOAD, CHECK, REVIEW = "load", "check", "review"
# Function words that carry no fact of their own; kept short on purpose (docs/content-guide.md).
STOP_WORDS = frozenset(
    """
    a à ạ ai bạn bằng bị bởi cả các cái cần cho chỉ chưa có còn của cùng đã đang đây để đến đều
    điều đó gì hay hãy hoặc hơn khi không là lại làm lên luôn mà mình mọi một nào này nên nếu người
    nhé nhất như nhưng những nữa ở qua ra rằng rất rồi sau sẽ tại thì theo thế trên trong từ từng
    và vào vẫn về vì với được việc
    """.split()  # noqa: SIM905 (one word list to read, not eighty lines)
)
_NOT_WORD_RE = re.compile(r"[\W_]+")
_EDGE_PUNCTUATION = ".,;:!?()[]{}«»\"'“”‘’…*`"


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
    content_hash: str = ""
    reviewed: date | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class QuestionData:
    key: str
    type: str
    audience: str
    prompt: str
    options: list[dict[str, str]]
    correct: list[str]
    explanation: str
    content_hash: str = ""
    # Not part of the hash: pointing a question at another lesson changes no attempt's meaning.
    taught_in: list[str] = field(default_factory=list)


@dataclass
class ModuleData:
    slug: str
    title: str
    summary: str
    objectives: list[str]
    sources: list[str]
    lessons: list[LessonData] = field(default_factory=list)
    questions: list[QuestionData] = field(default_factory=list)
    content_hash: str = ""


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
    content_hash: str = ""


@dataclass
class ContentBundle:
    courses: dict[str, CourseData] = field(default_factory=dict)
    modules: dict[str, ModuleData] = field(default_factory=dict)
    root: Path | None = None


def content_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every mapping as '__line__'."""


def _construct_mapping(loader, node, deep=False):
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _line(data: Any, default: int = 1) -> int:
    return data.get("__line__", default) if isinstance(data, dict) else default


class _Reader:
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
            self.problem(path, line or _line(data), f"thiếu '{key}' (chuỗi không rỗng)")
            return ""
        return value.strip()

    def str_list(self, path: Path, data: dict, key: str) -> list[str]:
        value = data.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(path, _line(data), f"'{key}' phải là danh sách chuỗi không rỗng")
            return []
        return [v.strip() for v in value]


def _check_body(reader: _Reader, path: Path, body: str, first_line: int) -> None:
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


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _check_reviewed(reader: _Reader, path: Path, meta: dict) -> date | None:
    """`reviewed: YYYY-MM-DD`; a warning when missing, partial or older than REVIEW_MONTHS."""
    value = meta.get("reviewed")
    if isinstance(value, datetime):  # "2026-12-01 09:00" reads as a datetime: keep its day
        value = value.date()
    if not isinstance(value, date):
        wrong = "thiếu 'reviewed'" if value is None else f"'reviewed: {value}' không phải ngày đầy đủ"
        reader.problem(path, 2, f"{wrong}; ghi ngày xem lại bài dạng YYYY-MM-DD", REVIEW)
        return None
    if value > reader.today:
        reader.problem(path, 2, f"ngày xem lại {value.isoformat()} ở tương lai", REVIEW)
    elif value < _months_before(reader.today, REVIEW_MONTHS):
        reader.problem(
            path, 2, f"bài xem lại lần cuối ngày {value.isoformat()}, đã quá {REVIEW_MONTHS} tháng: hãy đối chiếu lại nguồn",
            REVIEW,
        )  # fmt: skip
    return value


def _lesson_sources(reader: _Reader, path: Path, meta: dict) -> list[dict[str, Any]]:
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
        line = _line(item, 1) + 1  # the front matter starts on line 2 of the file
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


def _module_sources(reader: _Reader, path: Path, data: dict) -> list[str]:
    """A module names its sources as strings, or as {title, url, date} like a lesson; stored as labels."""
    raw = data.get("sources")
    if not isinstance(raw, list) or not raw:
        reader.problem(path, _line(data), "'sources' phải là danh sách nguồn không rỗng")
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
            reader.problem(path, _line(item, _line(data)), "mỗi nguồn là một chuỗi, hoặc {title, url, date}")
    return labels


def _read_lesson(reader: _Reader, path: Path) -> LessonData | None:
    text = reader.read_text(path)
    if text is None:
        return None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        reader.problem(path, 1, "thiếu phần đầu (front matter) mở bằng '---'")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
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
    body = "\n".join(lines[end + 1 :]).strip("\n") + "\n"
    body_first_line = end + 2
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
    words = len(body.split())
    if not LESSON_WORDS[0] <= words <= LESSON_WORDS[1]:
        reader.problem(path, body_first_line, f"bài học có {words} từ; cần từ {LESSON_WORDS[0]} đến {LESSON_WORDS[1]}")
    _check_body(reader, path, body, body_first_line)
    for offset, line in enumerate(body.splitlines()):
        for alt, src in IMAGE_RE.findall(line):
            if not alt.strip():
                reader.problem(path, body_first_line + offset, f"ảnh {src} thiếu mô tả (alt text)")
            if "://" in src:
                reader.problem(path, body_first_line + offset, f"ảnh {src} phải nằm trong thư mục của học phần")
            elif (
                not (path.parent / src).resolve().is_file() or path.parent.resolve() not in (path.parent / src).resolve().parents
            ):
                reader.problem(path, body_first_line + offset, f"không tìm thấy ảnh {src}")
    if not ok:
        return None
    lesson = LessonData(
        slug=slug,
        title=meta["title"].strip(),
        audience=meta["audience"],
        minutes=meta["minutes"],
        position=meta["order"],
        body=body,
        path=reader.rel(path),
        body_line=body_first_line,
    )
    lesson.content_hash = content_hash([lesson.title, lesson.audience, lesson.minutes, lesson.position, body])
    lesson.reviewed = _check_reviewed(reader, path, meta)
    lesson.sources = _lesson_sources(reader, path, meta)
    return lesson


def _read_module(reader: _Reader, folder: Path) -> ModuleData | None:
    manifest = folder / "module.yaml"
    if not manifest.is_file():
        reader.problem(folder, 1, "học phần thiếu tệp module.yaml")
        return None
    data = reader.load_mapping(manifest, "module.yaml phải là các cặp khóa: giá trị")
    if data is None:
        return None
    slug = reader.require_str(manifest, data, "slug")
    if slug and slug != folder.name:
        reader.problem(manifest, _line(data), f"slug '{slug}' phải trùng tên thư mục '{folder.name}'")
    module = ModuleData(
        slug=folder.name,
        title=reader.require_str(manifest, data, "title"),
        summary=reader.require_str(manifest, data, "summary"),
        objectives=reader.str_list(manifest, data, "objectives"),
        sources=_module_sources(reader, manifest, data),
    )
    slugs: dict[str, str] = {}
    orders: dict[int, str] = {}
    for path in sorted(folder.glob("*.md")):
        lesson = _read_lesson(reader, path)
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
        module.lessons.append(lesson)
    module.lessons.sort(key=lambda item: item.position)
    if not LESSONS_PER_MODULE[0] <= len(module.lessons) <= LESSONS_PER_MODULE[1]:
        reader.problem(
            manifest, 1, f"học phần có {len(module.lessons)} bài; cần từ {LESSONS_PER_MODULE[0]} đến {LESSONS_PER_MODULE[1]}"
        )
    if module.lessons and not re.search(r"^## Nguồn tham khảo", module.lessons[-1].body, re.MULTILINE):
        reader.problem(manifest, 1, "bài cuối của học phần phải kết thúc bằng mục '## Nguồn tham khảo'")
    return module


def _read_bank(reader: _Reader, path: Path, modules: dict[str, ModuleData], seen_ids: dict[str, str]) -> None:
    data = reader.load_mapping(path, "ngân hàng câu hỏi phải là các cặp khóa: giá trị")
    if data is None:
        return
    module_slug = data.get("module")
    if module_slug != path.stem:
        reader.problem(path, _line(data), f"module '{module_slug}' phải trùng tên tệp '{path.stem}'")
        return
    module = modules.get(module_slug)
    if module is None:
        reader.problem(path, _line(data), f"không có học phần '{module_slug}' trong courses/modules/")
        return
    items = data.get("questions")
    if not isinstance(items, list):
        reader.problem(path, _line(data), "thiếu danh sách 'questions'")
        return
    for item in items:
        line = _line(item)
        if not isinstance(item, dict):
            reader.problem(path, line, "mỗi câu hỏi phải là các cặp khóa: giá trị")
            continue
        key = str(item.get("id", ""))
        if not QUESTION_ID_RE.match(key):
            reader.problem(path, line, f"id câu hỏi '{key}' không hợp lệ (ví dụ b01-001)")
            continue
        if key in seen_ids:
            reader.problem(path, line, f"id câu hỏi '{key}' trùng với {seen_ids[key]}")
            continue
        seen_ids[key] = f"{reader.rel(path)}:{line}"
        audience = item.get("audience", "all")
        if audience not in ITEM_AUDIENCES:
            reader.problem(path, line, f"{key}: audience phải là all hoặc members")
            continue
        prompt = reader.require_str(path, item, "prompt", line)
        explanation = reader.require_str(path, item, "explanation", line)
        try:
            qtype = get_type(str(item.get("type", "")))
            normalized = qtype.normalize(item)
        except QuestionSpecError as exc:
            reader.problem(path, line, f"{key}: {exc}")
            continue
        unknown = set(item) - QUESTION_KEYS
        if unknown:
            reader.problem(path, line, f"{key}: khóa lạ: {', '.join(sorted(unknown))}")
        for text in [prompt, explanation] + [o["text"] for o in normalized.options]:
            if DANGEROUS_RE.search(text) or RAW_HTML_RE.search(text):
                reader.problem(path, line, f"{key}: không dùng HTML trong câu hỏi")
                break
        if not prompt or not explanation:
            continue
        question = QuestionData(
            key=key,
            type=qtype.name,
            audience=audience,
            prompt=prompt,
            options=normalized.options,
            correct=normalized.correct,
            explanation=explanation,
        )
        question.content_hash = content_hash(
            [question.type, question.audience, prompt, question.options, question.correct, explanation]
        )
        question.taught_in = _taught_in(reader, path, line, module, modules, question, item.get("taught_in"))
        if question.taught_in:
            _check_key_fact(reader, path, line, module, question)
        module.questions.append(question)


def _taught_in(
    reader: _Reader, path: Path, line: int, module: ModuleData, modules: dict[str, ModuleData], question: QuestionData, raw: Any
) -> list[str]:
    """The lesson slugs of the question's own module that teach it; [] (with a problem) when unusable."""
    key = question.key
    if raw is None:
        reader.problem(path, line, f"{key}: thiếu 'taught_in' (slug của bài học dạy câu này)", CHECK)
        return []
    slugs = [raw] if isinstance(raw, str) else raw
    if not isinstance(slugs, list) or not slugs or not all(isinstance(s, str) and s.strip() for s in slugs):
        reader.problem(path, line, f"{key}: 'taught_in' phải là một slug bài học hoặc danh sách slug", CHECK)
        return []
    lessons = {lesson.slug: lesson for lesson in module.lessons}
    good = []
    for slug in (s.strip() for s in slugs):
        lesson = lessons.get(slug)
        if lesson is None:
            elsewhere = [m.slug for m in modules.values() if m is not module and any(x.slug == slug for x in m.lessons)]
            where = f"; bài này thuộc học phần {', '.join(elsewhere)}" if elsewhere else ""
            reader.problem(path, line, f"{key}: taught_in '{slug}' không phải bài học của học phần {module.slug}{where}", CHECK)
        elif question.audience == "all" and lesson.audience == "members":
            reader.problem(
                path, line, f"{key}: câu dành cho mọi khóa nhưng bài '{slug}' chỉ có trong khóa thành viên", CHECK
            )  # fmt: skip
        else:
            good.append(slug)
    return good if len(good) == len(slugs) else []


def normalize_text(text: str) -> str:
    """NFC, lower case, every run of punctuation and spaces made one space. Diacritics stay:
    in Vietnamese they tell words apart (bán/bạn, cơ/có)."""
    return " ".join(_NOT_WORD_RE.sub(" ", unicodedata.normalize("NFC", text).lower()).split())


def exact_terms(text: str) -> list[str]:
    """Numbers, hotlines, document numbers, codes and addresses: they must be quoted verbatim.
    A term is a token with a digit (111, 91/2025/QH15), a dot inside (dichvucong.gov.vn) or
    two capitals (TCTM, VNeID), compared after normalize_text."""
    terms = []
    for raw in text.split():
        token = raw.strip(_EDGE_PUNCTUATION)
        capitals = sum(ch.isupper() for ch in token)
        if any(ch.isdigit() for ch in token) or re.search(r"\w\.\w", token) or capitals >= 2:
            term = normalize_text(token)
            if term and term not in terms:
                terms.append(term)
    return terms


def content_words(text: str) -> list[str]:
    """The distinct syllables of text that are not function words."""
    words = []
    for word in normalize_text(text).split():
        if word not in STOP_WORDS and word not in words:
            words.append(word)
    return words


def content_pairs(text: str) -> list[str]:
    """The distinct adjacent pairs of content syllables: 'mật khẩu', 'công an'."""
    tokens = normalize_text(text).split()
    pairs = []
    for first, second in zip(tokens, tokens[1:], strict=False):
        pair = f"{first} {second}"
        if first not in STOP_WORDS and second not in STOP_WORDS and pair not in pairs:
            pairs.append(pair)
    return pairs


def _key_texts(question: QuestionData) -> list[str]:
    """What the learner must have read: each correct option; the explanation for a true/false
    item or for an option that is only function words."""
    if question.type == "true_false":
        return [question.explanation]
    texts = [o["text"] for o in question.options if o["id"] in question.correct]
    return [text if content_words(text) else question.explanation for text in texts]


def _check_key_fact(reader: _Reader, path: Path, line: int, module: ModuleData, question: QuestionData) -> None:
    lessons = [lesson for lesson in module.lessons if lesson.slug in question.taught_in]
    lesson_text = " " + " ".join(normalize_text(f"{x.title} {x.body}") for x in lessons) + " "
    lesson_words = set(lesson_text.split())
    where = ", ".join(question.taught_in)
    texts = _key_texts(question)
    for term in exact_terms(" ".join(texts + [question.explanation])):
        if f" {term} " not in lesson_text:
            reader.problem(path, line, f"{question.key}: '{term}' không có nguyên văn trong bài {where}", CHECK)
    for text in texts:
        words, pairs = content_words(text), content_pairs(text)
        missing_words = [word for word in words if word not in lesson_words]
        missing_pairs = [pair for pair in pairs if f" {pair} " not in lesson_text]
        short = []
        if _share(words, missing_words) < KEY_WORD_SHARE:
            short.append(f"{len(words) - len(missing_words)}/{len(words)} tiếng (cần ≥ {KEY_WORD_SHARE:.0%})")
        if _share(pairs, missing_pairs) < KEY_PAIR_SHARE:
            short.append(f"{len(pairs) - len(missing_pairs)}/{len(pairs)} cụm hai tiếng (cần ≥ {KEY_PAIR_SHARE:.0%})")
        if short:
            reader.problem(
                path, line,
                f"{question.key}: bài {where} thiếu ý «{text}»: chỉ có {', '.join(short)};"
                f" thiếu: {', '.join(missing_words + missing_pairs)}",
                CHECK,
            )  # fmt: skip


def _share(wanted: list[str], missing: list[str]) -> float:
    return 1.0 if not wanted else (len(wanted) - len(missing)) / len(wanted)


def _read_course(reader: _Reader, path: Path, position: int) -> CourseData | None:
    data = reader.load_mapping(path, "tệp khóa học phải là các cặp khóa: giá trị")
    if data is None:
        return None
    slug = reader.require_str(path, data, "slug")
    if slug and slug != path.stem:
        reader.problem(path, _line(data), f"slug '{slug}' phải trùng tên tệp '{path.stem}'")
    audience = data.get("audience")
    if audience not in COURSE_AUDIENCES:
        reader.problem(path, _line(data), f"audience phải là một trong: {', '.join(sorted(COURSE_AUDIENCES))}")
    numbers = {}
    for key, default, low, high in (
        ("pass_mark", 80, 1, 100),
        ("questions_per_attempt", 10, 1, 50),
        ("attempt_cooldown_minutes", 0, 0, 7 * 24 * 60),
    ):
        value = data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            reader.problem(path, _line(data), f"'{key}' phải là số nguyên từ {low} đến {high}")
            value = default
        numbers[key] = value
    modules = []
    raw_modules = data.get("modules")
    if not isinstance(raw_modules, list) or not raw_modules:
        reader.problem(path, _line(data), "thiếu danh sách 'modules'")
        raw_modules = []
    for entry in raw_modules:
        if not isinstance(entry, dict) or not isinstance(entry.get("slug"), str):
            reader.problem(path, _line(entry, _line(data)), "mỗi mục trong modules cần 'slug'")
            continue
        required = entry.get("required", True)
        if not isinstance(required, bool):
            reader.problem(path, _line(entry), "'required' phải là true hoặc false")
            required = True
        modules.append((entry["slug"], required, _line(entry)))
    course = CourseData(
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
    )
    course._lines = {slug: line for slug, _, line in modules}  # type: ignore[attr-defined]
    return course


def _check_references(reader: _Reader, root: Path, bundle: ContentBundle) -> None:
    lesson_index = {(m.slug, lesson.slug) for m in bundle.modules.values() for lesson in m.lessons}
    for module in bundle.modules.values():
        for lesson in module.lessons:
            for offset, line in enumerate(lesson.body.splitlines()):
                for target_module, target_lesson in LESSON_LINK_RE.findall(line):
                    if (target_module, target_lesson) not in lesson_index:
                        reader.problems.append(
                            Problem(
                                lesson.path,
                                lesson.body_line + offset,
                                f"liên kết tới bài không có: lesson:{target_module}/{target_lesson}",
                            )
                        )
    used_by: dict[str, list[CourseData]] = {}
    for course in bundle.courses.values():
        path = root / "courses" / f"{course.slug}.yaml"
        seen = set()
        for slug, _required in course.modules:
            line = course._lines.get(slug, 1)  # type: ignore[attr-defined]
            if slug in seen:
                reader.problem(path, line, f"học phần '{slug}' được liệt kê hai lần")
            seen.add(slug)
            if slug not in bundle.modules:
                reader.problem(path, line, f"không có học phần '{slug}' trong courses/modules/")
                continue
            used_by.setdefault(slug, []).append(course)
    for slug, module in bundle.modules.items():
        bank = root / "quizzes" / f"{slug}.yaml"
        if not bank.is_file():
            reader.problem(root / "courses" / "modules" / slug / "module.yaml", 1, f"thiếu ngân hàng câu hỏi quizzes/{slug}.yaml")
            continue
        if slug not in used_by:
            reader.problem(root / "courses" / "modules" / slug / "module.yaml", 1, "học phần không thuộc khóa học nào")
        if len(module.questions) < MIN_QUESTIONS:
            reader.problem(bank, 1, f"có {len(module.questions)} câu hỏi hợp lệ; cần ít nhất {MIN_QUESTIONS}")
        for course in used_by.get(slug, []):
            visible = [q for q in module.questions if q.audience == "all" or course.audience == "members"]
            if len(visible) < course.questions_per_attempt:
                reader.problem(
                    bank,
                    1,
                    f"khóa '{course.slug}' rút {course.questions_per_attempt} câu mỗi lượt"
                    f" nhưng chỉ có {len(visible)} câu dành cho khóa này",
                )
            if course.audience == "members":
                scenarios = sum(1 for q in module.questions if q.audience == "members")
                if scenarios < MIN_MEMBER_SCENARIOS:
                    reader.problem(
                        bank, 1, f"cần ít nhất {MIN_MEMBER_SCENARIOS} câu tình huống audience: members; đang có {scenarios}"
                    )


def read_taught_in(path: Path) -> dict[str, list[str]]:
    """Question id -> lesson slugs, read straight from one bank file; tolerant of a broken
    file (content-check reports it), which then simply gives no links."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER)  # noqa: S506 (a safe loader)
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


def load_content(root: Path, today: date | None = None) -> tuple[ContentBundle, list[Problem]]:
    """Read every course, module, lesson and question bank under root; review dates are
    judged against `today` (default: the current date)."""
    reader = _Reader(root, today or date.today())
    bundle = ContentBundle(root=root)
    modules_dir = root / "courses" / "modules"
    if not modules_dir.is_dir():
        reader.problem(modules_dir, 1, "không có thư mục courses/modules")
        return bundle, reader.problems
    for folder in sorted(p for p in modules_dir.iterdir() if p.is_dir()):
        if not SLUG_RE.match(folder.name):
            reader.problem(folder, 1, "tên thư mục học phần chỉ gồm chữ thường không dấu, số và dấu gạch nối")
            continue
        module = _read_module(reader, folder)
        if module is not None:
            bundle.modules[module.slug] = module
    seen_ids: dict[str, str] = {}
    for path in sorted((root / "quizzes").glob("*.yaml")):
        _read_bank(reader, path, bundle.modules, seen_ids)
    for position, path in enumerate(sorted((root / "courses").glob("*.yaml"))):
        course = _read_course(reader, path, position)
        if course is not None:
            bundle.courses[course.slug] = course
    if not bundle.courses:
        reader.problem(root / "courses", 1, "không có tệp khóa học nào (courses/*.yaml)")
    _check_references(reader, root, bundle)
    for module in bundle.modules.values():
        module.content_hash = content_hash([module.title, module.summary, module.objectives, module.sources])
    for course in bundle.courses.values():
        course.content_hash = content_hash(
            [course.title, course.audience, course.summary, course.who_for, course.pass_mark,
             course.questions_per_attempt, course.cooldown_minutes, course.certificate_title, course.modules]
        )  # fmt: skip
    reader.problems.sort(key=lambda p: (p.path, p.line))
    return bundle, reader.problems
