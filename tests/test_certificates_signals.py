"""How certificates connect to the rest of the platform: the signals they receive and send, a
queue that is down, a code that cannot exist, and settings read from the environment."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.core import signals
from lms.core.extensions import db
from tests.cert_helpers import cert_key, complete_course, get_certificate  # noqa: F401  (cert_key is a fixture)
from tests.factories import DEMO_COMMUNE, csrf_from, login_as

pytestmark = pytest.mark.usefixtures("cert_key")


class Heard:
    """A receiver that remembers what it was sent (rows by their code, id or slug, read while
    the sender's session is still open)."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, sender, **kwargs):
        heard = {"sender": sender}
        for name, value in kwargs.items():
            for attribute in ("display_code", "slug", "id"):
                if hasattr(value, attribute):
                    value = getattr(value, attribute)
                    break
            heard[name] = value
        self.calls.append(heard)


def _official(app, factory):
    client, _, uid, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE, name="Cán Bộ Xã")
    return client, uid


def _post(client, url, page, data):
    return client.post(url, data={"csrf_token": csrf_from(client.get(page).text), **data})


# --- received ----------------------------------------------------------------------------------


def test_course_completed_issues_the_certificate_in_the_senders_transaction(app, factory):
    from lms.accounts.models import User
    from lms.catalog.models import Course
    from lms.certificates.models import Certificate
    from lms.learning.models import CourseCompletion

    uid = factory.user(name="Lò Văn Pọm")
    with app.test_request_context("/", method="POST"):
        user = db.session.get(User, uid)
        course = db.session.scalar(select(Course).where(Course.slug == "nguoi-dan"))
        completion = CourseCompletion(user_id=uid, course_id=course.id)
        db.session.add(completion)
        db.session.flush()
        signals.course_completed.send("learning", completion=completion, user=user, course=course)
        # Issued, flushed, not committed: the sender's rollback takes it back.
        assert db.session.scalar(select(Certificate.printed_name).where(Certificate.user_id == uid)) == "Lò Văn Pọm"
        db.session.rollback()
        assert db.session.scalar(select(Certificate.id).where(Certificate.user_id == uid)) is None
        db.session.remove()


def test_export_gathers_each_features_part_under_its_usual_key(app, factory):
    client, _, uid, _ = login_as(app, factory, name="Vi Thị Hoa")
    code = complete_course(app, uid)
    exported = client.get("/account/export").get_json()
    assert exported["account"]["full_name"] == "Vi Thị Hoa"
    assert [c["code"] for c in exported["certificates"]] == [code]
    assert exported["learning"]  # learning's own receiver adds its part beside ours


# --- sent --------------------------------------------------------------------------------------


def test_certificate_issued_is_sent_once_for_a_new_certificate_only(app, factory):
    from lms.accounts.models import User
    from lms.catalog.models import Course
    from lms.certificates.services import issue_certificate

    heard = Heard()
    uid = factory.user(name="Mùa A Dế")
    with signals.certificate_issued.connected_to(heard):
        code = complete_course(app, uid)
        with app.test_request_context("/", method="POST"):
            user = db.session.get(User, uid)
            course = db.session.scalar(select(Course).where(Course.slug == "nguoi-dan"))
            again = issue_certificate(user, course)  # the existing one: nothing new to announce
            assert again.display_code == code
            db.session.commit()
            db.session.remove()
    [call] = heard.calls
    assert call["sender"] == "certificates"
    assert (call["certificate"], call["user"], call["course"]) == (code, uid, "nguoi-dan")


def test_certificate_revoked_is_sent_by_a_revocation_and_by_an_account_erasure(app, factory):
    learner = factory.user(name="Hà Văn Sử")
    code = complete_course(app, learner)
    official, official_id = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    heard = Heard()
    with signals.certificate_revoked.connected_to(heard):
        assert _post(official, f"{page}/revoke", page, {"reason": "Cấp nhầm, đã xác minh"}).status_code == 302
        _post(official, f"{page}/revoke", page, {"reason": "Bấm lần nữa"})  # already revoked: not sent again
    [call] = heard.calls
    assert (call["sender"], call["certificate"], call["actor"]) == ("certificates", code, official_id)
    assert call["reason"] == "Cấp nhầm, đã xác minh"

    client, auth, uid, _ = login_as(app, factory, name="Đinh Thị Rời")
    erased = complete_course(app, uid)
    heard = Heard()
    with signals.certificate_revoked.connected_to(heard):
        assert auth.post("/account/delete", {"password": "mat-khau-123", "confirm": "y"}).status_code == 302
    [call] = heard.calls
    assert (call["certificate"], call["actor"]) == (erased, None)
    assert call["reason"] == "Người nhận đã xóa tài khoản và dữ liệu cá nhân."
    assert get_certificate(app, erased).revoked_at is not None


def test_regenerating_a_certificate_revoked_meanwhile_says_so(app, factory):
    learner = factory.user(name="Cao Văn Muộn")
    code = complete_course(app, learner)
    official, _ = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    token = csrf_from(official.get(page).text)  # the page still shows the correction form
    assert _post(official, f"{page}/revoke", page, {"reason": "Thu hồi trước khi sửa tên"}).status_code == 302
    response = official.post(f"{page}/regenerate", data={"csrf_token": token, "full_name": "Cao Văn Mới", "revision": "1"})
    assert response.status_code == 409 and "đã bị thu hồi nên không cấp lại được" in response.text
    certificate = get_certificate(app, code)
    assert certificate.printed_name == "Cao Văn Muộn" and certificate.revision == 1


# --- a queue that is down ----------------------------------------------------------------------


@pytest.fixture
def dead_queue(app):
    """REDIS_URL names a Redis that does not answer (nothing listens on port 1)."""
    saved = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("lms_certificates", None)  # the queue built for the earlier URL
    yield
    app.config["REDIS_URL"] = saved
    app.extensions.pop("lms_certificates", None)


def test_with_the_queue_down_certificates_are_issued_and_rendered_in_the_request(app, factory, dead_queue):
    client, _, uid, _ = login_as(app, factory, name="Lục Thị Mưa")
    code = complete_course(app, uid)  # the render asked for after commit cannot be queued
    assert code and get_certificate(app, code) is not None

    official, _ = _official(app, factory)
    group = f"/certificates/manage/commune/{DEMO_COMMUNE}"
    prepared = _post(official, f"{group}/prepare", group, {})
    assert prepared.status_code == 302
    assert "Không gửi được yêu cầu tới hàng đợi" in official.get(prepared.headers["Location"]).text

    response = client.get(f"/certificates/mine/{code}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


# --- codes and settings ------------------------------------------------------------------------


def test_a_malformed_code_is_a_validation_error_about_the_code(app):
    from lms.certificates.codes import MalformedCode, normalize_code
    from lms.core.errors import DomainError, ValidationFailed

    with app.test_request_context("/"), pytest.raises(MalformedCode) as caught:
        normalize_code("0000-1111")
    assert isinstance(caught.value, ValidationFailed) and isinstance(caught.value, DomainError)
    assert caught.value.field == "code" and caught.value.status_code == 400
    assert "số 0" in caught.value.message


CERTIFICATE_ENV = {
    "LMS_CERTIFICATE_DIR": "/srv/lms/pdf",
    "LMS_CERTIFICATE_SIGNING_KEY": "/etc/lms/key.pem",
    "LMS_CERTIFICATE_TEMPLATE_DIR": "/srv/lms/templates",
    "LMS_CERTIFICATE_NAME_MASKING": "initials",
    "LMS_PUBLIC_URL": "https://hocso.example.gov.vn/",
    "LMS_CERTIFICATE_VERIFY_RATE_LIMIT": "7 per minute",
    "LMS_CERTIFICATE_DOWNLOAD_RATE_LIMIT": "8 per minute",
    "LMS_CERTIFICATE_RETIRED_PUBLIC_KEYS": '["did:key:a", "did:key:b"]',
    "LMS_CERTIFICATE_PRINT_BATCH": "25",
    "LMS_ISSUER_NAME": "Sở Khoa học và Công nghệ tỉnh Điện Biên",
}


def _settings_of(web_app) -> dict:
    from lms.certificates import settings

    with web_app.app_context():
        return {
            "dir": str(settings.storage_dir()),
            "key": str(settings.signing_key_path()),
            "templates": str(settings.template_dir()),
            "masking": settings.name_masking(),
            "url": settings.public_base_url(),
            "verify": settings.verify_rate_limit(),
            "download": settings.download_rate_limit(),
            "retired": settings.retired_public_keys(),
            "batch": settings.print_batch(),
            "issuer": settings.issuer_name(),
        }


def test_every_certificate_setting_is_read_from_the_environment(make_app, monkeypatch):
    for name, value in CERTIFICATE_ENV.items():
        monkeypatch.setenv(name, value)
    assert _settings_of(make_app()) == {
        "dir": "/srv/lms/pdf",
        "key": "/etc/lms/key.pem",
        "templates": "/srv/lms/templates",
        "masking": "initials",
        "url": "https://hocso.example.gov.vn",
        "verify": "7 per minute",
        "download": "8 per minute",
        "retired": ["did:key:a", "did:key:b"],
        "batch": 25,
        "issuer": "Sở Khoa học và Công nghệ tỉnh Điện Biên",
    }
    # The short names documented before still work.
    for name in ("LMS_CERTIFICATE_SIGNING_KEY", "LMS_CERTIFICATE_TEMPLATE_DIR", "LMS_CERTIFICATE_NAME_MASKING"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("LMS_CERT_SIGNING_KEY", "/etc/lms/old-name.pem")
    monkeypatch.setenv("LMS_CERT_TEMPLATE_DIR", "/srv/lms/old-templates")
    monkeypatch.setenv("LMS_CERT_NAME_MASKING", "hidden")
    monkeypatch.setenv("LMS_CERTIFICATE_RETIRED_PUBLIC_KEYS", "did:key:c, did:key:d")
    shown = _settings_of(make_app())
    assert (shown["key"], shown["templates"], shown["masking"]) == ("/etc/lms/old-name.pem", "/srv/lms/old-templates", "hidden")
    assert shown["retired"] == ["did:key:c", "did:key:d"]


def test_without_configuration_the_defaults_apply(make_app, monkeypatch):
    from lms.certificates.settings import DEFAULTS

    for name in CERTIFICATE_ENV:
        monkeypatch.delenv(name, raising=False)
    web_app = make_app(CERTIFICATE_DIR=None)
    shown = _settings_of(web_app)
    assert shown["dir"].endswith("certificates") and shown["dir"].startswith(web_app.instance_path)
    assert shown["key"] == f"{web_app.instance_path}/certificate-signing-key.pem"
    assert (shown["masking"], shown["url"], shown["batch"], shown["retired"]) == ("none", "http://localhost:5000", 100, [])
    assert shown["verify"] == shown["download"] == DEFAULTS["CERTIFICATE_VERIFY_RATE_LIMIT"] == "30 per minute;300 per hour"


def test_the_certificates_guide_lists_every_setting_with_its_variable():
    from pathlib import Path

    from lms.certificates.settings import DEFAULTS

    guide = (Path(__file__).resolve().parent.parent / "docs" / "certificates.md").read_text(encoding="utf-8")
    for key in DEFAULTS:
        assert f"`{key}`" in guide and ("`LMS_PUBLIC_URL`" if key == "PUBLIC_BASE_URL" else f"`LMS_{key}`") in guide, key
