"""Headers, CSRF, error pages, cookies."""

from flask import abort

from tests.factories import login_as


def test_security_headers_and_csp_without_inline_script(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert len(response.headers["X-Request-ID"]) >= 8
    assert "<script>" not in response.text and " style=" not in response.text


def test_every_page_loads_only_local_assets(client):
    """What the browser fetches (scripts, stylesheets, icons, images, frames) comes from this
    server; absolute links to it in <meta> tags for link previews are not fetched by the page."""
    import re

    html = client.get("/register").text
    fetched = re.findall(r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", html)
    fetched += re.findall(r"url\(([^)]+)\)", html)
    assert fetched, "the page loads its stylesheet at least"
    assert [url for url in fetched if re.match(r"(?:[a-z]+:)?//", url.strip("'\""))] == []


def test_post_without_csrf_token_gets_friendly_400(client):
    response = client.post("/login", data={"phone": "0912345678", "password": "x"})
    assert response.status_code == 400
    assert "Phiên làm việc của biểu mẫu đã hết hạn" in response.text


def test_404_page_is_vietnamese_and_json_for_api(client):
    page = client.get("/khong-co-trang-nay")
    assert page.status_code == 404
    assert "Không tìm thấy trang" in page.text
    api = client.get("/api/khong-co")
    assert api.status_code == 404 and api.get_json()["status"] == 404


def test_500_page_hides_the_stack_trace(make_app):
    app = make_app()
    app.add_url_rule("/test-crash", "test_crash", lambda: 1 / 0)
    app.add_url_rule("/test-413", "test_413", lambda: abort(413))
    client = app.test_client()
    response = client.get("/test-crash")
    assert response.status_code == 500
    assert "Hệ thống gặp sự cố" in response.text
    assert "ZeroDivisionError" not in response.text
    assert "Tệp quá lớn" in client.get("/test-413").text


def test_request_id_is_echoed_when_well_formed(client):
    assert client.get("/", headers={"X-Request-ID": "abc12345-req"}).headers["X-Request-ID"] == "abc12345-req"
    assert client.get("/", headers={"X-Request-ID": "<bad>"}).headers["X-Request-ID"] != "<bad>"


def test_session_cookie_is_httponly_and_samesite(app, factory):
    from tests.factories import Auth, next_phone

    phone = next_phone()
    factory.user(phone=phone)
    client = app.test_client()
    response = Auth(client).login(phone)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    import pytest

    from lms import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    from lms.core import config

    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_english_interface_is_available(app, factory):
    client = login_as(app, factory)[0]
    assert client.get("/?lang=en").status_code == 200
    assert 'lang="en"' in client.get("/").text


def test_request_id_appears_in_the_error_log(make_app):
    import io

    app = make_app()
    app.add_url_rule("/test-crash-log", "test_crash_log", lambda: 1 / 0)
    stream = io.StringIO()
    app.logger.handlers[0].setStream(stream)
    response = app.test_client().get("/test-crash-log", headers={"X-Request-ID": "req-12345678"})
    assert response.status_code == 500
    assert "req-12345678" in response.text
    assert "[req-12345678]" in stream.getvalue() and "ZeroDivisionError" in stream.getvalue()


def test_login_rate_limit_uses_redis_when_configured(make_app, factory):
    import os

    from lms.core.extensions import limiter
    from tests.factories import Auth, next_phone

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = make_app(REDIS_URL=redis_url)
    assert type(limiter._storage).__name__ == "RedisStorage"
    limiter.reset()
    phone = next_phone()
    factory.user(phone=phone)
    auth = Auth(app.test_client())
    statuses = [auth.login(phone, f"sai-{i}").status_code for i in range(7)]
    assert statuses == [422] * 5 + [429, 429]
    # The back-off lives in Redis, so another app process sees it too.
    other = Auth(make_app(REDIS_URL=redis_url).test_client())
    assert other.login(phone, "mat-khau-123").status_code == 429
    limiter.reset()
