"""In Chromium on a 360×740 phone: a team member registers a citizen without a phone and with a
new household at the door, reads the login card, registers a second citizen into an existing
household found by the accent-free search, and the first citizen logs in with the card."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.core.extensions import db
from lms.places.models import Household
from tests.browser import chromium, live_server, screenshot
from tests.factories import next_phone

pytestmark = pytest.mark.browser


def test_register_at_the_door_read_the_card_and_log_in_with_it(app, factory):
    phone = next_phone()
    member = factory.user(phone=phone, name="Lê Văn Tổ Viên")
    village = factory.village(name="Thôn Đông")
    factory.team(village, members=(member,))
    with app.app_context():
        from lms.places.households import label_key

        label = "Nhà ông Tư, xóm Bãi"
        db.session.add(Household(village_id=village, commune_code="00004", label=label, label_key=label_key(label)))
        db.session.commit()

    errors: list[str] = []
    with live_server(app) as base, chromium() as page:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(base + "/login")
        page.get_by_label("Số điện thoại di động").fill(phone)
        page.get_by_label("Mật khẩu", exact=True).fill("mat-khau-123")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(base + "/")

        page.get_by_role("link", name="Đăng ký giúp người dân").first.click()
        page.wait_for_url(base + "/field/register")
        assert page.locator("select[name=village]").input_value() == str(village)
        page.get_by_label("Họ và tên người dân").fill("Nguyễn Thị Hoa")
        page.get_by_label("Năm sinh").fill("1958")
        # The search answers while typing: nothing matches this address, so it is a new household.
        page.get_by_label("Tìm hộ đã có (gõ không dấu cũng được)").fill("so 8 ngo 5")
        page.get_by_text("Không có hộ nào khớp. Bạn có thể ghi hộ mới ở dưới.").wait_for()
        page.get_by_label("Hoặc hộ mới: địa chỉ (số nhà, ngõ, xóm)").fill("Số 8, ngõ 5")
        page.get_by_label("Tôi đã đọc to thông báo xử lý dữ liệu cá nhân cho người dân, và người dân đồng ý").check()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "assisted-register-form")
        page.get_by_role("button", name="Đăng ký và lấy thẻ đăng nhập").click()

        page.get_by_role("heading", name="Thẻ đăng nhập Học số cộng đồng").wait_for()
        login = page.locator("[data-card-login]").inner_text().strip()
        code = page.locator("[data-card-code]").inner_text().replace(" ", "").strip()
        assert login.startswith("HS-") and len(code) == 8 and code.isdigit()
        assert page.locator("[data-card-url]").inner_text().endswith("/login/card")
        assert page.get_by_role("button", name="In thẻ").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "assisted-card")
        page.emulate_media(media="print")
        assert not page.locator("header.top").is_visible()
        assert not page.get_by_role("button", name="In thẻ").is_visible()
        assert page.locator("[data-card-code]").is_visible()
        screenshot(page, "assisted-card-print")
        page.emulate_media(media="screen")

        # A second citizen, into the existing household found without accents.
        page.get_by_role("link", name="Đăng ký người tiếp theo").click()
        page.wait_for_url(base + "/field/register")
        page.get_by_label("Họ và tên người dân").fill("Trần Văn Tư")
        page.get_by_label("Năm sinh").fill("1960")
        page.get_by_label("Tìm hộ đã có (gõ không dấu cũng được)").fill("tu xom bai")
        household = page.locator("select[name=household]")
        household.locator("option", has_text="Nhà ông Tư, xóm Bãi").wait_for(state="attached")
        household.select_option(label="Nhà ông Tư, xóm Bãi")
        page.get_by_label("Tôi đã đọc to thông báo xử lý dữ liệu cá nhân cho người dân, và người dân đồng ý").check()
        page.get_by_role("button", name="Đăng ký và lấy thẻ đăng nhập").click()
        page.get_by_role("heading", name="Thẻ đăng nhập Học số cộng đồng").wait_for()
        page.get_by_role("button", name="Đăng xuất").click()

        # The citizen logs in with what the card says, and chooses a password.
        page.goto(base + "/login")
        page.get_by_role("link", name="Đăng nhập lần đầu bằng thẻ").click()
        page.get_by_label("Tên đăng nhập").fill(login)
        page.get_by_label("Mã dùng một lần").fill(code)
        page.get_by_label("Mật khẩu mới (ít nhất 8 ký tự)").fill("ba-Hoa-1958!")
        page.get_by_label("Nhập lại mật khẩu mới").fill("ba-Hoa-1958!")
        screenshot(page, "assisted-card-login")
        page.get_by_role("button", name="Đặt mật khẩu và đăng nhập").click()
        page.wait_for_url(base + "/")
        assert page.get_by_text("Xin chào, Nguyễn Thị Hoa!").is_visible()
        screenshot(page, "assisted-citizen-home")
    assert errors == []
    with app.app_context():
        hoa = db.session.scalar(select(User).where(User.full_name == "Nguyễn Thị Hoa"))
        tu = db.session.scalar(select(User).where(User.full_name == "Trần Văn Tư"))
        assert hoa.phone == login.replace("-", "") and hoa.household.label == "Số 8, ngõ 5"
        assert tu.household.label == "Nhà ông Tư, xóm Bãi" and hoa.last_login_at is not None


def test_the_door_pages_have_no_accessibility_violations(app, factory):
    """axe-core on each page of this part, as the member and the leader who open them (the CSP is
    bypassed only so that axe can be injected; the test above runs under the real CSP)."""
    from tests.test_a11y import axe_violations

    phone, leader_phone = next_phone(), next_phone()
    member = factory.user(phone=phone, name="Lê Văn Tổ Viên")
    leader = factory.user(phone=leader_phone, name="Phạm Thị Tổ Trưởng")
    village = factory.village(name="Thôn Đông")
    team = factory.team(village, members=(member, leader), leader=leader)
    problems: dict[str, list[str]] = {}
    with live_server(app) as base, chromium(bypass_csp=True) as page:
        for who in (phone, leader_phone):
            page.goto(base + "/login")
            page.get_by_label("Số điện thoại di động").fill(who)
            page.get_by_label("Mật khẩu", exact=True).fill("mat-khau-123")
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_url(base + "/")
            page.goto(base + "/field/register")
            problems[f"register ({who})"] = axe_violations(page)
            page.get_by_role("button", name="Đăng ký và lấy thẻ đăng nhập").click()
            page.wait_for_load_state()
            problems[f"register with errors ({who})"] = axe_violations(page)
            page.get_by_label("Họ và tên người dân").fill("Nguyễn Thị Hoa" if who == phone else "Trần Văn Tư")
            page.get_by_label("Năm sinh").fill("1958")
            page.get_by_label("Hoặc hộ mới: địa chỉ (số nhà, ngõ, xóm)").fill("Số 8, ngõ 5" if who == phone else "Số 9, ngõ 5")
            page.get_by_label("Tôi đã đọc to thông báo xử lý dữ liệu cá nhân cho người dân, và người dân đồng ý").check()
            page.get_by_role("button", name="Đăng ký và lấy thẻ đăng nhập").click()
            page.get_by_role("heading", name="Thẻ đăng nhập Học số cộng đồng").wait_for()
            problems[f"card ({who})"] = axe_violations(page)
            for name, path in (
                ("households", f"/field/villages/{village}/households"),
                ("helped", "/helped"),
                *([("team", f"/helped/teams/{team}")] if who == leader_phone else []),
            ):
                page.goto(base + path)
                problems[f"{name} ({who})"] = axe_violations(page)
            page.get_by_role("button", name="Đăng xuất").click()
        page.goto(base + "/login/card")
        problems["card login"] = axe_violations(page)
    assert {name: found for name, found in problems.items() if found} == {}
