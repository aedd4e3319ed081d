"""Interface languages: Vietnamese by default, English with ?lang=en, and a complete English catalog."""

from __future__ import annotations

import gettext
import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy import select

from lms.core.extensions import db
from tests.factories import csrf_from, login_as, next_phone

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "lms" / "translations"
PO_FILE = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO_FILE = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"

# Letters only Vietnamese uses: any of them in an English page is a leftover.
VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯ]|[àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)
# The layout's Vietnamese texts that must not appear in an English page.
LAYOUT_VI = [
    "Khóa học",
    "Đăng nhập",
    "Đăng ký",
    "Bỏ qua, tới nội dung chính",
    "Điều hướng chính",
    "Thông báo xử lý dữ liệu cá nhân",
    "nền tảng học tập",
]
LAYOUT_VI_SIGNED_IN = ["Góc học tập", "Tài khoản", "Đăng xuất", "Quản lý", "Danh sách người học"]


def visible_text(page: str) -> str:
    """Text a person sees or hears: element text plus labels held in attributes."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    attributes = re.findall(r'\b(?:aria-label|placeholder|title|alt|value|data-text-[\w-]+)="([^"]*)"', body)
    text = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(" ".join([text, *attributes]))


def vietnamese_words(text: str, allowed: set[str] = frozenset()) -> set[str]:
    return {word for word in re.findall(r"\w+", text) if VIETNAMESE_LETTERS.search(word)} - allowed


# "Tiếng Việt" is the link back to Vietnamese, written in Vietnamese on purpose.
# The language link and the product name stay Vietnamese in every language.
LANGUAGE_LINK = {"Tiếng", "Việt", "Học", "số", "cộng", "đồng"}


def layout_text(page: str) -> str:
    """Visible text of the layout only: the page without <main> (content) and <title>."""
    return visible_text(re.sub(r"<(main|title)\b.*?</\1>", " ", page, flags=re.S))


def assert_english_layout(page: str, signed_in: bool = False) -> None:
    assert '<html lang="en">' in page
    text = layout_text(page)
    for leftover in LAYOUT_VI + (LAYOUT_VI_SIGNED_IN if signed_in else []):
        assert leftover not in text, leftover
    assert vietnamese_words(text, LANGUAGE_LINK) == set()
    assert "Courses" in text and "Skip to main content" in text and "Personal data notice" in text
    assert "Tiếng Việt" in text and ">English<" not in page


def test_home_page_in_english_has_no_vietnamese_left(client):
    page = client.get("/?lang=en").text
    assert_english_layout(page)
    assert "Học số cộng đồng" in page
    assert "Sign up for free" in page
    assert vietnamese_words(visible_text(page), LANGUAGE_LINK) == set()


def test_language_choice_sticks_for_the_session_and_can_be_switched_back(client):
    client.get("/?lang=en")
    assert_english_layout(client.get("/login").text)
    client.get("/lang/vi")
    page = client.get("/login").text
    assert '<html lang="vi">' in page and "Đăng nhập" in page


def test_login_page_in_english(client):
    page = client.get("/login?lang=en").text
    assert_english_layout(page)
    assert 'value="Log in"' in page
    assert "Mobile phone number" in page and "Keep me logged in on this device" in page
    assert vietnamese_words(visible_text(page), LANGUAGE_LINK) == set()


def test_wrong_password_message_in_english(client, factory):
    factory.user(phone="0912555001")
    form = client.get("/login?lang=en").text
    response = client.post("/login", data={"csrf_token": csrf_from(form), "phone": "0912555001", "password": "sai-mat-khau"})
    assert response.status_code == 422
    assert "The phone number or password is incorrect." in response.text
    assert "Số điện thoại hoặc mật khẩu không đúng." not in response.text


def test_registration_with_a_landline_shows_the_english_error(client):
    form = client.get("/register?lang=en").text
    assert_english_layout(form)
    assert 'value="Sign up"' in form
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_from(form),
            "phone": "024 3825 1234",
            "full_name": "Nguyễn Thị Hoa",
            "password": "mat-khau-123",
            "password_confirm": "mat-khau-123",
            "commune": "00004",
            "consent": "y",
        },
    )
    assert response.status_code == 422
    assert "This is a landline number. Please enter a mobile number" in response.text
    assert "Đây là số máy bàn" not in response.text
    assert_english_layout(response.text)
    # Left in Vietnamese: what was typed, the example name and the place names of the picker.
    assert "Full name (as it will appear on your certificate)" in response.text
    assert "— Choose a province or city —" in response.text


def test_form_validator_messages_in_english(client):
    form = client.get("/register?lang=en").text
    response = client.post("/register", data={"csrf_token": csrf_from(form), "phone": "0" * 25})
    assert "Please enter your full name." in response.text
    assert "Please enter no more than 20 characters." in response.text


def test_not_found_page_in_english(client):
    response = client.get("/no-such-page?lang=en")
    assert response.status_code == 404
    assert_english_layout(response.text)
    assert "Page not found" in response.text and "Go to the home page" in response.text
    assert vietnamese_words(visible_text(response.text), LANGUAGE_LINK) == set()


def test_domain_error_message_in_english(client):
    response = client.get("/courses/no-such-course?lang=en")
    assert response.status_code == 404
    assert "We could not find this course." in response.text


def _first_module(app) -> tuple[str, str]:
    from lms.catalog.models import Course, CourseModule, Module

    with app.app_context():
        course, module = db.session.execute(
            select(Course.slug, Module.slug)
            .join(CourseModule, CourseModule.course_id == Course.id)
            .join(Module, Module.id == CourseModule.module_id)
            .where(Course.is_retired.is_(False), Module.is_retired.is_(False))
            .order_by(Course.position, CourseModule.position)
        ).first()
    return course, module


def test_lesson_list_page_in_english(app, client):
    course, module = _first_module(app)
    page = client.get(f"/courses/{course}/{module}?lang=en").text
    assert_english_layout(page)
    for text in ("What you will learn", "Lessons", "Quiz", "Sources"):
        assert text in page, text
    assert re.search(r"· \d+ minutes?\b", page)
    assert "phút" not in page


def test_signed_in_pages_in_english(app, factory):
    client, _auth, _uid, _phone = login_as(app, factory, role="admin")
    page = client.get("/dashboard?lang=en").text
    assert_english_layout(page, signed_in=True)
    for text in ("My learning", "Account", "Log out", "Manage", "Learners"):
        assert text in page, text
    assert "You have not enrolled in any course yet." in page
    account = client.get("/account").text
    assert "Your account" in account and 'value="Save changes"' in account


def test_catalogue_course_labels_and_quiz_texts_in_english(app, factory):
    client, _auth, _uid, _phone = login_as(app, factory)
    course, module = _first_module(app)
    catalogue = client.get("/courses?lang=en").text
    assert "Citizens" in catalogue and "View course" in catalogue
    assert "Người dân" not in catalogue
    landing = client.get(f"/courses/{course}/{module}/quiz").text
    assert "Start the quiz" in landing and "randomly chosen questions" in landing


def test_javascript_texts_come_translated_from_the_page(app, factory):
    page = app.test_client().get("/register?lang=en").text
    assert 'data-text-chosen="Selected: {place}"' in page
    assert 'data-text-results-one="{n} result"' in page
    assert 'data-text-results-many="{n} results"' in page
    vi = app.test_client().get("/register").text
    assert 'data-text-chosen="Đã chọn: {place}"' in vi
    assert 'data-text-results-many="{n} kết quả"' in vi


def test_user_locale_is_used_when_no_language_was_chosen(app, factory):
    from lms.accounts.models import User

    client, _auth, uid, _phone = login_as(app, factory)
    assert "Góc học tập" in client.get("/dashboard").text
    with app.app_context():
        db.session.get(User, uid).locale = "en"
        db.session.commit()
    assert_english_layout(client.get("/dashboard").text, signed_in=True)


def test_default_stays_vietnamese(client):
    page = client.get("/").text
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page and "Khóa học" in page and "Học số cộng đồng" in page
    assert "Log in" not in page and ">English<" in page
    login = client.get("/login").text
    assert 'value="Đăng nhập"' in login and "Số điện thoại di động" in login
    missing = client.get("/no-such-page")
    assert "Không tìm thấy trang" in missing.text


def test_login_required_message_follows_the_language(client):
    response = client.get("/dashboard?lang=en", follow_redirects=True)
    assert "Please log in to continue." in response.text
    response = client.get("/dashboard?lang=vi", follow_redirects=True)
    assert "Bạn hãy đăng nhập để tiếp tục." in response.text


# --- the catalog itself -------------------------------------------------------------


def _catalog():
    with open(PO_FILE, "rb") as handle:
        return read_po(handle)


def test_every_english_entry_is_translated_and_not_fuzzy():
    catalog = _catalog()
    assert len(catalog) > 250
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s and s.strip() for s in strings):
            problems.append(message.id)
    assert problems == [], "untranslated or fuzzy entries in messages.po"
    assert list(catalog.check()) == []  # placeholders match their msgid


def test_compiled_catalog_matches_the_po_file():
    with open(MO_FILE, "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _catalog():
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0]
            assert compiled.ngettext(message.id[0], message.id[1], 2) == message.string[1]
        elif message.context:
            assert compiled.pgettext(message.context, message.id) == message.string
        else:
            assert compiled.gettext(message.id) == message.string, "run: pybabel compile -d lms/translations"


def test_every_marked_string_is_in_the_catalog():
    with open(ROOT / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_pgettext=((1, "c"), 2))
    marked = {(context, message) for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords)}  # fmt: skip
    in_catalog = {(message.context, message.id) for message in _catalog() if message.id}
    missing = sorted(str(m) for m in marked - in_catalog)
    assert not missing, "see babel.cfg: extract, update and translate the catalog"


@pytest.mark.parametrize("name", ["messages.pot", "en/LC_MESSAGES/messages.po", "en/LC_MESSAGES/messages.mo"])
def test_catalog_files_are_present(name):
    assert (TRANSLATIONS / name).is_file()


@pytest.mark.browser
def test_javascript_texts_in_english_in_chromium(app, factory):
    from tests.browser import chromium, live_server

    phone = next_phone()
    factory.user(phone=phone)
    course, module = _first_module(app)
    errors = []
    with live_server(app) as base, chromium() as page:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/register?lang=en")
        page.get_by_label("Quick search (accents are optional)").fill("ba dinh ha noi")
        status = page.locator("#commune-search-status")
        status.filter(has_text=re.compile(r"^\d+ results?$")).wait_for()
        page.get_by_role("button", name="Phường Ba Đình — Thành phố Hà Nội").click()
        assert status.text_content() == "Selected: Phường Ba Đình, Thành phố Hà Nội"
        page.get_by_label("Quick search (accents are optional)").fill("zzzz qqqq")
        status.filter(has_text="Nothing found. Please try a different spelling.").wait_for()

        page.goto(base + "/register?lang=vi")
        page.get_by_label("Tìm nhanh (gõ không dấu cũng được)").fill("ba dinh ha noi")
        page.get_by_role("button", name="Phường Ba Đình — Thành phố Hà Nội").click()
        assert status.text_content() == "Đã chọn: Phường Ba Đình, Thành phố Hà Nội"

        page.goto(base + "/login?lang=en")
        page.get_by_label("Mobile phone number").fill(phone)
        page.get_by_label("Password").fill("mat-khau-123")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(base + "/")
        page.goto(f"{base}/courses/{course}/{module}/quiz")
        page.get_by_role("button", name="Start the quiz").click()
        page.locator("fieldset.question input").first.check()
        page.wait_for_function(r"/^Answered 1 of \d+ questions\.$/.test(document.getElementById('quiz-status').textContent)")
    assert errors == []
