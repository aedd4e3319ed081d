"""Field work: the five basic tasks and local platforms, targets per team and period, the
outreach log a team member keeps on a phone (also offline), its counters, progress views and
the monthly commune report, campaigns, and the totals evaluation reads (see docs/fieldwork.md)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.fieldwork import views

    views.init_app(app)
