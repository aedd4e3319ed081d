"""Hostile input on every certificate route: numbers beyond the database's integers, NUL bytes,
CR/LF, very long values, digits that are not ASCII, files and JSON where text is expected.
Each gets a 4xx with a Vietnamese message (or, for a search box, the form with its message),
never a 500, and the server log holds no traceback."""

import io
import logging
from urllib.parse import quote

import pytest
from sqlalchemy import select

from lms.core.audit import AuditEvent
from lms.core.extensions import db
from tests.cert_helpers import cert_key, complete_course, get_certificate  # noqa: F401  (cert_key is a fixture)
from tests.factories import DEMO_COMMUNE, csrf_from, login_as

pytestmark = pytest.mark.usefixtures("cert_key")

HOSTILE = {
    "beyond-int32": "2147483648",
    "beyond-int64": "9223372036854775808",
    "many-digits": "9" * 400,
    "nul": "12\x003",
    "nul-alone": "\x00",
    "crlf": "12\r\nSet-Cookie: x=1",
    "long": "A" * 5000,
    "superscript": "²",
    "arabic-indic": "٢",
    "full-width": "２",
    "mixed-digits": "1２٣",
    "negative": "-1",
    "spaces": "  ",
}
# Text no column can hold (NUL) may be refused for the whole app before any view runs (400).
UNSTORABLE = {"nul", "nul-alone"}


def _or_refused(expected: int, case: str):
    return {expected, 400} if case in UNSTORABLE else expected


GROUP_SUFFIXES = ("", "/progress.json", "/chung-nhan.zip", "/ban-in.pdf?part=1")
GROUP_POSTS = ("/prepare", "/chung-nhan.zip", "/ban-in.pdf")


@pytest.fixture
def server_log():
    """Records of the app's logger (it does not propagate to the root logger caplog watches)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.WARNING)
    logger = logging.getLogger("lms")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.fixture
def generous_limits(app):
    """So that the rate limits, which have their own tests, do not answer in place of the views."""
    app.config["CERTIFICATE_VERIFY_RATE_LIMIT"] = "100000 per day"
    app.config["CERTIFICATE_DOWNLOAD_RATE_LIMIT"] = "100000 per day"
    yield
    app.config.pop("CERTIFICATE_VERIFY_RATE_LIMIT")
    app.config.pop("CERTIFICATE_DOWNLOAD_RATE_LIMIT")


VIETNAMESE = ("Không", "không", "Bạn", "Yêu cầu", "Mã chứng nhận", "Biểu mẫu")


def _check(response, expected, what, server_log):
    allowed = expected if isinstance(expected, set) else {expected}
    assert response.status_code in allowed, (what, response.status_code, response.get_data(as_text=True)[:300])
    text = response.get_data(as_text=True)
    assert any(word in text for word in VIETNAMESE), (what, text[:300])
    assert "Traceback" not in text
    noisy = [r for r in server_log if r.exc_info or r.levelno >= logging.ERROR]
    assert noisy == [], (what, [r.getMessage() for r in noisy])


def _audit_count(app):
    with app.app_context():
        return len(db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("certificate.%"))).all())


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_codes_and_group_keys_in_paths(app, factory, server_log, generous_limits, case):
    value = quote(HOSTILE[case], safe="")
    anonymous = app.test_client()
    _check(anonymous.get(f"/verify/{value}"), 400, "verify", server_log)
    _check(anonymous.get(f"/certificates/{value}.json"), 400, "badge json", server_log)
    _check(anonymous.get(f"/certificates/status/{value}"), _or_refused(404, case), "status list", server_log)
    learner, _, _, _ = login_as(app, factory)
    for url in (f"/certificates/mine/{value}.pdf", f"/certificates/mine/{value}.png"):
        _check(learner.get(url), _or_refused(404, case), url, server_log)
    before = _audit_count(app)
    for role in ({"role": "admin"}, {"role": "commune_official", "role_commune": DEMO_COMMUNE}):
        official, _, _, _ = login_as(app, factory, **role)
        token = csrf_from(official.get("/certificates/manage").text)
        for url in (f"/certificates/manage/c/{value}", f"/certificates/manage/c/{value}.pdf"):
            _check(official.get(url), _or_refused(404, case), url, server_log)
        actions = (
            ("revoke", {"reason": "Lý do thử nghiệm"}),
            ("reinstate", {"reason": "Lý do thử nghiệm"}),
            ("regenerate", {"full_name": "Ai Đó", "revision": "1"}),
        )
        for action, data in actions:
            url = f"/certificates/manage/c/{value}/{action}"
            _check(official.post(url, data={"csrf_token": token, **data}), _or_refused(404, case), url, server_log)
        for kind in ("commune", "village", "team"):
            for suffix in GROUP_SUFFIXES:
                url = f"/certificates/manage/{kind}/{value}{suffix}"
                _check(official.get(url), _or_refused(404, case), url, server_log)
            for suffix in GROUP_POSTS:
                url = f"/certificates/manage/{kind}/{value}{suffix}"
                _check(official.post(url, data={"csrf_token": token, "part": "1"}), _or_refused(404, case), url, server_log)
    assert _audit_count(app) == before


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_query_values(app, factory, server_log, generous_limits, case):
    hostile = HOSTILE[case]
    anonymous = app.test_client()
    _check(anonymous.get("/verify", query_string={"code": hostile}), 400, "verify form", server_log)
    official, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    search = official.get("/certificates/manage", query_string={"q": hostile})
    _check(search, _or_refused(200, case), "search", server_log)  # the search page, with the reason next to the box
    if hostile.strip():
        assert 'class="error"' in search.text or "field-error" in search.text or "Bạn hãy" in search.text
    village = factory.village(name="Thôn Thử")
    team = factory.team(village, members=[factory.user()])
    group = f"/certificates/manage/team/{team}"
    part = official.get(f"{group}/ban-in.pdf", query_string={"part": hostile, "t": "x"})
    _check(part, _or_refused(404, case), "part", server_log)
    for file, args in (("chung-nhan.zip", {"t": hostile}), ("ban-in.pdf", {"part": "1", "t": hostile})):
        response = official.get(f"{group}/{file}", query_string=args)  # a signed link it is not
        if case in UNSTORABLE and response.status_code == 400:
            continue
        assert response.status_code == 303 and response.headers["Location"] == group, file
    page = official.get(group, query_string={"waiting": hostile})
    _check(page, _or_refused(200, case), "group page", server_log)


@pytest.fixture
def certificate_page(app, factory):
    """An official, a certificate in their commune, its page and a CSRF token."""
    code = complete_course(app, factory.user(name="Hà Văn Thử"))
    official, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    page = f"/certificates/manage/c/{code}"
    return official, code, page, csrf_from(official.get(page).text)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_names_and_revisions(app, server_log, certificate_page, case):
    official, code, page, token = certificate_page
    hostile = HOSTILE[case]
    renamed = official.post(f"{page}/regenerate", data={"csrf_token": token, "full_name": hostile, "revision": "1"})
    _check(renamed, _or_refused(422, case), "full_name", server_log)
    stale = official.post(f"{page}/regenerate", data={"csrf_token": token, "full_name": "Hà Văn Thật", "revision": hostile})
    _check(stale, _or_refused(422, case), "revision", server_log)
    assert "Biểu mẫu này đã cũ" in stale.text or stale.status_code == 400
    certificate = get_certificate(app, code)
    assert certificate.revision == 1 and certificate.printed_name == "Hà Văn Thử"


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("Cấp nhầm\x00 người", "ít nhất 5 ký tự"),
        ("Cấp nhầm\x1b[31m người", "ít nhất 5 ký tự"),
        ("\r\n\r\n", "lý do thu hồi"),
        ("²", "ít nhất 5 ký tự"),
        ("A" * 5000, "tối đa 500 ký tự"),
    ],
)
def test_hostile_revoke_reasons(app, server_log, certificate_page, reason, message):
    official, code, page, token = certificate_page
    response = official.post(f"{page}/revoke", data={"csrf_token": token, "reason": reason})
    if "\x00" in reason and response.status_code == 400:  # refused for the whole app
        message = "ký tự không hợp lệ"
    _check(response, 422 if response.status_code != 400 else 400, "reason", server_log)
    assert message in response.text
    assert get_certificate(app, code).revoked_at is None


@pytest.mark.parametrize("reason", ["Nhầm\x1b[31m lẫn", "\r\n\r\n", "²", "A" * 5000, "Khôi\x00 phục"])
def test_hostile_reinstate_reasons_leave_the_revocation_in_place(app, server_log, certificate_page, reason):
    official, code, page, token = certificate_page
    assert official.post(f"{page}/revoke", data={"csrf_token": token, "reason": "Thu hồi để thử"}).status_code == 302
    response = official.post(f"{page}/reinstate", data={"csrf_token": token, "reason": reason})
    _check(response, _or_refused(422, "nul" if "\x00" in reason else "other"), "reinstate reason", server_log)
    if response.status_code == 422:
        assert "lý do khôi phục" in response.text or "tối đa 500 ký tự" in response.text
    for body in ([1], "x", {"reason": ["a"]}):
        answer = official.post(f"{page}/reinstate", json=body, headers={"X-CSRFToken": token})
        _check(answer, {422, 400}, f"json {body!r}", server_log)
    assert get_certificate(app, code).revoked_at is not None


def test_non_ascii_revision_digits_are_refused(app, server_log, certificate_page):
    official, code, page, token = certificate_page
    for revision in ("٢", "２", "¹", "1" * 10):
        response = official.post(
            f"{page}/regenerate", data={"csrf_token": token, "full_name": "Hà Văn Thật", "revision": revision}
        )
        _check(response, 422, revision, server_log)
        assert "Biểu mẫu này đã cũ" in response.text
    assert get_certificate(app, code).revision == 1


def test_files_and_json_where_text_is_expected(app, factory, server_log, certificate_page):
    official, code, page, token = certificate_page

    def upload():
        return (io.BytesIO(b"Thu h\xe1\xbb\x93i v\xc3\xac l\xc3\xbd do"), "ly-do.txt")

    cases = [
        (f"{page}/revoke", {"csrf_token": token, "reason": upload()}, 422, "Bạn hãy ghi lý do thu hồi"),
        (f"{page}/regenerate", {"csrf_token": token, "full_name": upload(), "revision": "1"}, 422, "Bạn hãy nhập họ và tên"),
        (f"{page}/regenerate", {"csrf_token": token, "full_name": "Hà Văn Thật", "revision": upload()}, 422, "Biểu mẫu"),
        (f"{page}/revoke", {"csrf_token": upload(), "reason": "Lý do thử nghiệm"}, 400, "Phiên làm việc"),
    ]
    # A file part may also be refused for the whole app before any view runs: 400 saying so.
    app_wide = (400, "không nhận tệp gửi kèm")
    for url, data, status, message in cases:
        response = official.post(url, data=data, content_type="multipart/form-data")
        _check(response, {status, 400}, url, server_log)
        assert (
            (response.status_code, message) == (status, message)
            and message in response.text
            or (app_wide[1] in response.text and response.status_code == 400)
        ), (url, message)
    village = factory.village(name="Thôn Tệp")
    team = factory.team(village, members=[factory.user()])
    group = f"/certificates/manage/team/{team}"
    response = official.post(
        f"{group}/ban-in.pdf", data={"csrf_token": token, "part": upload()}, content_type="multipart/form-data"
    )
    _check(response, {404, 400}, "part as a file", server_log)
    # JSON bodies with the token in the header (as a script would send it): the fields stay empty.
    for body in ([1], "x", 1, True, None, {"reason": ["a"]}, {"reason": {"x": 1}}):
        response = official.post(f"{page}/revoke", json=body, headers={"X-CSRFToken": token})
        _check(response, {422, 400}, f"json {body!r}", server_log)  # 400: refused for the whole app
        for url in (f"{group}/prepare", f"{group}/chung-nhan.zip", f"{group}/ban-in.pdf"):
            answer = official.post(url, json=body, headers={"X-CSRFToken": token})
            assert answer.status_code in (302, 303, 400, 404), (url, body, answer.status_code)
            assert not [r for r in server_log if r.exc_info or r.levelno >= logging.ERROR]
    certificate = get_certificate(app, code)
    assert certificate.revoked_at is None and certificate.printed_name == "Hà Văn Thử"
