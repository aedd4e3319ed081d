"""The learning blueprint and its URL rules. The views never import this module back.

Public content pages (pages.py) come first; the signed-in learner's actions (views.py) after.
The addresses are the learner's: /courses/..., /lessons/..., /dashboard."""

from __future__ import annotations

from flask import Blueprint

from lms.learning import pages, views

bp = Blueprint("learning", __name__, template_folder="templates")

bp.add_url_rule("/courses", "catalogue", pages.catalogue)
bp.add_url_rule("/courses/<slug>", "course", pages.course)
bp.add_url_rule("/courses/<slug>/<module_slug>", "module", pages.module)
bp.add_url_rule("/courses/<slug>/<module_slug>/<lesson_slug>", "lesson", pages.lesson)
bp.add_url_rule("/lessons/<module_slug>/<lesson_slug>", "lesson_anywhere", pages.lesson_anywhere)

bp.add_url_rule("/dashboard", "dashboard", views.dashboard)
bp.add_url_rule("/courses/<slug>/enroll", "enroll", views.enroll, methods=["POST"])
bp.add_url_rule("/courses/<slug>/<module_slug>/<lesson_slug>/done", "lesson_done", views.lesson_done, methods=["POST"])
