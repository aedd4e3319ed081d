"""Hostile names: the PDF shows the literal text, embeds no file, links nowhere, fetches nothing.

Names reach the template only as escaped text (sandboxed Jinja, autoescape) and WeasyPrint's
URL fetcher serves nothing but the template folder and the in-memory QR image.
"""

import io
import json
import re
import shutil
import socket
import subprocess
import unicodedata

import pytest
from sqlalchemy import update

from lms.accounts.models import User
from lms.core.extensions import db
from tests.cert_helpers import (  # noqa: F401  (cert_key is a fixture)
    cert_key,
    complete_course,
    get_certificate,
    pdf_embedded_files,
    pdf_link_uris,
    pdf_pages,
    pdf_text,
)
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, csrf_from, login_as

pytestmark = pytest.mark.usefixtures("cert_key")
CANARY = "CANARY-d41d8cd98f00"

HOSTILE = {
    "img-file": '<img src="file:///etc/passwd">Nguyễn Văn An',
    "img-canary": '<img src="file://{canary}"><object data="file://{canary}"></object>',
    "link-attachment": '<link rel="attachment" href="file:///etc/hostname"><a rel="attachment" href="file:///etc/passwd">Bình</a>',
    "css-url": '<div style="background:url(file:///etc/passwd);width:1000mm">Trần Thị Hà</div>',
    "style-import": "<style>@import url(http://127.0.0.1:9/x.css); body{background:url(http://127.0.0.1:9/y.png)}</style>Hồ",
    "network-img": '<img src="http://127.0.0.1:9/beacon.png"><iframe src="http://127.0.0.1:9/"></iframe>Lý',
    "break-out": '</p></div></body><svg onload="alert(1)"><image href="file:///etc/passwd"/></svg>Đặng',
    "template": "{{ config }} {% for x in range(9) %}{{ x }}{% endfor %} ${7*7} Phan",
    "long-300": ("Nguyễn Thị Phương Thảo " * 14)[:300],
    "combining-nfd": unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết Đặng Quốc Khải"),
    "combining-stack": "A\u0301\u0302\u0303\u0304\u0305\u0306\u0307 Lê\u0323\u0323\u0323 Văn",
    "rtl": "محمد علي — שלום עליכם — Nguyễn",
    "bidi-override": "\u202eNguyễn Văn An\u202c \u2066Hà\u2069",
}


def _issue_with_name(app, uid, name):
    """A certificate printed with `name`. Straight into the database: the profile form would
    refuse most of these names, and profiles hold 80 characters while certificates hold 320."""
    from lms.certificates.codes import normalize_code
    from lms.certificates.models import Certificate

    with app.app_context():
        db.session.execute(update(User).where(User.id == uid).values(full_name=name[:80]))
        db.session.commit()
    code = complete_course(app, uid)
    with app.app_context():
        db.session.execute(update(Certificate).where(Certificate.code == normalize_code(code)).values(printed_name=name))
        db.session.commit()
    return code


def _render_with_log(app, code):
    from lms.certificates import settings, storage
    from lms.certificates.codes import normalize_code
    from lms.certificates.models import Certificate
    from lms.certificates.render import get_renderer

    log: list[str] = []
    with app.test_request_context("/"):
        certificate = db.session.scalar(db.select(Certificate).where(Certificate.code == normalize_code(code)))
        renderer = get_renderer(settings.template_dir())
        text = storage.certificate_text(certificate)
        html = renderer.html(text)
        pdf = renderer.render_pdf(text, fetch_log=log)
    return html, pdf, log


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split())


@pytest.fixture
def no_network(monkeypatch):
    attempts = []
    original = socket.socket.connect

    def guarded(self, address):
        if isinstance(address, tuple) and address[:1] in (("127.0.0.1",), ("::1",)) and address[1] in (5432, 6379):
            return original(self, address)  # the test database and Redis
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_name_is_printed_literally_and_nothing_is_fetched_or_embedded(app, factory, tmp_path, no_network, case):
    from lms.certificates.render import QR_URL, printable

    canary = tmp_path / "secret.txt"
    canary.write_text(CANARY)
    name = HOSTILE[case].replace("{canary}", str(canary))
    uid = factory.user()
    code = _issue_with_name(app, uid, name)
    assert get_certificate(app, code).printed_name == name  # stored exactly as in the profile

    html, pdf, fetched = _render_with_log(app, code)
    assert fetched == [QR_URL]  # fonts and stylesheet were loaded once, from the template folder
    assert no_network == []
    assert "<img" not in html.split("<body>")[1].replace('<img class="qr" src="lms-qr:certificate.png"', "")
    assert "<style>" not in html and "<link" not in html and "<svg" not in html and "<a " not in html
    assert pdf_pages(pdf) == 1
    assert pdf_embedded_files(pdf) == []
    assert pdf_link_uris(pdf) == []
    assert CANARY.encode() not in pdf
    from pypdf import PdfReader

    xobjects = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"].get("/XObject") or {}
    assert len(xobjects) == 1  # the QR code, nothing else
    text = pdf_text(pdf)
    if case == "rtl":
        # Right-to-left runs are laid out (and extracted) in visual order: check each run.
        for run in ("محمد علي", "שלום עליכם", "Nguyễn"):
            assert run in text, run
    else:
        assert _squash(printable(name)) in _squash(text), case
    if case == "template":
        assert "{{ config }}" in text and "SECRET" not in text
    if case == "bidi-override":
        assert "Nguyễn Văn An" in text  # in reading order: the override was dropped


def test_emoji_in_a_name_stays_in_the_text_layer(app, factory, no_network):
    """No shipped font draws emoji (they print as an empty box), but the characters are kept:
    WeasyPrint then maps glyphs with its own CMap, which pypdf cannot read, so poppler checks."""
    from lms.certificates.render import QR_URL

    name = "Lê Thị 🌸 Hoa 👩‍💻 Nguyễn"
    uid = factory.user()
    code = _issue_with_name(app, uid, name)
    _, pdf, fetched = _render_with_log(app, code)
    assert fetched == [QR_URL] and no_network == []
    assert pdf_pages(pdf) == 1 and pdf_embedded_files(pdf) == [] and pdf_link_uris(pdf) == []
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils (pdftotext) is needed; .ci/test installs it"
    text = subprocess.run([pdftotext, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S603
    assert "Lê Thị 🌸 Hoa 👩💻 Nguyễn" in text


def test_template_environment_is_sandboxed_and_escapes(app):
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

    from lms.certificates import settings
    from lms.certificates.render import get_renderer

    with app.app_context():
        renderer = get_renderer(settings.template_dir())
    assert isinstance(renderer.env, ImmutableSandboxedEnvironment) and renderer.env.autoescape
    with pytest.raises(SecurityError):
        renderer.env.from_string("{{ x.__class__.__mro__ }}").render(x="a")
    with pytest.raises(SecurityError):
        renderer.env.from_string("{{ items.append(1) }}").render(items=[])
    assert renderer.env.from_string("{{ n }}").render(n="<b>&") == "&lt;b&gt;&amp;"


def test_fetcher_refuses_everything_outside_the_template_folder(app):
    from lms.certificates import settings
    from lms.certificates.render import FetchDenied, get_renderer

    with app.app_context():
        renderer = get_renderer(settings.template_dir())
        fetcher = renderer._fetcher()
        root = settings.template_dir()
    assert fetcher.fetch((root / "certificate.css").as_uri()).read().startswith(b"/*")
    for url in (
        "file:///etc/passwd",
        (root / ".." / "lms" / "__init__.py").as_uri(),
        "http://127.0.0.1:9/x.css",
        "https://example.org/font.ttf",
        "data:text/css,body{}",
        "ftp://127.0.0.1/x",
        "lms-qr:other.png",
        "file://remote-host/etc/passwd",
    ):
        with pytest.raises((FetchDenied, ValueError)):
            fetcher.fetch(url)


def test_printable_keeps_vietnamese_and_trims_noise():
    from lms.certificates.render import printable

    assert printable(unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")) == "Nguyễn Thị Ánh Tuyết"
    assert printable("Lê\u0323\u0323\u0323  Văn\u202e\u200b An\n") == "Lệ Văn An"
    assert printable("a\u0301\u0302\u0303\u0304") == unicodedata.normalize("NFC", "a\u0301\u0302")


# --- the Host header never reaches a signed credential -----------------------------------------

PUBLIC = "https://hocso.example.gov.vn"


def _certificate_app(make_app, app, tmp_path, **config):
    """Another app on the test database with its own PDF folder (so its PDFs are rendered by
    it) and the session's signing key."""
    return make_app(CERTIFICATE_SIGNING_KEY=app.config["CERTIFICATE_SIGNING_KEY"], CERTIFICATE_DIR=str(tmp_path), **config)


def _production_app(make_app, app, tmp_path, **config):
    return _certificate_app(make_app, app, tmp_path, ENV_NAME="production", SECRET_KEY="production-test-" + "k" * 32, **config)


def _qr_of(web_app, code, **request):
    from lms.certificates import storage
    from lms.certificates.codes import normalize_code
    from lms.certificates.models import Certificate
    from tests.cert_helpers import decode_qr

    with web_app.test_request_context("/", **request):
        certificate = db.session.scalar(db.select(Certificate).where(Certificate.code == normalize_code(code)))
        [qr] = decode_qr(storage.ensure_pdf(certificate).read_bytes())
        db.session.remove()
    return qr


def test_production_refuses_to_start_without_a_public_url(app, make_app, tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_PUBLIC_URL", raising=False)
    with pytest.raises(RuntimeError, match="LMS_PUBLIC_URL must be set in production"):
        _production_app(make_app, app, tmp_path, PUBLIC_BASE_URL=None)
    with pytest.raises(RuntimeError, match="LMS_PUBLIC_URL must look like https://"):
        _production_app(make_app, app, tmp_path, PUBLIC_BASE_URL="hocso.example.gov.vn")
    # The environment variable alone is enough (an explicit config value would override it).
    monkeypatch.setenv("LMS_PUBLIC_URL", PUBLIC + "/")
    started = _production_app(make_app, app, tmp_path)
    assert started.config["PUBLIC_BASE_URL"] == PUBLIC
    assert started.config["TRUSTED_HOSTS"] == ["hocso.example.gov.vn"]


def test_production_answers_a_forged_host_with_400_and_signs_on_the_public_url(app, make_app, factory, tmp_path):
    code = complete_course(app, factory.user(name="Võ Thị Sáu"))
    production = _production_app(make_app, app, tmp_path, PUBLIC_BASE_URL=PUBLIC, TRUSTED_HOSTS=["10.0.0.5"])
    assert production.config["TRUSTED_HOSTS"] == ["hocso.example.gov.vn", "10.0.0.5"]
    client = production.test_client()
    for url in (f"/certificates/{code}.json", f"/verify/{code}", "/verify/offline", "/certificates/keys.json", "/"):
        for host in ("evil.example", "hocso.example.gov.vn.evil.example", "evil.example:443"):
            forged = client.get(url, headers={"Host": host})
            assert forged.status_code == 400, (url, host)
            assert "Yêu cầu không hợp lệ" in forged.text and "evil" not in forged.text
    response = client.get(f"/certificates/{code}.json", base_url=PUBLIC)
    assert response.status_code == 200
    credential = response.get_json()
    assert credential["id"] == f"{PUBLIC}/certificates/{code}.json"
    assert credential["evidence"][0]["id"] == f"{PUBLIC}/verify/{code}"
    assert credential["issuer"]["url"] == f"{PUBLIC}/"
    assert "evil" not in json.dumps(credential)
    assert client.get(f"/verify/{code}", base_url="http://10.0.0.5").status_code == 200  # an extra trusted host
    assert _qr_of(production, code, base_url=PUBLIC).startswith(f"{PUBLIC}/verify/{code}#")


def test_without_a_public_url_development_signs_on_localhost_whatever_the_host(app, make_app, factory, tmp_path):
    # The credential is signed when the course is completed: in a request with a forged host.
    forged = {"headers": {"Host": "evil.example"}}
    development = _certificate_app(make_app, app, tmp_path, PUBLIC_BASE_URL=None)
    code = complete_course(development, factory.user(), **forged)
    client = development.test_client()
    credential = client.get(f"/certificates/{code}.json", **forged).get_json()
    assert credential["id"] == f"http://localhost:5000/certificates/{code}.json"
    assert "evil" not in json.dumps(credential)
    assert _qr_of(development, code, **forged).startswith(f"http://localhost:5000/verify/{code}#")
    # With a public URL it is that URL, for a request and for a worker alike.
    configured = _certificate_app(make_app, app, tmp_path / "configured", PUBLIC_BASE_URL=PUBLIC)
    code = complete_course(configured, factory.user(), **forged)
    credential = configured.test_client().get(f"/certificates/{code}.json", **forged).get_json()
    assert credential["id"] == f"{PUBLIC}/certificates/{code}.json"
    assert credential["credentialStatus"]["statusListCredential"].startswith(f"{PUBLIC}/certificates/status/")
    assert _qr_of(configured, code, **forged).startswith(f"{PUBLIC}/verify/{code}#")


# --- no existence oracle for officials ---------------------------------------------------------


def _same_page(response, code: str) -> tuple:
    """Status, type and body, with what differs per request anyway (request id, CSRF token) and
    the code the URL itself echoes taken out."""
    text = re.sub(r"[0-9a-f]{32}", "<request-id>", response.get_data(as_text=True))
    text = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', text)
    return response.status_code, response.mimetype, text.replace(code, "<code>")


def test_manage_pages_answer_alike_for_out_of_scope_unknown_and_malformed_codes(app, factory):
    from lms.certificates.codes import format_code, new_code

    far = complete_course(app, factory.user(commune=OTHER_COMMUNE))
    unknown = format_code(new_code())
    malformed = unknown[:-1] + next(ch for ch in "23456789" if ch != unknown[-1])
    official, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    token = csrf_from(official.get("/certificates/manage").text)

    def answers(code):
        base = f"/certificates/manage/c/{code}"
        regenerate = {"csrf_token": token, "full_name": "Ai Đó", "revision": "1"}
        return [
            _same_page(official.get(base), code),
            _same_page(official.get(f"{base}.pdf"), code),
            _same_page(official.post(f"{base}/revoke", data={"csrf_token": token, "reason": "Thu hồi thử"}), code),
            _same_page(official.post(f"{base}/regenerate", data=regenerate), code),
        ]

    real = answers(far)
    assert [status for status, _, _ in real] == [404] * 4
    assert all("Không tìm thấy giấy chứng nhận này trong phạm vi bạn quản lý." in text for _, _, text in real)
    assert answers(unknown) == real
    assert answers(malformed) == real
    assert answers("x" * 300) == real
    # The search box says the same for both (a typo, which cannot exist anywhere, is explained).
    searched = [official.get("/certificates/manage", query_string={"q": c}) for c in (far, unknown)]
    assert _same_page(searched[0], far) == _same_page(searched[1], unknown)
    assert "Không tìm thấy giấy chứng nhận này trong phạm vi bạn quản lý." in searched[0].text
    assert "ký tự bị gõ sai" in official.get("/certificates/manage", query_string={"q": malformed}).text
    assert get_certificate(app, far).revoked_at is None


# --- the learner's downloads are rate-limited --------------------------------------------------


def test_own_certificate_downloads_are_rate_limited_per_account(app, factory):
    app.config["CERTIFICATE_DOWNLOAD_RATE_LIMIT"] = "3 per day"  # a fixed window: no roll-over mid-test
    try:
        learner, _, uid, _ = login_as(app, factory)
        code = complete_course(app, uid)
        assert [learner.get(f"/certificates/mine/{code}.pdf").status_code for _ in range(2)] == [200, 200]
        assert learner.get(f"/certificates/mine/{code}.png").status_code == 200  # the preview counts too
        limited = learner.get(f"/certificates/mine/{code}.pdf")
        assert limited.status_code == 429 and "Bạn thao tác quá nhanh" in limited.text
        assert learner.get("/certificates/mine/2222-2222-2222.pdf").status_code == 429  # guessing too
        # Another account behind the same address (a commune office) is not held up.
        neighbour, _, other, _ = login_as(app, factory)
        other_code = complete_course(app, other)
        assert neighbour.get(f"/certificates/mine/{other_code}.pdf").status_code == 200
    finally:
        app.config.pop("CERTIFICATE_DOWNLOAD_RATE_LIMIT")
