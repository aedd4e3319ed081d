"""In Chromium on a 360×740 phone: a team member records an entry while offline (network
emulation), sees that it waits on the phone, and after reconnecting it is stored once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from lms.fieldwork.models import OutreachEntry
from tests.browser import chromium, live_server, screenshot
from tests.factories import next_phone
from tests.test_fieldwork import _household

pytestmark = pytest.mark.browser


def test_an_entry_made_offline_is_stored_once_after_reconnecting(app, factory):
    phone = next_phone()
    member = factory.user(phone=phone, name="Lê Văn Tổ Viên")
    village = factory.village(name="Thôn Đông")
    factory.team(village, members=(member,))
    household = _household(app, village, "Nhà ông Tư, xóm Bãi")

    errors: list[str] = []
    with live_server(app) as base, chromium() as page:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/login")
        page.get_by_label("Số điện thoại di động").fill(phone)
        page.get_by_label("Mật khẩu", exact=True).fill("mat-khau-123")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(base + "/")
        page.get_by_role("link", name="Ghi việc đã giúp").first.click()
        page.wait_for_url(base + "/field/outreach")

        page.context.set_offline(True)
        page.get_by_label("Hộ gia đình").select_option(label="Nhà ông Tư, xóm Bãi")
        page.get_by_label("Nhiệm vụ", exact=True).select_option(label="Dịch vụ công trực tuyến")
        page.get_by_label("Cần quay lại").check()
        page.get_by_label("Ghi chú (không bắt buộc)").fill("Hẹn tuần sau")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_role("button", name="Ghi lại").click()
        page.get_by_text("Chưa có mạng: mục ghi được giữ trên máy").wait_for()
        screenshot(page, "outreach-offline")
        with app.app_context():
            assert db.session.scalars(select(OutreachEntry)).all() == []
        queue_length = f"JSON.parse(localStorage.getItem('lms-outreach-queue-{member}')).length"
        assert page.evaluate(queue_length) == 1

        page.context.set_offline(False)
        page.get_by_text("Đã ghi lại.").wait_for()
        assert page.evaluate(queue_length) == 0
        # The page opened again sends nothing twice.
        page.reload()
        page.get_by_role("cell", name="Nhà ông Tư, xóm Bãi", exact=True).wait_for()
        screenshot(page, "outreach-online")

    with app.app_context():
        rows = db.session.scalars(select(OutreachEntry)).all()
        assert [(r.household_id, r.task_code, r.outcome, r.note) for r in rows] == [
            (household, "dich-vu-cong", "follow_up", "Hẹn tuần sau")
        ]
    assert errors == []
