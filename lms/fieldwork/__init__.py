"""Placeholder: the feature is filled in by its own commits."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    return None
