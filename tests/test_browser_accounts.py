"""In Chromium: register (with the accent-free commune search), log out, log in."""

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.core.extensions import db
from tests.browser import chromium, live_server, screenshot

pytestmark = pytest.mark.browser


def test_register_login_logout_in_chromium(app):
    errors = []
    with live_server(app) as base, chromium() as page:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(base + "/register")
        page.get_by_label("Số điện thoại di động").fill("0933 111 222")
        page.get_by_label("Họ và tên (như sẽ in trên chứng nhận)").fill("Nguyễn Thị Mai")
        page.get_by_label("Năm sinh").fill("1975")
        page.get_by_label("Tìm nhanh (gõ không dấu cũng được)").fill("ba dinh ha noi")
        page.get_by_role("button", name="Phường Ba Đình — Thành phố Hà Nội").click()
        assert page.locator("select[name=commune]").input_value() == "00004"
        page.get_by_label("Mật khẩu (ít nhất 8 ký tự)").fill("mat-khau-123")
        page.get_by_label("Nhập lại mật khẩu").fill("mat-khau-123")
        page.get_by_label("Tôi đã đọc thông báo xử lý dữ liệu cá nhân và đồng ý").check()
        screenshot(page, "register-form")
        page.get_by_role("button", name="Đăng ký").click()
        page.wait_for_url(base + "/")
        assert page.get_by_text("Xin chào, Nguyễn Thị Mai!").is_visible()
        screenshot(page, "registered-home")

        page.get_by_role("button", name="Đăng xuất").click()
        assert page.get_by_text("Bạn đã đăng xuất.").is_visible()

        page.get_by_role("link", name="Đăng nhập").first.click()
        page.get_by_label("Số điện thoại di động").fill("+84933111222")
        page.get_by_label("Mật khẩu").fill("mat-khau-123")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(base + "/")
        assert page.get_by_text("Xin chào, Nguyễn Thị Mai!").is_visible()
        page.get_by_role("button", name="Đăng xuất").click()
        screenshot(page, "logged-out")
    assert errors == []
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "+84933111222"))
        assert user.home_commune_code == "00004" and user.birth_year == 1975


def test_register_without_javascript_uses_province_then_commune(app):
    with live_server(app) as base, chromium(java_script_enabled=False) as page:
        page.goto(base + "/register")
        page.get_by_label("Số điện thoại di động").fill("0933111223")
        page.get_by_label("Họ và tên (như sẽ in trên chứng nhận)").fill("Trần Văn Hùng")
        page.get_by_label("Tỉnh/thành phố").select_option("79")
        page.get_by_role("button", name="Chọn tỉnh này").click()
        assert page.get_by_label("Họ và tên (như sẽ in trên chứng nhận)").input_value() == "Trần Văn Hùng"
        page.get_by_label("Xã/phường/đặc khu", exact=True).select_option("26506")
        page.get_by_label("Mật khẩu (ít nhất 8 ký tự)").fill("mat-khau-123")
        page.get_by_label("Nhập lại mật khẩu").fill("mat-khau-123")
        page.get_by_label("Tôi đã đọc thông báo xử lý dữ liệu cá nhân và đồng ý").check()
        page.get_by_role("button", name="Đăng ký").click()
        page.wait_for_url(base + "/")
        screenshot(page, "registered-no-js")
        assert page.get_by_text("Xin chào, Trần Văn Hùng!").is_visible()
