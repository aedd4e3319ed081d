"""Public statistics pages: figures from the rollups per country, province and commune, no
personal data, counts from 1 to 4 shown as "< 5", cached, and off by a setting."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.core.extensions import db

SECOND_COMMUNE = "00008"
HANOI = "01"


@pytest.fixture
def world(app, factory):
    """Six citizens of Ba Đình and two of commune 00008 completed the citizens' course."""
    from lms.accounts.models import User
    from lms.catalog.models import Course
    from lms.reports.evaluation import clear_stats_cache
    from tests.test_dashboards import complete

    letters = "ABCDEF"
    people = [factory.user(name=f"Nguyễn Thống Kê {letters[n]}") for n in range(6)]
    people += [factory.user(name=f"Lê Thống Kê {letters[n]}", commune=SECOND_COMMUNE) for n in range(2)]
    with app.test_request_context("/"):
        course = db.session.scalar(select(Course).where(Course.slug == "nguoi-dan"))
        for person_id in people:
            complete(db.session.get(User, person_id), course)
        db.session.commit()
    clear_stats_cache()
    yield people
    clear_stats_cache()


def cell(html: str, place: str) -> str:
    """The completed count of the row whose first cell names the place."""
    match = re.search(re.escape(place) + r"</a></th>\s*<td[^>]*>([^<]+)</td>", html)
    assert match, place
    return match.group(1)


def second_name(app) -> str:
    from lms.places.models import Commune

    with app.app_context():
        return db.session.get(Commune, SECOND_COMMUNE).name


def test_counts_under_five_are_suppressed_and_nobody_is_named(app, world):
    client = app.test_client()
    province = client.get(f"/stats/provinces/{HANOI}")
    assert province.status_code == 200
    assert cell(province.text, "Phường Ba Đình") == "6"
    assert cell(province.text, second_name(app)) == "&lt; 5"
    commune = client.get(f"/stats/communes/{SECOND_COMMUNE}").text
    assert "&lt; 5" in commune and ">2<" not in commune
    country = client.get("/stats").text
    assert "Thành phố Hà Nội" in country and cell(country, "Thành phố Hà Nội") == "8"
    for body in (province.text, commune, country):
        assert "Thống Kê" not in body
    assert province.headers["Cache-Control"].replace(" ", "") in ("public,max-age=600", "max-age=600,public")
    for bad in ("/stats/provinces/99", "/stats/provinces/1", "/stats/communes/abcde", "/stats/communes/" + "9" * 30):
        assert client.get(bad).status_code == 404


def test_figures_are_cached_and_the_pages_can_be_turned_off(app, world, factory):
    from lms.accounts.models import User
    from lms.catalog.models import Course
    from tests.test_dashboards import complete

    client = app.test_client()
    assert cell(client.get(f"/stats/provinces/{HANOI}").text, "Phường Ba Đình") == "6"
    late = factory.user(name="Người Đến Sau")
    with app.test_request_context("/"):
        course = db.session.scalar(select(Course).where(Course.slug == "nguoi-dan"))
        complete(db.session.get(User, late), course)
        db.session.commit()
    # Within the cache's lifetime the page shows the figures it computed.
    assert cell(client.get(f"/stats/provinces/{HANOI}").text, "Phường Ba Đình") == "6"
    app.config["PUBLIC_STATS_CACHE_SECONDS"] = 0
    try:
        assert cell(client.get(f"/stats/provinces/{HANOI}").text, "Phường Ba Đình") == "7"
    finally:
        app.config.pop("PUBLIC_STATS_CACHE_SECONDS")
    app.config["PUBLIC_STATS"] = False
    try:
        assert client.get("/stats").status_code == 404
        assert client.get(f"/stats/provinces/{HANOI}").status_code == 404
    finally:
        app.config.pop("PUBLIC_STATS")
