"""Quiz pages: landing, attempt (form and JSON autosave), result."""

from __future__ import annotations

import json
import re

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from lms.accounts.scope import viewer
from lms.catalog import services as catalog
from lms.core.db import run_with_retry
from lms.core.errors import Conflict, ValidationFailed
from lms.core.extensions import csrf, db
from lms.core.forms import PostForm
from lms.learning.services import module_overview
from lms.quizzes import services
from lms.quizzes.models import AttemptState

bp = Blueprint("quizzes", __name__, template_folder="templates")


@bp.get("/courses/<slug>/<module_slug>/quiz")
@login_required
def landing(slug: str, module_slug: str):
    course = catalog.get_course(slug)
    course_module = catalog.get_course_module(course, module_slug)
    module = course_module.module
    user = viewer()
    return render_template(
        "quizzes/landing.html",
        course=course,
        module=module,
        attempts=services.attempts_for(user, course, module),
        best=services.best_attempt(user, course, module),
        open_attempt=services.open_attempt(user, course, module),
        cooldown=services.cooldown_remaining(user, course, module),
        form=PostForm(),
    )


@bp.post("/courses/<slug>/<module_slug>/quiz/start")
@login_required
def start(slug: str, module_slug: str):
    course = catalog.get_course(slug)
    module = catalog.get_course_module(course, module_slug).module
    if not PostForm().validate_on_submit():
        return redirect(url_for("quizzes.landing", slug=slug, module_slug=module_slug))
    try:
        attempt = run_with_retry(db.session, lambda: services.start_attempt(viewer(), course, module))
    except ValidationFailed as error:
        flash(error.message, "error")
        return redirect(url_for("quizzes.landing", slug=slug, module_slug=module_slug))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


# A version id as the form and the JSON autosave send it: ASCII digits only (str.isdigit() and
# int() also take "²", "٢" or "２") and short enough for int() and the id column.
_VERSION_ID = re.compile(r"[1-9][0-9]{0,9}", re.ASCII)
_FORM_FIELD = re.compile(r"q([1-9][0-9]{0,9})", re.ASCII)
MAX_CHOICES, MAX_CHOICE_LENGTH = 20, 64
MAX_AUTOSAVE_BYTES = 64 * 1024  # ten questions' answers take well under 1 KB


def _form_answers() -> dict[int, list[str]]:
    """Every q<version id> field of the form; other fields are ignored, and the service
    rejects ids not in the attempt."""
    answers = {}
    for key in request.form:
        match = _FORM_FIELD.fullmatch(key)
        if match:
            answers[int(match.group(1))] = request.form.getlist(key)
    return answers


class BadPayload(ValueError):
    pass


def _json_answers() -> dict[int, list[str]]:
    """{"answers": {"<version id>": ["a"] or "a"}} from the request body, or BadPayload.

    Parsed here rather than by request.get_json(): a body nested thousands of levels deep
    raises RecursionError, which get_json(silent=True) does not catch.
    """
    if not request.is_json or (request.content_length or 0) > MAX_AUTOSAVE_BYTES:
        raise BadPayload
    body = request.get_data()
    if len(body) > MAX_AUTOSAVE_BYTES:
        raise BadPayload
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise BadPayload from None
    raw = payload.get("answers") if isinstance(payload, dict) else None
    if not isinstance(raw, dict):
        raise BadPayload
    answers = {}
    for key, value in raw.items():
        chosen = [value] if isinstance(value, str) else value
        if not _VERSION_ID.fullmatch(key) or not isinstance(chosen, list) or len(chosen) > MAX_CHOICES:
            raise BadPayload
        if not all(isinstance(c, str) and len(c) <= MAX_CHOICE_LENGTH for c in chosen):
            raise BadPayload
        answers[int(key)] = chosen
    return answers


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
@csrf.exempt  # checked below by PostForm before anything is saved: an expired form gets its ticks back
def attempt(attempt_id: int):
    attempt = services.get_attempt(viewer(), attempt_id)
    course, module = attempt.course, attempt.module
    # Kept as text: after a rollback below, the loaded rows are expired.
    landing = url_for("quizzes.landing", slug=course.slug, module_slug=module.slug)
    if attempt.state == AttemptState.SUBMITTED.value and request.method == "GET":
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    if attempt.state != AttemptState.OPEN.value and request.method == "GET":
        flash(_("Lượt làm bài này đã đóng. Bạn hãy bắt đầu lượt làm bài mới."), "error")
        return redirect(landing)
    form = PostForm()
    error = None
    unanswered: list[int] = []
    posted: dict[int, list[str]] = {}
    if request.method == "POST" and not form.validate_on_submit():
        # Most often an expired form (the page stayed open past the token's life): show what
        # was ticked again, with the message, so one more press sends it.
        posted = _form_answers()
    if request.method == "POST" and form.validate_on_submit():
        answers = _form_answers()
        try:
            if "submit" in request.form and request.form.get("confirm_unanswered") != "1":
                # Blanks count as wrong: ask first (a page, so it works without JavaScript too),
                # and keep what was answered meanwhile.
                saved = {answer.version_id for answer in attempt.answers if answer.chosen}
                unanswered = [
                    n
                    for n, item in enumerate(attempt.items, start=1)
                    if not answers.get(item["version_id"]) and item["version_id"] not in saved
                ]
            if unanswered:
                run_with_retry(db.session, lambda: services.save_answers(attempt, answers))
            elif "submit" in request.form:
                attempt_id_ = attempt.id

                def work():
                    fresh = services.get_attempt(viewer(), attempt_id_)
                    return services.submit_attempt(fresh, answers)

                run_with_retry(db.session, work)
                return redirect(url_for("quizzes.result", attempt_id=attempt_id_))
            else:
                run_with_retry(db.session, lambda: services.save_answers(attempt, answers))
                flash(_("Đã lưu câu trả lời. Bạn có thể làm tiếp hoặc nộp bài."), "success")
                return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
        except services.AlreadySubmitted as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("quizzes.result", attempt_id=attempt_id))
        except (ValidationFailed, Conflict) as exc:
            db.session.rollback()
            error = exc.message
            attempt = services.get_attempt(viewer(), attempt_id)
            if attempt.state == AttemptState.SUBMITTED.value:
                flash(exc.message, "error")
                return redirect(url_for("quizzes.result", attempt_id=attempt_id))
            if attempt.state != AttemptState.OPEN.value or isinstance(exc, services.ContentChanged):
                flash(exc.message, "error")
                return redirect(landing)
    if attempt.state == AttemptState.SUBMITTED.value:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    questions = services.attempt_view(attempt)
    for question in questions:
        if question["version_id"] in posted:
            question["chosen"] = posted[question["version_id"]]
    answered = sum(1 for q in questions if q["chosen"])
    status = 422 if error or (request.method == "POST" and form.errors) else 200
    return render_template("quizzes/attempt.html", attempt=attempt, course=course, module=module, questions=questions,
                           answered=answered, form=form, error=error, unanswered=unanswered), status  # fmt: skip


@bp.post("/api/attempts/<int:attempt_id>/answers")
@login_required
def autosave(attempt_id: int):
    """JSON autosave: {"answers": {"<version id>": ["a"]}}. CSRF token in the X-CSRFToken header."""
    attempt = services.get_attempt(viewer(), attempt_id)
    try:
        answers = _json_answers()
    except BadPayload:
        return jsonify(error=_("Dữ liệu gửi lên không hợp lệ.")), 400
    try:
        saved = run_with_retry(db.session, lambda: services.save_answers(attempt, answers))
    except ValidationFailed as exc:
        db.session.rollback()
        return jsonify(error=exc.message), 422
    except Conflict as exc:
        db.session.rollback()
        return jsonify(error=exc.message, state=attempt.state), 409
    return jsonify(saved=saved, state=attempt.state)


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = services.get_attempt(viewer(), attempt_id)
    if attempt.state != AttemptState.SUBMITTED.value:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    course, module = attempt.course, attempt.module
    lessons = catalog.lessons_for(course, module)
    overview = module_overview(viewer(), course, module, lessons)
    items = services.result_view(attempt)
    review = catalog.lessons_teaching(module, lessons, [item["question_id"] for item in items if not item["is_correct"]])
    rows = catalog.course_modules(course)
    position = next((i for i, row in enumerate(rows) if row.module_id == module.id), len(rows))
    next_module = rows[position + 1].module if position + 1 < len(rows) else None
    return render_template("quizzes/result.html", attempt=attempt, course=course, module=module, items=items, review=review,
                           overview=overview, next_module=next_module, form=PostForm())  # fmt: skip
