"""The learner's content pages, open to everyone: catalogue, course, module and lesson, and
`lesson:` links. Signed in, a reader also sees their progress. URL rules: blueprint.py."""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from html import unescape

from flask import get_template_attribute, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from lms.accounts.models import User
from lms.catalog import services as catalog
from lms.catalog.services import AUDIENCE_LABELS
from lms.core.errors import NotFound
from lms.core.nav import nav_entries
from lms.learning import services


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


_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
_TAG = re.compile(r"<[^>]*>")

# Never holds anything that depends on the viewer: a leader's menu must not reach an official.
_lesson_parts = _PageCache()
_anonymous_pages = _PageCache()
# A signed-in reader's whole page, per lesson rendering, address, read state and set of visible
# menu and footer entries; their form token is put in on the way out (_FORM_MARK marks its places).
_reader_pages = _PageCache(size=1024)  # about 15 KB a page
_FORM_MARK = "\x00form-mark\x00"


def signed_in_reader() -> User | None:
    """The signed-in reader, or None for an anonymous visitor: these pages serve both."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def catalogue():
    courses = services.order_courses_for(signed_in_reader(), catalog.list_courses())
    return render_template("learning/catalogue.html", courses=courses, labels=AUDIENCE_LABELS)


def course(slug: str):
    course = catalog.get_course(slug)
    overview = services.course_overview(signed_in_reader(), course)
    return render_template("learning/course.html", course=course, overview=overview, labels=AUDIENCE_LABELS)


def module(slug: str, module_slug: str):
    course, course_module, lessons = catalog.module_context(slug, module_slug)
    overview = services.module_overview(signed_in_reader(), course, course_module.module, lessons)
    # "Save this module for offline" keeps these pages in the service worker's cache.
    offline_urls = [url_for("learning.course", slug=course.slug), request.path] + [
        url_for("learning.lesson", slug=course.slug, module_slug=module_slug, lesson_slug=lesson.slug) for lesson in lessons
    ]
    return render_template("learning/module.html", course=course, course_module=course_module,
                           module=course_module.module, overview=overview, offline_urls=offline_urls)  # fmt: skip


def lesson(slug: str, module_slug: str, lesson_slug: str):
    """The most read page. What is the same for every reader (the lesson's HTML, its
    breadcrumbs and pager) is rendered once per content version and language and kept in
    memory. The page around it depends on the viewer only through the menu and footer entries
    they see, the lesson's read state and their form token: a signed-in reader's page is kept
    per entries and read state with the token put in for each response, and an anonymous
    reader's whole page per address. A page with flashed messages is rendered afresh."""
    key = catalog.lesson_key(slug, module_slug, lesson_slug)
    language = get_locale().language
    parts_key = (slug, module_slug, lesson_slug, key.hashes, language)
    parts = _lesson_parts.get(parts_key)
    if parts is None:
        parts = _render_lesson_parts(slug, module_slug, lesson_slug)
        _lesson_parts.put(parts_key, parts)
    user = signed_in_reader()
    if user is not None:
        is_read = services.is_lesson_read(user, key.lesson_id)
        if session.get("_flashes"):
            return render_template("learning/lesson.html", parts=parts, is_read=is_read)
        menu = tuple((entry.place, entry.endpoint) for entry in nav_entries("menu") + nav_entries("footer"))
        reader_key = (request.full_path, key.hashes, language, is_read, menu)
        token = generate_csrf()
        page = _reader_pages.get(reader_key)
        if page is None:
            html = render_template("learning/lesson.html", parts=parts, is_read=is_read)
            page = html.replace(token, _FORM_MARK)
            _reader_pages.put(reader_key, page)
            return html
        return page.replace(_FORM_MARK, token)
    if session.get("_flashes"):
        return render_template("learning/lesson.html", parts=parts, is_read=False)
    page_key = (request.full_path, key.hashes, language)
    html = _anonymous_pages.get(page_key)
    if html is None:
        html = render_template("learning/lesson.html", parts=parts, is_read=False)
        _anonymous_pages.put(page_key, html)
    return html


def _render_lesson_parts(slug: str, module_slug: str, lesson_slug: str) -> dict:
    """The lesson page's pieces that do not depend on who reads it."""
    course, course_module, lessons = catalog.module_context(slug, module_slug)
    index = catalog.lesson_index(lessons, lesson_slug)
    current = lessons[index]
    macro = functools.partial(get_template_attribute, "learning/_lesson_parts.html")
    return {
        "course_slug": course.slug,
        "module_slug": course_module.module.slug,
        "lesson_slug": current.slug,
        "title": current.title,
        "number": index + 1,
        "total": len(lessons),
        "minutes": current.minutes,
        "description": lesson_description(current.body_html),
        "head": macro("head")(course, course_module.module, current),
        "body": macro("body")(current),
        "pager": macro("pager")(
            course,
            course_module.module,
            lessons[index - 1] if index > 0 else None,
            lessons[index + 1] if index + 1 < len(lessons) else None,
        ),
    }


def lesson_description(body_html: str, limit: int = 200) -> str:
    """The lesson's first paragraph as plain text, for the description and link previews."""
    match = _FIRST_PARAGRAPH.search(body_html)
    text = " ".join(unescape(_TAG.sub(" ", match.group(1) if match else body_html)).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def lesson_anywhere(module_slug: str, lesson_slug: str):
    """Target of `lesson:` links in content: open the lesson in the learner's course."""
    courses = catalog.courses_containing(module_slug)
    if not courses:
        raise NotFound(_("Không tìm thấy bài học này."))
    course = services.preferred_course(signed_in_reader(), courses)
    return redirect(url_for("learning.lesson", slug=course.slug, module_slug=module_slug, lesson_slug=lesson_slug))
