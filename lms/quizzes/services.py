"""Quiz attempts: draw, save answers, grade once.

Integrity rules:
- the draw (question versions and option order) is stored with the attempt, so a
  reload shows the same attempt;
- answers are one row per question and are saved as the learner goes;
- a learner has at most one open attempt per module (a partial unique index);
  starting inserts inside a savepoint, and the loser of a race takes the
  winner's attempt;
- submission flips the attempt from open to submitted with a compare-and-set
  UPDATE inside the transaction; whoever loses that race (double click, second
  tab, retried request) gets the stored result instead of a second grading;
- saving answers first locks the attempt row and reads its state again, so an
  autosave either lands before the grading (and is graded) or is refused; no
  answer row changes after grading;
- grading reads the correct answers on the server only.

Hand-off to learning: starting an attempt calls learning's `record_activity` (a learner who
opens a quiz is enrolled); a grading is announced once with `signals.quiz_graded` (sender
"quizzes"), and learning's receiver keeps the best score and records module completion.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import CursorResult, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lms.accounts.models import User
from lms.catalog.models import Course, Module, Question, QuestionVersion
from lms.catalog.question_types import get_type
from lms.catalog.services import questions_for
from lms.core import signals
from lms.core.db import insert_once
from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.core.extensions import db
from lms.core.models import utcnow
from lms.learning import services as learning
from lms.quizzes.models import AttemptAnswer, AttemptState, QuizAttempt

START_TRIES = 3  # inserts of a new attempt before giving up on a number other requests keep taking
MAX_ID = 2**31 - 1  # the integer primary key on PostgreSQL


class ContentChanged(Conflict):
    pass


def open_attempt(user: User, course: Course, module: Module) -> QuizAttempt | None:
    attempt = _open_for_module(user.id, module.id)
    return attempt if attempt is not None and attempt.course_id == course.id else None


def _open_for_module(user_id: int, module_id: int) -> QuizAttempt | None:
    """The one open attempt of a learner for a module (in whichever course it was started)."""
    return db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.module_id == module_id,
            QuizAttempt.state == AttemptState.OPEN.value,
        )
    )


def _close_open(attempt: QuizAttempt, state: AttemptState) -> None:
    """Close an open attempt; compare-and-set, so an attempt a racing request submitted stays submitted."""
    db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.state == AttemptState.OPEN.value)
        .values(state=state.value)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(attempt, ["state"])


def attempts_for(user: User, course: Course, module: Module) -> list[QuizAttempt]:
    return list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id, QuizAttempt.module_id == module.id)
            .order_by(QuizAttempt.number.desc())
        )
    )


def cooldown_remaining(user: User, course: Course, module: Module) -> timedelta | None:
    if not course.cooldown_minutes:
        return None
    last = db.session.scalar(
        select(func.max(QuizAttempt.submitted_at)).where(
            QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id, QuizAttempt.module_id == module.id
        )
    )
    if last is None:
        return None
    remaining = last + timedelta(minutes=course.cooldown_minutes) - utcnow()
    return remaining if remaining.total_seconds() > 0 else None


def start_attempt(user: User, course: Course, module: Module) -> QuizAttempt:
    """Return the open attempt, or draw a new one: N questions, options shuffled, all stored.

    Idempotent under concurrency: of two parallel starts one inserts, the other hits the
    one-open-attempt index (or the attempt number) and returns the winner's attempt.
    """
    existing = _open_for_module(user.id, module.id)
    if existing is not None:
        if existing.course_id == course.id and _is_current(existing):
            return existing
        # Questions changed since the draw, or the open attempt belongs to the other course
        # that shares this module: close it so the new one can be the open one.
        _close_open(existing, AttemptState.EXPIRED if existing.course_id == course.id else AttemptState.ABANDONED)
    remaining = cooldown_remaining(user, course, module)
    if remaining is not None:
        minutes = max(1, round(remaining.total_seconds() / 60))
        raise ValidationFailed(
            ngettext(
                "Bạn có thể làm lại sau khoảng %(num)s phút nữa.", "Bạn có thể làm lại sau khoảng %(num)s phút nữa.", minutes
            )
        )
    bank = questions_for(course, module)
    count = min(course.questions_per_attempt, len(bank))
    if count == 0:
        raise NotFound(_("Học phần này chưa có câu hỏi."))
    seed = secrets.randbits(31)
    rng = random.Random(seed)  # noqa: S311 (shuffling, not security)
    drawn = rng.sample(bank, count)
    items = []
    for question in drawn:
        version = question.current_version
        assert version is not None  # questions_for draws only questions with a current version
        option_ids = [o["id"] for o in version.options]
        if get_type(version.type).shuffle:
            rng.shuffle(option_ids)
        items.append({"version_id": version.id, "options": option_ids})
    for _try in range(START_TRIES):
        number = (
            db.session.scalar(
                select(func.max(QuizAttempt.number)).where(QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id)
            )
            or 0
        ) + 1
        drawn_attempt = QuizAttempt(
            user_id=user.id, course_id=course.id, module_id=module.id, number=number, seed=seed, items=items,
            pass_mark=course.pass_mark, total=count,
        )  # fmt: skip
        # Another request's open attempt wins; None means only the number was taken (by an
        # attempt already closed again): draw the next one.
        attempt, inserted = _insert_or_winner(drawn_attempt, user.id, module.id)
        if attempt is None:
            continue
        if inserted:
            learning.record_activity(user, course)
            db.session.flush()
        return attempt
    raise Conflict(_("Không bắt đầu được lượt làm bài. Bạn hãy thử lại."))


def _insert_or_winner(attempt: QuizAttempt, user_id: int, module_id: int) -> tuple[QuizAttempt | None, bool]:
    try:
        return insert_once(attempt, lambda: _open_for_module(user_id, module_id))
    except IntegrityError:
        return None, False


_WITH_PLACE = (joinedload(QuizAttempt.course, innerjoin=True), joinedload(QuizAttempt.module, innerjoin=True))


def get_attempt(user: User, attempt_id: int) -> QuizAttempt:
    """An attempt of this user; anyone else's is reported as not found."""
    # An id no attempt can have (beyond the integer column) is simply not found.
    attempt = db.session.get(QuizAttempt, attempt_id, options=_WITH_PLACE) if 0 < attempt_id <= MAX_ID else None
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(_("Không tìm thấy lượt làm bài này."))
    return attempt


def _versions(attempt: QuizAttempt) -> dict[int, QuestionVersion]:
    ids = [item["version_id"] for item in attempt.items]
    return {v.id: v for v in db.session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids)))}


def _is_current(attempt: QuizAttempt) -> bool:
    ids = [item["version_id"] for item in attempt.items]
    current = db.session.scalar(
        select(func.count()).select_from(Question).where(Question.current_version_id.in_(ids), Question.is_retired.is_(False))
    )
    return current == len(ids)


def attempt_view(attempt: QuizAttempt) -> list[dict]:
    """Questions in display order with options in the stored order: no correctness inside."""
    versions = _versions(attempt)
    saved = {answer.version_id: answer.chosen for answer in attempt.answers}
    view = []
    for number, item in enumerate(attempt.items, start=1):
        version = versions[item["version_id"]]
        texts = {o["id"]: o["text"] for o in version.options}
        view.append(
            {
                "number": number,
                "version_id": version.id,
                "type": version.type,
                "input": get_type(version.type).input_kind,
                "prompt": version.prompt,
                "options": [{"id": oid, "text": texts[oid]} for oid in item["options"]],
                "chosen": saved.get(version.id, []),
            }
        )
    return view


def _clean_answers(
    attempt: QuizAttempt, answers: Mapping[int, Iterable[str]], versions: dict[int, QuestionVersion]
) -> dict[int, list[str]]:
    allowed = {item["version_id"]: set(item["options"]) for item in attempt.items}
    cleaned: dict[int, list[str]] = {}
    for version_id, chosen in answers.items():
        if version_id not in allowed:
            raise ValidationFailed(_("Có câu trả lời cho câu hỏi không thuộc lượt làm bài này."))
        chosen = sorted({str(c) for c in chosen})
        unknown = [c for c in chosen if c not in allowed[version_id]]
        if unknown:
            raise ValidationFailed(_("Có lựa chọn không tồn tại trong câu hỏi."))
        if get_type(versions[version_id].type).input_kind == "radio" and len(chosen) > 1:
            raise ValidationFailed(_("Câu hỏi này chỉ được chọn một đáp án."))
        cleaned[version_id] = chosen
    return cleaned


def _require_open(attempt: QuizAttempt) -> None:
    if attempt.state == AttemptState.SUBMITTED.value:
        raise Conflict(_("Lượt làm bài này đã nộp. Bạn có thể xem kết quả hoặc làm lượt mới."))
    if attempt.state == AttemptState.ABANDONED.value:
        raise Conflict(_("Lượt làm bài này đã được thay bằng một lượt mới. Bạn hãy làm tiếp lượt mới."))
    if attempt.state == AttemptState.EXPIRED.value or not _is_current(attempt):
        raise ContentChanged(_("Câu hỏi của học phần vừa được cập nhật. Bạn hãy bắt đầu lượt làm bài mới."))


def _lock_with_answers(attempt: QuizAttempt) -> dict[int, AttemptAnswer]:
    """Lock the attempt row (PostgreSQL; a SQLite writer already holds the database lock), then
    read its state and answers again: what this request loaded earlier may be stale."""
    db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.id == attempt.id).with_for_update().execution_options(populate_existing=True)
    ).one()  # fetched, not only executed: the row refreshes the loaded attempt as it is read
    return _fresh_answers(attempt)


def _fresh_answers(attempt: QuizAttempt) -> dict[int, AttemptAnswer]:
    rows = db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id).execution_options(populate_existing=True)
    ).all()
    set_committed_value(attempt, "answers", list(rows))
    return {row.version_id: row for row in rows}


def save_answers(attempt: QuizAttempt, answers: Mapping[int, Iterable[str]]) -> int:
    """Upsert answers of an open attempt; an empty choice clears the saved answer.

    The attempt row is locked first and its state read again, as submission does with its
    compare-and-set: an autosave racing a submission waits for it and is then refused, so
    no answer changes after grading.
    """
    existing = _lock_with_answers(attempt)
    _require_open(attempt)
    cleaned = _clean_answers(attempt, answers, _versions(attempt))
    for version_id, chosen in cleaned.items():
        row = existing.get(version_id)
        if row is None:
            attempt.answers.append(AttemptAnswer(version_id=version_id, chosen=chosen))
        elif row.chosen != chosen:
            row.chosen = chosen
            row.saved_at = utcnow()
    db.session.flush()
    return len(cleaned)


def submit_attempt(attempt: QuizAttempt, answers: Mapping[int, Iterable[str]] | None = None) -> tuple[QuizAttempt, bool]:
    """Grade once. Returns (attempt, graded_now); a replay returns the stored result with False.

    A replay is the same submission again (double click, second tab, retried request). A
    submission that tries to change answers after grading is refused with a message.
    """
    versions = _versions(attempt)
    cleaned = _clean_answers(attempt, answers or {}, versions)
    if attempt.state == AttemptState.SUBMITTED.value:
        return _replay(attempt, cleaned), False
    _require_open(attempt)
    submitted_at = utcnow()
    claimed = cast(
        CursorResult[Any],
        db.session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.id == attempt.id, QuizAttempt.state == AttemptState.OPEN.value)
            .values(state=AttemptState.SUBMITTED.value, submitted_at=submitted_at)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        db.session.refresh(attempt)
        if attempt.state == AttemptState.SUBMITTED.value:
            return _replay(attempt, cleaned), False
        raise ContentChanged(_("Câu hỏi của học phần vừa được cập nhật. Bạn hãy bắt đầu lượt làm bài mới."))
    set_committed_value(attempt, "state", AttemptState.SUBMITTED.value)
    set_committed_value(attempt, "submitted_at", submitted_at)
    # Merge autosaved answers with the ones in this submission, grade, then write all rows at once.
    # Read after the claim: an autosave that held the row lock before it has committed by now.
    existing = _fresh_answers(attempt)
    new_rows = []
    correct = 0
    for item in attempt.items:
        version = versions[item["version_id"]]
        row = existing.get(version.id)
        chosen = cleaned.get(version.id, row.chosen if row is not None else [])
        is_correct = get_type(version.type).grade(version.correct, chosen)
        if row is None:
            new_rows.append(
                {"attempt_id": attempt.id, "version_id": version.id, "chosen": chosen, "is_correct": is_correct,
                 "saved_at": submitted_at}
            )  # fmt: skip
        else:
            row.chosen, row.is_correct = chosen, is_correct
        correct += 1 if is_correct else 0
    if new_rows:
        db.session.execute(insert(AttemptAnswer), new_rows)  # one executemany, not a row at a time
        db.session.expire(attempt, ["answers"])
    attempt.correct_count = correct
    attempt.percent = round(100 * correct / attempt.total) if attempt.total else 0
    attempt.passed = attempt.percent >= attempt.pass_mark
    db.session.flush()
    # Once per graded attempt: only the request that won the compare-and-set gets here.
    signals.quiz_graded.send("quizzes", attempt=attempt, user=attempt.user, module=attempt.module, course=attempt.course)
    return attempt, True


ALREADY_SUBMITTED = _l("Lượt làm bài này đã nộp; câu trả lời gửi sau không được tính. Bạn có thể làm lượt mới.")


class AlreadySubmitted(Conflict):
    pass


def _replay(attempt: QuizAttempt, cleaned: dict[int, list[str]]) -> QuizAttempt:
    stored = {version_id: row.chosen for version_id, row in _fresh_answers(attempt).items()}
    if any(stored.get(version_id, []) != chosen for version_id, chosen in cleaned.items()):
        raise AlreadySubmitted(str(ALREADY_SUBMITTED))
    return attempt


def result_view(attempt: QuizAttempt) -> list[dict]:
    """After submission only: each question with the learner's answer, the correct one and why."""
    if attempt.state != AttemptState.SUBMITTED.value:
        raise Conflict(_("Lượt làm bài này chưa nộp."))
    versions = _versions(attempt)
    saved = {answer.version_id: answer for answer in attempt.answers}
    view = []
    for number, item in enumerate(attempt.items, start=1):
        version = versions[item["version_id"]]
        texts = {o["id"]: o["text"] for o in version.options}
        answer = saved.get(version.id)
        chosen = answer.chosen if answer else []
        view.append(
            {
                "number": number,
                "prompt": version.prompt,
                "type": version.type,
                "options": [
                    {"id": oid, "text": texts[oid], "chosen": oid in chosen, "correct": oid in version.correct}
                    for oid in item["options"]
                ],
                "is_correct": bool(answer and answer.is_correct),
                "explanation": version.explanation,
                "question_id": version.question_id,
            }
        )
    return view


def best_attempt(user: User, course: Course, module: Module) -> QuizAttempt | None:
    return db.session.scalar(
        select(QuizAttempt)
        .where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.course_id == course.id,
            QuizAttempt.module_id == module.id,
            QuizAttempt.percent.is_not(None),
        )
        .order_by(QuizAttempt.percent.desc(), QuizAttempt.number)
        .limit(1)
    )


def export_attempts(user: User) -> list[dict]:
    """The learner's quiz attempts, for the personal data export."""
    attempts = db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.user_id == user.id).order_by(QuizAttempt.id).options(*_WITH_PLACE)
    ).all()
    return [
        {
            "course": a.course.slug,
            "module": a.module.slug,
            "module_id": a.module_id,
            "number": a.number,
            "state": a.state,
            "percent": a.percent,
            "passed": a.passed,
            "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
        }
        for a in attempts
    ]


def on_personal_data_requested(_sender: str, *, user: User, **_: object) -> tuple[str, list[dict]]:
    """Receiver of signals.personal_data_requested: the quizzes' part of the export."""
    return "quiz_attempts", export_attempts(user)
