"""In Chromium: the QR's signed payload is checked in the browser (WebCrypto Ed25519, and the
pure-JS fallback), on the verification page and on the offline page with the network cut."""

import json

import pytest

from lms.certificates.signing import b64url, b64url_decode
from tests.browser import chromium, live_server, screenshot
from tests.cert_helpers import cert_key, complete_course, decode_qr, render_pdf  # noqa: F401  (cert_key is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("cert_key")]


def _tamper(qr: str) -> str:
    url, signed = qr.split("#")
    payload, signature = signed.split(".")
    fields = json.loads(b64url_decode(payload))
    fields["co"] = "Khóa học khác"
    return url + "#" + b64url(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()) + "." + signature


def test_browser_checks_the_qr_signature_online_and_offline(app, factory):
    code = complete_course(app, factory.user(name="Ngô Thị Bích Ngọc"))
    [qr] = decode_qr(render_pdf(app, code))
    fragment = qr.split("#", 1)[1]
    with live_server(app) as base, chromium() as page:
        # The page the QR opens: the server's answer plus the in-browser signature check.
        page.goto(f"{base}/verify/{code}#{fragment}")
        result = page.locator("#qr-check-result")
        result.filter(has_text="hợp lệ").wait_for()
        assert "Chữ ký số hợp lệ" in result.text_content()
        assert "Ngô Thị Bích Ngọc" in page.locator("#qr-check-fields").text_content()
        assert page.evaluate("typeof crypto.subtle.importKey") == "function"
        screenshot(page, "certificate-verify")

        # Offline: load the page, cut the network, paste the QR text.
        page.goto(f"{base}/verify/offline")
        page.context.set_offline(True)
        page.locator("#qr-text").fill(qr)
        page.get_by_role("button", name="Kiểm tra chữ ký").click()
        page.locator("#qr-check-result").filter(has_text="hợp lệ").wait_for()
        assert "Ngô Thị Bích Ngọc" in page.locator("#qr-check-fields").text_content()
        page.locator("#qr-text").fill(_tamper(qr))
        page.get_by_role("button", name="Kiểm tra chữ ký").click()
        page.locator("#qr-check-result").filter(has_text="KHÔNG khớp").wait_for()
        page.locator("#qr-text").fill("https://example.org/verify/ABCD")
        page.get_by_role("button", name="Kiểm tra chữ ký").click()
        page.locator("#qr-check-result").filter(has_text="Không tìm thấy dữ liệu ký").wait_for()
        screenshot(page, "certificate-offline")

        # A browser without WebCrypto Ed25519 uses the bundled pure-JS verifier: same answers.
        page.evaluate(
            "Object.defineProperty(crypto.subtle, 'importKey',"
            " {value: () => Promise.reject(new DOMException('no', 'NotSupportedError'))})"
        )
        page.locator("#qr-text").fill(qr)
        page.get_by_role("button", name="Kiểm tra chữ ký").click()
        page.locator("#qr-check-result").filter(has_text="hợp lệ").wait_for()
        page.locator("#qr-text").fill(_tamper(qr))
        page.get_by_role("button", name="Kiểm tra chữ ký").click()
        page.locator("#qr-check-result").filter(has_text="KHÔNG khớp").wait_for()
        page.context.set_offline(False)


def test_pure_js_ed25519_matches_python(app):
    """RFC 8032 test vector 1 and signatures made here, checked by the bundled JavaScript."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    cases = [("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
              "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
              "", True)]  # fmt: skip
    for message in (b"", "Nguyễn Thị Ánh Tuyết".encode() * 9, bytes(range(256))):
        cases.append((public, key.sign(message).hex(), message.hex(), True))
        cases.append((public, key.sign(message + b"!").hex(), message.hex(), False))
    with live_server(app) as base, chromium() as page:
        page.goto(f"{base}/verify/offline")
        results = page.evaluate(
            """cases => cases.map(([pub, sig, msg]) => {
                 const bytes = h => Uint8Array.from((h.match(/../g) || []).map(b => parseInt(b, 16)));
                 return HSCDEd25519.verify(bytes(pub), bytes(sig), bytes(msg));
               })""",
            [list(case[:3]) for case in cases],
        )
        digest = page.evaluate(
            "Array.from(HSCDEd25519.sha512(new TextEncoder().encode('abc'))).map(b => b.toString(16).padStart(2, '0')).join('')"
        )
    assert results == [case[3] for case in cases]
    import hashlib

    assert digest == hashlib.sha512(b"abc").hexdigest()
