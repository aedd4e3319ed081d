"""Optional JSON logs (LMS_LOG_FORMAT=json) and the optional Sentry-compatible error hook."""

import io
import json
import logging
import sys
import types

import pytest


def _crash_log(app, request_id: str) -> str:
    app.add_url_rule("/test-crash-log", "test_crash_log", lambda: 1 / 0)
    stream = io.StringIO()
    app.logger.handlers[0].setStream(stream)
    response = app.test_client().get("/test-crash-log", headers={"X-Request-ID": request_id})
    assert response.status_code == 500
    return stream.getvalue()


def test_json_log_format_writes_one_object_per_line_with_the_request_id(make_app, monkeypatch):
    monkeypatch.setenv("LMS_LOG_FORMAT", "json")
    app = make_app()
    assert app.config["LOG_FORMAT"] == "json"
    lines = _crash_log(app, "req-json-1234").splitlines()
    entries = [json.loads(line) for line in lines]  # every line is a whole JSON object
    crash = next(e for e in entries if e["level"] == "ERROR")
    assert crash["request_id"] == "req-json-1234"
    assert crash["logger"].startswith("lms")
    assert crash["message"]
    assert "ZeroDivisionError" in crash["exc_info"]
    assert crash["time"].startswith(("20", "19")) and crash["time"].endswith("+00:00")


def test_json_log_lines_keep_vietnamese_text_and_leave_out_empty_tracebacks(make_app, monkeypatch):
    monkeypatch.setenv("LMS_LOG_FORMAT", "json")
    app = make_app()
    stream = io.StringIO()
    app.logger.handlers[0].setStream(stream)
    logging.getLogger("lms.test").warning("Đã nhập %d học viên", 3)
    entry = json.loads(stream.getvalue())
    assert entry["message"] == "Đã nhập 3 học viên"
    assert entry["level"] == "WARNING" and entry["logger"] == "lms.test" and entry["request_id"] == "-"
    assert "exc_info" not in entry


def test_text_log_format_stays_the_default(make_app):
    app = make_app()
    assert app.config["LOG_FORMAT"] == "text"
    log = _crash_log(app, "req-text-1234")
    assert "[req-text-1234]" in log and "ZeroDivisionError" in log
    with pytest.raises(ValueError):
        json.loads(log.splitlines()[0])


def _fake_sentry(monkeypatch) -> list[dict]:
    """A sentry_sdk stand-in in sys.modules that records what init was given."""
    calls: list[dict] = []
    sdk = types.ModuleType("sentry_sdk")
    sdk.init = lambda **options: calls.append(options)  # type: ignore[attr-defined]
    integrations = types.ModuleType("sentry_sdk.integrations")
    flask_integration = types.ModuleType("sentry_sdk.integrations.flask")

    class FlaskIntegration:
        pass

    flask_integration.FlaskIntegration = FlaskIntegration  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sentry_sdk", sdk)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations", integrations)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations.flask", flask_integration)
    return calls


def test_without_a_dsn_sentry_is_neither_imported_nor_started(make_app, monkeypatch):
    from lms.ops import errortracking

    calls = _fake_sentry(monkeypatch)
    imported: list[str] = []
    monkeypatch.setattr(errortracking, "importlib", types.SimpleNamespace(import_module=imported.append))
    monkeypatch.delenv("LMS_SENTRY_DSN", raising=False)
    app = make_app()
    assert not app.config["SENTRY_DSN"]
    assert imported == [] and calls == []


def test_with_a_dsn_the_flask_integration_starts_without_personal_data(make_app, monkeypatch):
    calls = _fake_sentry(monkeypatch)
    monkeypatch.setenv("LMS_SENTRY_DSN", "https://key@loi.hocso.example.gov.vn/2")
    make_app()
    assert len(calls) == 1
    assert calls[0]["dsn"] == "https://key@loi.hocso.example.gov.vn/2"
    assert calls[0]["send_default_pii"] is False
    assert [type(i).__name__ for i in calls[0]["integrations"]] == ["FlaskIntegration"]


def test_with_a_dsn_but_no_sentry_sdk_one_warning_and_the_app_still_serves(make_app, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # what an install without sentry-sdk imports
    monkeypatch.setenv("LMS_SENTRY_DSN", "https://key@loi.hocso.example.gov.vn/2")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("lms.ops.errortracking")
    logger.addHandler(handler)
    try:
        app = make_app()
    finally:
        logger.removeHandler(handler)
    warnings = stream.getvalue().splitlines()
    assert len(warnings) == 1 and "sentry-sdk is not installed" in warnings[0]
    assert app.test_client().get("/healthz").status_code == 200
