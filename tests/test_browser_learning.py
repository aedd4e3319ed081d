"""In Chromium: a citizen reads a module, fails the quiz once, passes it, sees the module complete.
Once with JavaScript (autosave, offline notice) and once without."""

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from lms.learning.models import ModuleCompletion
from lms.quizzes.models import AttemptAnswer, QuizAttempt
from tests.browser import chromium, live_server, screenshot
from tests.factories import next_phone
from tests.quiz_helpers import answer_key

pytestmark = pytest.mark.browser
COURSE, MODULE = "nguoi-dan", "b03-tim-kiem"


def login(page, base, phone):
    page.goto(base + "/login")
    page.get_by_label("Số điện thoại di động").fill(phone)
    page.get_by_label("Mật khẩu").fill("mat-khau-123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(base + "/")


def read_module(page, base):
    page.goto(f"{base}/courses/{COURSE}/{MODULE}")
    page.get_by_role("link", name="Bài kiểm tra").first.wait_for()
    page.locator("ol.lessons a").first.click()
    for _ in range(4):
        assert page.locator(".lesson h1").is_visible()
        page.get_by_role("button", name="Tôi đã đọc xong bài này").click()
    page.wait_for_url(f"{base}/courses/{COURSE}/{MODULE}/quiz")


def answer_attempt(page, app, right):
    attempt_id = int(page.url.rsplit("/", 1)[1])
    for version_id, chosen in answer_key(app, attempt_id, right=right).items():
        for option in chosen:
            page.locator(f"input[name=q{version_id}][value='{option}']").check()
    return attempt_id


def run_flow(app, factory, java_script: bool, name: str):
    phone = next_phone()
    uid = factory.user(phone=phone, name="Phan Thị Thu")
    with live_server(app) as base, chromium(java_script_enabled=java_script) as page:
        login(page, base, phone)
        read_module(page, base)
        page.get_by_role("button", name="Bắt đầu làm bài").click()
        first = answer_attempt(page, app, right=4)
        if java_script:
            # Autosave: the answers reach the server before anyone presses a button.
            page.wait_for_function("document.getElementById('quiz-status').textContent.indexOf('10/10') >= 0")
            page.wait_for_timeout(300)
            with app.app_context():
                saved = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == first)).all()
                assert len(saved) == 10
        screenshot(page, f"{name}-quiz")
        page.get_by_role("button", name="Nộp bài").click()
        page.wait_for_url(f"{base}/attempts/{first}/result")
        assert page.get_by_text("Kết quả: 4/10 câu đúng (40%)").is_visible()
        assert page.get_by_text("Chưa đạt.", exact=False).first.is_visible()
        screenshot(page, f"{name}-failed")
        page.get_by_role("button", name="Làm lượt mới").click()
        second = answer_attempt(page, app, right=9)
        assert second != first
        if java_script:
            page.context.set_offline(True)
            version_id = page.locator("fieldset.question").first.get_attribute("data-version")
            options = page.locator(f"input[name=q{version_id}]")
            current = [i for i in range(options.count()) if options.nth(i).is_checked()]
            options.nth(current[0]).check()  # re-check: a change event while offline
            page.evaluate("window.dispatchEvent(new Event('offline'))")
            assert page.get_by_text("Mất kết nối.", exact=False).is_visible()
            screenshot(page, f"{name}-offline")
            page.context.set_offline(False)
            page.evaluate("window.dispatchEvent(new Event('online'))")
            page.wait_for_function("document.getElementById('offline-notice').hidden === true")
        page.get_by_role("button", name="Nộp bài").click()
        page.wait_for_url(f"{base}/attempts/{second}/result")
        assert page.get_by_text("Kết quả: 9/10 câu đúng (90%)").is_visible()
        assert page.get_by_text("Bạn đã hoàn thành học phần này.").is_visible()
        screenshot(page, f"{name}-passed")
        page.goto(f"{base}/courses/{COURSE}")
        assert page.locator("li.card", has_text="Tìm kiếm thông tin hiệu quả").get_by_text("Hoàn thành").is_visible()
    with app.app_context():
        assert db.session.scalar(select(ModuleCompletion).where(ModuleCompletion.user_id == uid)) is not None
        attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == uid)).all()
        assert sorted(a.percent for a in attempts) == [40, 90]


def test_citizen_completes_a_module_with_javascript(app, factory):
    run_flow(app, factory, java_script=True, name="learning-js")


def test_citizen_completes_a_module_without_javascript(app, factory):
    run_flow(app, factory, java_script=False, name="learning-nojs")
