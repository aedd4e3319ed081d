"""Reports: rollup counters kept by signal receivers, dashboards by place and team, people and
their progress, the people a team member helped, and exports. It sits above learning, quizzes
and certificates and reads their records; nobody imports it."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

# Each part registers its own blueprint, menu entries and commands.
PARTS = ("lms.reports.dashboards", "lms.reports.people", "lms.reports.helped", "lms.reports.evaluation")


def init_app(app: Flask) -> None:
    import lms.reports.cli  # noqa: F401  (rollups-rebuild)
    from lms.reports import receivers

    receivers.connect()
    for name in PARTS:
        import_module(name).init_app(app)
