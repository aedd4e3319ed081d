"""The signed-in learner's actions: dashboard, enrolment and "I have read this lesson".
URL rules: blueprint.py."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from lms.accounts.scope import viewer
from lms.catalog import services as catalog
from lms.core.extensions import db
from lms.core.forms import PostForm
from lms.learning import services


@login_required
def dashboard():
    user = viewer()
    overviews = services.dashboard(user)
    suggestions = [c for c in services.order_courses_for(user, catalog.list_courses())
                   if c.id not in {o.course.id for o in overviews}]  # fmt: skip
    return render_template("learning/dashboard.html", overviews=overviews, suggestions=suggestions)


@login_required
def enroll(slug: str):
    course = catalog.get_course(slug)
    if PostForm().validate_on_submit():
        services.enroll(viewer(), course)
        db.session.commit()
        flash(_("Bạn đã ghi danh khóa học “%(title)s”.", title=course.title), "success")
    return redirect(url_for("learning.course", slug=course.slug))


@login_required
def lesson_done(slug: str, module_slug: str, lesson_slug: str):
    course, _course_module, lessons = catalog.module_context(slug, module_slug)
    index = catalog.lesson_index(lessons, lesson_slug)
    if not PostForm().validate_on_submit():
        return redirect(url_for("learning.lesson", slug=slug, module_slug=module_slug, lesson_slug=lesson_slug))
    services.mark_lesson_read(viewer(), course, lessons[index])
    db.session.commit()
    if index + 1 < len(lessons):
        following = lessons[index + 1]
        flash(_("Đã ghi nhận bạn học xong bài này."), "success")
        return redirect(url_for("learning.lesson", slug=slug, module_slug=module_slug, lesson_slug=following.slug))
    flash(_("Bạn đã học xong các bài của học phần. Hãy làm bài kiểm tra!"), "success")
    return redirect(url_for("quizzes.landing", slug=slug, module_slug=module_slug))
