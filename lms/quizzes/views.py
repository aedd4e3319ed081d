"""Quiz pages: landing, attempt (form and JSON autosave), result."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.catalog import services as catalog
from lms.catalog.models import Course, Module
from lms.core.db import run_with_retry
from lms.core.errors import Conflict, ValidationFailed
from lms.core.extensions import db
from lms.core.forms import PostForm
from lms.quizzes import services
from lms.quizzes.models import AttemptState

bp = Blueprint("quizzes", __name__, template_folder="templates")


def _user():
    return current_user._get_current_object()


@bp.get("/courses/<slug>/<module_slug>/quiz")
@login_required
def landing(slug: str, module_slug: str):
    course = catalog.get_course(slug)
    course_module = catalog.get_course_module(course, module_slug)
    module = course_module.module
    user = _user()
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
        attempt = run_with_retry(db.session, lambda: services.start_attempt(_user(), course, module))
    except ValidationFailed as error:
        flash(error.message, "error")
        return redirect(url_for("quizzes.landing", slug=slug, module_slug=module_slug))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


def _form_answers() -> dict[int, list[str]]:
    """Every q<version id> field of the form; the service rejects ids not in the attempt."""
    return {int(key[1:]): request.form.getlist(key) for key in request.form if key[:1] == "q" and key[1:].isdigit()}


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int):
    attempt = services.get_attempt(_user(), attempt_id)
    course = db.session.get(Course, attempt.course_id)
    module = db.session.get(Module, attempt.module_id)
    if attempt.state == AttemptState.SUBMITTED.value and request.method == "GET":
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    form = PostForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        answers = _form_answers()
        try:
            if "submit" in request.form:
                attempt_id_ = attempt.id

                def work():
                    fresh = services.get_attempt(_user(), attempt_id_)
                    return services.submit_attempt(fresh, answers)

                run_with_retry(db.session, work)
                return redirect(url_for("quizzes.result", attempt_id=attempt_id_))
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
            attempt = services.get_attempt(_user(), attempt_id)
            if attempt.state == AttemptState.SUBMITTED.value:
                flash(exc.message, "error")
                return redirect(url_for("quizzes.result", attempt_id=attempt_id))
            if attempt.state == AttemptState.EXPIRED.value or isinstance(exc, services.ContentChanged):
                flash(exc.message, "error")
                return redirect(url_for("quizzes.landing", slug=course.slug, module_slug=module.slug))
    if attempt.state == AttemptState.SUBMITTED.value:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    questions = services.attempt_view(attempt)
    answered = sum(1 for q in questions if q["chosen"])
    status = 422 if error else 200
    return render_template("quizzes/attempt.html", attempt=attempt, course=course, module=module,
                           questions=questions, answered=answered, form=form, error=error), status  # fmt: skip


@bp.post("/api/attempts/<int:attempt_id>/answers")
@login_required
def autosave(attempt_id: int):
    """JSON autosave: {"answers": {"<version id>": ["a"]}}. CSRF token in the X-CSRFToken header."""
    attempt = services.get_attempt(_user(), attempt_id)
    payload = request.get_json(silent=True) or {}
    raw = payload.get("answers")
    if not isinstance(raw, dict):
        return jsonify(error=_("Dữ liệu gửi lên không hợp lệ.")), 400
    try:
        answers = {int(k): v if isinstance(v, list) else [v] for k, v in raw.items()}
    except (TypeError, ValueError):
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
    attempt = services.get_attempt(_user(), attempt_id)
    if attempt.state != AttemptState.SUBMITTED.value:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    course = db.session.get(Course, attempt.course_id)
    module = db.session.get(Module, attempt.module_id)
    from lms.learning.services import module_overview

    lessons = catalog.module_lessons(course, module)
    overview = module_overview(_user(), course, module, lessons)
    items = services.result_view(attempt)
    review = catalog.lessons_teaching(module, lessons, [item["question_id"] for item in items if not item["is_correct"]])
    return render_template("quizzes/result.html", attempt=attempt, course=course, module=module,
                           items=items, review=review, overview=overview, form=PostForm())  # fmt: skip
