"""Reports: rollup counters kept by signal receivers, dashboards by place and team, exports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.reports import receivers

    receivers.connect()
