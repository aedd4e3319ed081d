"""Checks across what the readers return: review dates, the key-fact heuristic (a question's
correct answer is written in the lesson it names in taught_in), and references between
files (lesson links, a course's modules, each module's bank). See docs/content-guide.md."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path

from lms.catalog.content.model import CHECK, REVIEW, ContentBundle, CourseData, ModuleData, Problem, QuestionData
from lms.catalog.content.reader import Reader

REVIEW_MONTHS = 12
MIN_QUESTIONS = 15
MIN_MEMBER_SCENARIOS = 3
LESSON_LINK_RE = re.compile(r"\]\(lesson:([a-z0-9-]+)/([a-z0-9-]+)\)")
# Shares of the correct option the lesson must contain: its content syllables (tiếng), and
# its adjacent pairs of them, which is how most Vietnamese words are written (mật khẩu).
KEY_WORD_SHARE = 0.6
KEY_PAIR_SHARE = 0.5
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


# --- review dates ------------------------------------------------------------------------------


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def check_reviewed(reader: Reader, path: Path, meta: dict) -> date | None:
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


# --- the key fact of a question in the lesson that teaches it ----------------------------------


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


def _share(wanted: list[str], missing: list[str]) -> float:
    return 1.0 if not wanted else (len(wanted) - len(missing)) / len(wanted)


def _shortfall(text: str, lesson_text: str, lesson_words: set[str]) -> tuple[list[str], list[str]]:
    """What of text's words and word pairs the lesson lacks, as messages and as the missing items."""
    words, pairs = content_words(text), content_pairs(text)
    missing_words = [word for word in words if word not in lesson_words]
    missing_pairs = [pair for pair in pairs if f" {pair} " not in lesson_text]
    short = []
    if _share(words, missing_words) < KEY_WORD_SHARE:
        short.append(f"{len(words) - len(missing_words)}/{len(words)} tiếng (cần ≥ {KEY_WORD_SHARE:.0%})")
    if _share(pairs, missing_pairs) < KEY_PAIR_SHARE:
        short.append(f"{len(pairs) - len(missing_pairs)}/{len(pairs)} cụm hai tiếng (cần ≥ {KEY_PAIR_SHARE:.0%})")
    return short, missing_words + missing_pairs


def check_key_fact(reader: Reader, path: Path, line: int, module: ModuleData, question: QuestionData) -> None:
    lessons = [lesson for lesson in module.lessons if lesson.slug in question.taught_in]
    lesson_text = " " + " ".join(normalize_text(f"{x.title} {x.body}") for x in lessons) + " "
    lesson_words = set(lesson_text.split())
    where = ", ".join(question.taught_in)
    texts = _key_texts(question)
    for term in exact_terms(" ".join(texts + [question.explanation])):
        if f" {term} " not in lesson_text:
            reader.problem(path, line, f"{question.key}: '{term}' không có nguyên văn trong bài {where}", CHECK)
    for text in texts:
        short, missing = _shortfall(text, lesson_text, lesson_words)
        if short:
            reader.problem(
                path, line,
                f"{question.key}: bài {where} thiếu ý «{text}»: chỉ có {', '.join(short)}; thiếu: {', '.join(missing)}",
                CHECK,
            )  # fmt: skip


# --- references between files ------------------------------------------------------------------


def check_references(reader: Reader, root: Path, bundle: ContentBundle) -> None:
    _check_lesson_links(reader, bundle)
    used_by = _check_course_modules(reader, root, bundle)
    for slug, module in bundle.modules.items():
        _check_bank(reader, root, module, used_by.get(slug))


def _check_lesson_links(reader: Reader, bundle: ContentBundle) -> None:
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


def _check_course_modules(reader: Reader, root: Path, bundle: ContentBundle) -> dict[str, list[CourseData]]:
    """Each course lists existing modules once; returns which courses use each module."""
    used_by: dict[str, list[CourseData]] = {}
    for course in bundle.courses.values():
        path = root / "courses" / f"{course.slug}.yaml"
        seen = set()
        for slug, _required in course.modules:
            line = course.module_lines.get(slug, 1)
            if slug in seen:
                reader.problem(path, line, f"học phần '{slug}' được liệt kê hai lần")
            seen.add(slug)
            if slug not in bundle.modules:
                reader.problem(path, line, f"không có học phần '{slug}' trong courses/modules/")
                continue
            used_by.setdefault(slug, []).append(course)
    return used_by


def _check_bank(reader: Reader, root: Path, module: ModuleData, courses: list[CourseData] | None) -> None:
    """The module has a bank, belongs to a course, and has enough questions for each course."""
    bank = root / "quizzes" / f"{module.slug}.yaml"
    manifest = root / "courses" / "modules" / module.slug / "module.yaml"
    if not bank.is_file():
        reader.problem(manifest, 1, f"thiếu ngân hàng câu hỏi quizzes/{module.slug}.yaml")
        return
    if courses is None:
        reader.problem(manifest, 1, "học phần không thuộc khóa học nào")
    if len(module.questions) < MIN_QUESTIONS:
        reader.problem(bank, 1, f"có {len(module.questions)} câu hỏi hợp lệ; cần ít nhất {MIN_QUESTIONS}")
    for course in courses or []:
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
