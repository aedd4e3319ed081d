"""Dashboard, enrolment and "I have read this lesson"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.catalog import services as catalog
from lms.catalog.views import lesson_context
from lms.core.errors import NotFound
from lms.core.extensions import db
from lms.core.forms import PostForm
from lms.learning import services

bp = Blueprint("learning", __name__, template_folder="templates")


@bp.get("/dashboard")
@login_required
def dashboard():
    user = current_user._get_current_object()
    overviews = services.dashboard(user)
    suggestions = [c for c in services.order_courses_for(user, catalog.list_courses())
                   if c.id not in {o.course.id for o in overviews}]  # fmt: skip
    return render_template("learning/dashboard.html", overviews=overviews, suggestions=suggestions)


@bp.post("/courses/<slug>/enroll")
@login_required
def enroll(slug: str):
    course = catalog.get_course(slug)
    if PostForm().validate_on_submit():
        services.enroll(current_user._get_current_object(), course)
        db.session.commit()
        flash(_("Bạn đã ghi danh khóa học “%(title)s”.", title=course.title), "success")
    return redirect(url_for("catalog.course", slug=course.slug))


@bp.post("/courses/<slug>/<module_slug>/<lesson_slug>/done")
@login_required
def lesson_done(slug: str, module_slug: str, lesson_slug: str):
    course, course_module, lessons = lesson_context(slug, module_slug)
    index = next((i for i, item in enumerate(lessons) if item.slug == lesson_slug), None)
    if index is None:
        raise NotFound(_("Không tìm thấy bài học này."))
    if not PostForm().validate_on_submit():
        return redirect(url_for("catalog.lesson", slug=slug, module_slug=module_slug, lesson_slug=lesson_slug))
    user = current_user._get_current_object()
    services.mark_lesson_read(user, course, lessons[index])
    db.session.commit()
    if index + 1 < len(lessons):
        following = lessons[index + 1]
        flash(_("Đã ghi nhận bạn học xong bài này."), "success")
        return redirect(url_for("catalog.lesson", slug=slug, module_slug=module_slug, lesson_slug=following.slug))
    flash(_("Bạn đã học xong các bài của học phần. Hãy làm bài kiểm tra!"), "success")
    return redirect(url_for("quizzes.landing", slug=slug, module_slug=module_slug))
