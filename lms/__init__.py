"""Học số cộng đồng: the learning platform of the community digital technology teams.

The application is assembled in lms/app.py; `create_app` is re-exported here for wsgi.py."""

from __future__ import annotations

from lms.app import PROJECT_ROOT, create_app

__all__ = ["PROJECT_ROOT", "create_app"]
