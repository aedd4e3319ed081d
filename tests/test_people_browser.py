"""In Chromium on a 360×740 phone: an official filters the people list, pages through it and opens
a person's progress; nothing is wider than the screen."""

from __future__ import annotations

import pytest

from tests.browser import chromium, live_server, screenshot
from tests.factories import next_phone
from tests.test_people import _learn, bulk_people

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_an_official_finds_a_person_and_reads_their_progress_on_a_phone(app, factory):
    bulk_people(app, 60)
    person = factory.user(name="Phạm Thị Ngọc Ánh")
    _learn(app, person, lessons=2, right_answers=[4])
    phone = next_phone()
    factory.user(phone=phone, name="Cán Bộ Xã", role="commune_official", role_commune="00004")
    errors: list[str] = []
    with live_server(app) as base, chromium() as page:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/login")
        page.get_by_label("Số điện thoại di động").fill(phone)
        page.get_by_label("Mật khẩu", exact=True).fill("mat-khau-123")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(base + "/")
        page.goto(base + "/people")
        assert page.get_by_text("62 người").is_visible()
        assert page.get_by_text("Trang 1/2").first.is_visible()
        assert _no_sideways_scroll(page) <= 360
        screenshot(page, "people-list-360")
        page.get_by_role("link", name="Trang sau ›").click()
        assert page.get_by_text("đang xem 51–62").is_visible()
        page.get_by_label("Tìm theo tên hoặc số điện thoại").fill("ngoc anh")
        page.get_by_text("Khóa học, tình trạng, sắp xếp").click()  # the filters fold away on a phone
        page.get_by_label("Khóa học").select_option("nguoi-dan")
        page.get_by_label("Tình trạng").select_option("in_progress")
        page.get_by_role("button", name="Lọc").click()
        assert page.get_by_text("1 người").is_visible()
        page.get_by_role("link", name="Phạm Thị Ngọc Ánh").click()
        assert page.get_by_role("heading", name="Tiến độ học").is_visible()
        assert page.get_by_text("Các lần làm bài kiểm tra").is_visible()
        assert _no_sideways_scroll(page) <= 360
        screenshot(page, "person-progress-360")
    assert errors == []
