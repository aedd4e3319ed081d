"""Course catalogue, course, module and lesson pages, and lesson images."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict

from flask import (
    Blueprint,
    abort,
    get_template_attribute,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms.catalog import services
from lms.catalog.services import AUDIENCE_LABELS, content_root
from lms.core.errors import NotFound

bp = Blueprint("catalog", __name__, template_folder="templates")

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".svg"}


class _PageCache:
    """A small thread-safe LRU of rendered HTML; keys carry the content hashes, so a
    content sync makes new keys and old entries simply age out."""

    def __init__(self, size: int = 2048):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


# Never holds anything that depends on the viewer: a leader's menu must not reach an official.
_lesson_parts = _PageCache()
_anonymous_pages = _PageCache()


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


def lesson_context(course_slug: str, module_slug: str):
    course = services.get_course(course_slug)
    course_module = services.get_course_module(course, module_slug)
    lessons = services.module_lessons(course, course_module.module)
    return course, course_module, lessons


@bp.get("/courses")
def catalogue():
    courses = services.list_courses()
    from lms.learning.services import order_courses_for

    courses = order_courses_for(_viewer(), courses)
    return render_template("catalog/catalogue.html", courses=courses, labels=AUDIENCE_LABELS)


@bp.get("/courses/<slug>")
def course(slug: str):
    from lms.learning.services import course_overview

    course = services.get_course(slug)
    overview = course_overview(_viewer(), course)
    return render_template("catalog/course.html", course=course, overview=overview, labels=AUDIENCE_LABELS)


@bp.get("/courses/<slug>/<module_slug>")
def module(slug: str, module_slug: str):
    from lms.learning.services import module_overview

    course, course_module, lessons = lesson_context(slug, module_slug)
    overview = module_overview(_viewer(), course, course_module.module, lessons)
    return render_template("catalog/module.html", course=course, course_module=course_module,
                           module=course_module.module, overview=overview)  # fmt: skip


@bp.get("/courses/<slug>/<module_slug>/<lesson_slug>")
def lesson(slug: str, module_slug: str, lesson_slug: str):
    """The most read page. What is the same for every reader (the lesson's HTML, its
    breadcrumbs and pager) is rendered once per content version and language and kept in
    memory; the page around it (menu, read state, form tokens) is rendered for each viewer.
    Only an anonymous reader's whole page is kept, as it is the same for every anonymous
    reader of that address."""
    from lms.learning.services import is_lesson_read

    key = services.lesson_key(slug, module_slug, lesson_slug)
    language = get_locale().language
    parts_key = (slug, module_slug, lesson_slug, key.hashes, language)
    parts = _lesson_parts.get(parts_key)
    if parts is None:
        parts = _render_lesson_parts(slug, module_slug, lesson_slug)
        _lesson_parts.put(parts_key, parts)
    user = _viewer()
    if user is not None:
        return render_template("catalog/lesson.html", parts=parts, is_read=is_lesson_read(user, key.lesson_id))
    if session.get("_flashes"):
        return render_template("catalog/lesson.html", parts=parts, is_read=False)
    page_key = (request.full_path, key.hashes, language)
    html = _anonymous_pages.get(page_key)
    if html is None:
        html = render_template("catalog/lesson.html", parts=parts, is_read=False)
        _anonymous_pages.put(page_key, html)
    return html


def _render_lesson_parts(slug: str, module_slug: str, lesson_slug: str) -> dict:
    """The lesson page's pieces that do not depend on who reads it."""
    course, course_module, lessons = lesson_context(slug, module_slug)
    index = next((i for i, item in enumerate(lessons) if item.slug == lesson_slug), None)
    if index is None:
        raise NotFound(_("Không tìm thấy bài học này."))
    current = lessons[index]
    macro = functools.partial(get_template_attribute, "catalog/_lesson_parts.html")
    return {
        "course_slug": course.slug,
        "module_slug": course_module.module.slug,
        "lesson_slug": current.slug,
        "title": current.title,
        "number": index + 1,
        "total": len(lessons),
        "minutes": current.minutes,
        "head": macro("head")(course, course_module.module, current),
        "body": macro("body")(current),
        "pager": macro("pager")(
            course,
            course_module.module,
            lessons[index - 1] if index > 0 else None,
            lessons[index + 1] if index + 1 < len(lessons) else None,
        ),
    }


@bp.get("/lessons/<module_slug>/<lesson_slug>")
def lesson_anywhere(module_slug: str, lesson_slug: str):
    """Target of `lesson:` links in content: open the lesson in the learner's course."""
    from lms.learning.services import preferred_course

    courses = services.courses_containing(module_slug)
    if not courses:
        raise NotFound(_("Không tìm thấy bài học này."))
    course = preferred_course(_viewer(), courses)
    return redirect(url_for("catalog.lesson", slug=course.slug, module_slug=module_slug, lesson_slug=lesson_slug))


@bp.get("/content/<module_slug>/<path:filename>")
def content_file(module_slug: str, filename: str):
    if not any(filename.lower().endswith(ext) for ext in IMAGE_TYPES):
        abort(404)
    folder = content_root() / "courses" / "modules" / module_slug
    if not folder.is_dir():
        abort(404)
    return send_from_directory(folder, filename, max_age=86400)
