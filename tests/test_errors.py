"""Error pages and unreadable input: ids past the database's range, NUL bytes, broken or deep
JSON, files in text fields and over-long values get a Vietnamese 4xx before any view runs;
a failed flush still gets the friendly 500 page with the full layout."""

from __future__ import annotations

import contextlib
import io
import logging

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.accounts.models import User
from lms.core.converters import MAX_DATABASE_INT
from lms.core.extensions import db
from lms.places.models import Province
from tests.factories import Auth, csrf_from, login_as, next_phone

BAD_CHARACTERS = "Dữ liệu gửi lên có ký tự không hợp lệ"
BAD_JSON = "Dữ liệu JSON gửi lên không hợp lệ"


class ErrorRecords(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def watch_errors():
    """Start collecting the app's ERROR records; call it after building any extra app, whose
    logging set-up replaces the handlers of the shared "lms" logger."""
    handlers = []

    def watch() -> list[str]:
        handler = ErrorRecords()
        logging.getLogger("lms").addHandler(handler)
        handlers.append(handler)
        return handler.messages

    yield watch
    for handler in handlers:
        logging.getLogger("lms").removeHandler(handler)


@pytest.fixture
def error_log(watch_errors):
    return watch_errors()


@pytest.fixture
def admin(app, factory):
    client, auth, uid, _ = login_as(app, factory, role="admin")
    return client, auth, uid


@pytest.fixture
def learner_attempt(app, factory):
    client, auth, uid, _ = login_as(app, factory)
    quiz = "/courses/nguoi-dan/b01-trinh-duyet/quiz"
    response = client.post(f"{quiz}/start", data={"csrf_token": csrf_from(client.get(quiz).text)})
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return client, csrf_from(client.get(f"/attempts/{attempt_id}").text), attempt_id


# Ids the database cannot hold, and digits that are not ASCII.


@pytest.mark.parametrize(
    "value", [str(MAX_DATABASE_INT + 1), str(2**63), "9" * 5000, "٢", "２", "²", "1٢", "-1", "0" * 40 + "1" * 11]
)
def test_an_id_the_database_cannot_hold_is_a_friendly_404(admin, error_log, value):
    client, _, _ = admin
    for path in (f"/people/{value}", f"/manage/villages/{value}", f"/manage/teams/{value}", f"/attempts/{value}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Không tìm thấy trang" in response.text
    assert error_log == []


def test_an_id_past_the_range_under_api_is_a_json_404(learner_attempt):
    client, token, _ = learner_attempt
    response = client.post(f"/api/attempts/{MAX_DATABASE_INT + 1}/answers", json={"answers": {}}, headers={"X-CSRFToken": token})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Không tìm thấy trang"


def test_the_largest_id_the_database_holds_reaches_the_view(admin):
    client, _, _ = admin
    response = client.get(f"/people/{MAX_DATABASE_INT}")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.text


def test_leading_zeros_still_name_the_same_id(admin, factory):
    client, _, _ = admin
    person = factory.user(name="Hoàng Thị Lan")
    response = client.get(f"/people/{'0' * 12}{person}")
    assert response.status_code == 200
    assert "Hoàng Thị Lan" in response.text


def test_links_to_int_routes_are_still_built(app):
    with app.test_request_context("/"):
        assert url_for("people.person", user_id=42) == "/people/42"


# NUL bytes (PostgreSQL text cannot hold them) anywhere in the request.


def test_nul_in_a_path_segment_is_refused_before_the_view(client, error_log):
    for path in ("/courses/nguoi%00dan", "/courses/nguoi-dan/b01%00/x", "/verify/AB%00CD", "/lang/v%00i"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert BAD_CHARACTERS in response.text
    assert error_log == []


def test_nul_in_a_query_string_is_refused(admin, error_log):
    client, _, _ = admin
    for path in ("/people?q=an%00", "/manage?q=%00", "/api/communes?q=%00", "/verify?code=%00"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert BAD_CHARACTERS in (response.get_json() or {}).get("message", response.text)
    assert error_log == []


def test_nul_in_a_form_value_is_refused_and_nothing_is_stored(app, factory, error_log):
    client = app.test_client()
    phone = next_phone()
    page = client.get("/register")
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_from(page.text),
            "phone": phone,
            "full_name": "Nguyễn\x00Văn",
            "password": "mat-khau-123",
            "password_confirm": "mat-khau-123",
            "consent": "y",
            "commune": "00004",
        },  # fmt: skip
    )
    assert response.status_code == 400
    assert BAD_CHARACTERS in response.text
    assert factory.count(User) == 0
    assert error_log == []


def test_nul_in_a_form_field_name_is_refused(admin):
    client, auth, _ = admin
    response = auth.post("/manage", data={"a\x00b": "1"}, page="/")
    assert response.status_code == 400
    assert BAD_CHARACTERS in response.text


def test_nul_or_a_lone_surrogate_in_a_json_string_is_refused(learner_attempt, error_log):
    client, token, attempt_id = learner_attempt
    for body in ('{"answers": {"1": ["a\\u0000"]}}', '{"answers": {"1": ["\\ud800"]}}', '{"a\\u0000": 1}'):
        response = client.post(
            f"/api/attempts/{attempt_id}/answers", data=body, content_type="application/json", headers={"X-CSRFToken": token}
        )
        assert response.status_code == 400, body
        assert BAD_CHARACTERS in response.get_json()["message"]
    assert error_log == []


def test_the_session_still_works_after_a_refused_request(admin):
    client, _, _ = admin
    assert client.get("/people/a%00").status_code == 400
    assert client.get("/account").status_code == 200


# JSON bodies, files in text fields, over-long values.


@pytest.mark.parametrize(
    "body",
    ["{", "{'answers': 1}", "[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000,
     '{"a":' * 40 + "1" + "}" * 40, "[1]", '"x"', "1", "true", "null", "1" * 5000],
)  # fmt: skip
def test_json_that_is_broken_too_deep_or_not_an_object_is_a_400(learner_attempt, error_log, body):
    client, token, attempt_id = learner_attempt
    response = client.post(
        f"/api/attempts/{attempt_id}/answers", data=body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 400
    assert BAD_JSON in response.get_json()["message"]
    assert error_log == []


def test_a_json_body_on_a_page_that_takes_forms_is_a_400(admin, error_log):
    client, _, _ = admin
    token = csrf_from(client.get("/").text)
    for body in ("[1]", '{"csrf_token": 1}', "{"):
        response = client.post("/logout", data=body, content_type="application/json", headers={"X-CSRFToken": token})
        assert response.status_code == 400
        assert "Trang này chỉ nhận dữ liệu gửi từ biểu mẫu" in response.text
    assert client.get("/account").status_code == 200  # still logged in
    assert error_log == []


def test_a_valid_autosave_still_saves(learner_attempt, app):
    from tests.quiz_helpers import answer_key

    client, token, attempt_id = learner_attempt
    answers = answer_key(app, attempt_id, right=1)
    version, chosen = next(iter(answers.items()))
    response = client.post(
        f"/api/attempts/{attempt_id}/answers", json={"answers": {str(version): chosen}}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert response.get_json()["saved"]


def test_a_text_field_sent_as_a_file_is_a_400(app, factory, error_log):
    client = app.test_client()
    page = client.get("/login")
    phone = next_phone()
    factory.user(phone=phone)
    data = MultiDict({"csrf_token": csrf_from(page.text), "password": "mat-khau-123"})
    data.add("phone", (io.BytesIO(phone.encode()), "phone.txt"))
    response = client.post("/login", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Trang này không nhận tệp gửi kèm" in response.text
    assert client.get("/account").status_code == 302  # not logged in
    assert error_log == []


def test_an_over_long_form_value_is_a_400(app, error_log):
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_from(page.text), "phone": "9" * 25_000, "password": "x"})
    assert response.status_code == 400
    assert "Một ô dữ liệu gửi lên quá dài" in response.text
    response = client.get("/verify?code=" + "A" * 25_000)
    assert response.status_code == 400
    assert error_log == []


def test_an_over_long_field_name_is_a_400(app):
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_from(page.text), "q" + "9" * 5000: "a"})
    assert response.status_code == 400
    assert "tên trường không hợp lệ" in response.text


# The 500 page after a failed flush.


def _app_with_failed_flush(make_app):
    app = make_app()

    def failed_flush():
        db.session.add(Province(code="01", name="Trùng mã", kind="thành phố", search_key="trung ma"))
        db.session.flush()  # IntegrityError: province 01 exists
        return "không tới được đây"

    def swallowed_failure():
        with contextlib.suppress(Exception):  # a careless view: the session now refuses every query
            failed_flush()
        db.session.scalar(select(Province.name))  # PendingRollbackError
        return "không tới được đây"

    app.add_url_rule("/test-failed-flush", "test_failed_flush", failed_flush)
    app.add_url_rule("/test-swallowed-failure", "test_swallowed_failure", swallowed_failure)
    app.add_url_rule("/api/test-failed-flush", "test_api_failed_flush", failed_flush)
    return app


def test_a_failed_flush_gets_the_friendly_500_page_with_the_full_layout(make_app, factory, watch_errors):
    app = _app_with_failed_flush(make_app)
    error_log = watch_errors()
    phone = next_phone()
    factory.user(phone=phone, name="Đỗ Minh Châu")
    client = app.test_client()
    assert Auth(client).login(phone).status_code == 302
    for path in ("/test-failed-flush", "/test-swallowed-failure"):
        response = client.get(path)
        assert response.status_code == 500, path
        assert "Hệ thống gặp sự cố" in response.text
        assert "Tài khoản" in response.text and "Đăng xuất" in response.text  # the layout loaded the user
        assert "IntegrityError" not in response.text and "PendingRollbackError" not in response.text
    assert error_log == ["unhandled error", "unhandled error"]
    assert client.get("/account").status_code == 200


def test_a_failed_flush_under_api_gets_a_json_500(make_app, factory, watch_errors):
    app = _app_with_failed_flush(make_app)
    error_log = watch_errors()
    phone = next_phone()
    factory.user(phone=phone)
    client = app.test_client()
    assert Auth(client).login(phone).status_code == 302
    response = client.get("/api/test-failed-flush")
    assert response.status_code == 500
    assert response.get_json() == {
        "error": "Hệ thống gặp sự cố",
        "message": "Đã có lỗi phía máy chủ. Chúng tôi đã ghi lại; bạn hãy thử lại sau ít phút.",
        "status": 500,
    }
    assert error_log == ["unhandled error"]


def test_when_the_layout_itself_fails_a_bare_vietnamese_500_page_is_sent(make_app, watch_errors):
    app = make_app()
    error_log = watch_errors()
    app.add_url_rule("/test-crash", "test_crash", lambda: 1 / 0)

    @app.context_processor
    def broken():
        raise RuntimeError("the layout cannot render")

    response = app.test_client().get("/test-crash", headers={"X-Request-ID": "req-layout-1"})
    assert response.status_code == 500
    assert "Hệ thống gặp sự cố" in response.text and "req-layout-1" in response.text
    assert "RuntimeError" not in response.text
    assert error_log == ["unhandled error", "the error page failed"]
