"""The main menu and the footer links, assembled from entries that each feature adds in its init_app.

An entry names an endpoint, a label and who sees it; base.html lists the visible entries in
order, so the layout knows no feature. `visible` gets the current user (anonymous or not) and
is called once per page, so it must be cheap (scope_of caches per request)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_login import current_user


def anyone(user: Any) -> bool:
    return True


def signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def signed_out(user: Any) -> bool:
    return not signed_in(user)


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: Any  # a lazy gettext string, translated when the page renders
    order: int
    visible: Callable[[Any], bool] = anyone
    method: str = "get"  # "post": a button in a small form with a CSRF token (log out)
    place: str = "menu"  # or "footer"

    def url(self) -> str:
        """url_for(endpoint), built once per application root: entries take no arguments, and
        building a dozen URLs was a tenth of a signed-in lesson page."""
        key = (request.script_root, self.endpoint)
        built = _urls.get(key)
        if built is None:
            if len(_urls) > 256:
                _urls.clear()
            built = _urls[key] = url_for(self.endpoint)
        return built


_urls: dict[tuple[str, str], str] = {}


def add_nav_entry(app: Flask, entry: NavEntry) -> None:
    entries: list[NavEntry] = app.extensions.setdefault("lms_nav", [])
    entries.append(entry)
    entries.sort(key=lambda e: e.order)


def nav_entries(place: str = "menu") -> list[NavEntry]:
    """The entries of the menu (or the footer) the current user sees, in order."""
    user = current_user._get_current_object() if current_user else None
    return [entry for entry in current_app.extensions.get("lms_nav", []) if entry.place == place and entry.visible(user)]
