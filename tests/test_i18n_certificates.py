"""Certificates in English: the public verification pages and the officials' certificate page.

What a certificate says (name, course, certificate title, issuer) stays Vietnamese: it is a
Vietnamese document. Everything around it follows the visitor's language."""

from __future__ import annotations

import re

import pytest

from tests.cert_helpers import cert_key, complete_course, get_certificate  # noqa: F401  (cert_key is a fixture)
from tests.factories import DEMO_COMMUNE, csrf_from, login_as
from tests.test_i18n import LANGUAGE_LINK, assert_english_layout, vietnamese_words, visible_text

pytestmark = pytest.mark.usefixtures("cert_key")


def _certificate_words(app, code: str) -> set[str]:
    """The words a certificate itself carries (left in Vietnamese on purpose)."""
    c = get_certificate(app, code)
    values = [c.printed_name, c.course_title, c.certificate_title, c.issuer_name, c.revoke_reason or ""]
    return set(re.findall(r"\w+", " ".join(values))) | LANGUAGE_LINK


def _main(page: str) -> str:
    return re.search(r"<main\b.*?</main>", page, flags=re.S).group(0)


def test_verify_page_in_english(app, client, factory):
    code = complete_course(app, factory.user(name="Hoàng Thị Lan"))
    page = client.get(f"/verify/{code}?lang=en").text
    assert_english_layout(page)
    for text in ("VALID", "Certificate issued by", "Full name", "Course", "Date issued", "Issued by", "Check another code"):
        assert text in page, text
    assert "Hoàng Thị Lan" in page and "Khóa học kỹ năng số — phiên bản người dân" in page
    # verify.js reads its texts from the page.
    assert 'data-text-valid="The digital signature is valid: ' in page
    assert 'data-text-other-code="The signature is valid, but it belongs to a different certificate (code {code})."' in page
    assert 'data-text-label-co="Course"' in page
    assert vietnamese_words(visible_text(_main(page)), _certificate_words(app, code)) == set()
    vi = client.get(f"/verify/{code}?lang=vi").text
    assert "HỢP LỆ" in vi and 'data-text-label-co="Khóa học"' in vi


def test_verify_form_errors_in_english(app, client, factory):
    form = client.get("/verify?lang=en").text
    assert_english_layout(form)
    assert "Check a certificate" in form and "Certificate code" in form and "Open the offline check page" in form
    assert vietnamese_words(visible_text(form), LANGUAGE_LINK) == set()
    page = client.get("/verify", query_string={"code": "7KQ2-M9XD-3FTO"})
    assert page.status_code == 400 and "never use the digits 0 and 1 or the letters O, I and L" in page.text
    page = client.get("/verify", query_string={"code": "7KQ2-M9XD"})
    assert "the code you entered has 8 characters." in page.text
    page = client.get("/verify", query_string={"code": "7"})
    assert "the code you entered has 1 character." in page.text
    page = client.get("/verify/2345-6789-ABCD")
    assert page.status_code in (400, 404) and "Please compare each character" in page.text


def test_offline_check_page_in_english(client):
    page = client.get("/verify/offline?lang=en").text
    assert_english_layout(page)
    assert "Check a certificate without the internet" in page and 'data-text-checking="Checking…"' in page
    assert vietnamese_words(visible_text(page), LANGUAGE_LINK) == set()


def test_revoked_certificate_in_english_and_the_officials_page(app, client, factory):
    code = complete_course(app, factory.user(name="Bùi Văn Toàn"))
    official, _, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE, name="Lê Văn Cán")
    url = f"/certificates/manage/c/{code}"
    page = official.get(f"{url}?lang=en").text
    assert_english_layout(page, signed_in=True)
    for text in ("Manage certificates", "Name printed on the certificate", "Correct full name", "Reason for revoking"):
        assert text in page, text
    assert 'value="Revoke the certificate"' in page and 'value="Correct the name and reissue the PDF"' in page
    allowed = _certificate_words(app, code) | {"Lê", "Văn", "Cán"}
    assert vietnamese_words(visible_text(_main(page)), allowed) == set()

    too_short = official.post(f"{url}/revoke", data={"csrf_token": csrf_from(page), "reason": " x "})
    assert too_short.status_code == 422 and "at least 5 characters" in too_short.text
    done = official.post(f"{url}/revoke", data={"csrf_token": csrf_from(page), "reason": "Issued to the wrong person"})
    assert done.status_code == 302
    page = official.get(url).text
    assert f"Certificate {code} has been revoked." in page and "revoked: Issued to the wrong person" in page

    verify = client.get(f"/verify/{code}?lang=en").text
    assert "REVOKED" in verify and "This certificate has been revoked" in verify and "Reason:" in verify
    assert vietnamese_words(visible_text(_main(verify)), _certificate_words(app, code)) == set()
    assert client.get(f"/certificates/{code}.json").json["error"] == "This certificate has been revoked."


@pytest.mark.browser
def test_signature_check_texts_in_english_in_chromium(app, factory):
    from tests.browser import chromium, live_server
    from tests.cert_helpers import decode_qr, render_pdf

    code = complete_course(app, factory.user(name="Ngô Thị Bích Ngọc"))
    [qr] = decode_qr(render_pdf(app, code))
    errors = []
    with live_server(app) as base, chromium() as page:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/verify/{code}?lang=en#{qr.split('#', 1)[1]}")
        result = page.locator("#qr-check-result")
        result.filter(has_text="The digital signature is valid").wait_for()
        fields = page.locator("#qr-check-fields").text_content()
        assert "Course" in fields and "Date issued" in fields and "Ngô Thị Bích Ngọc" in fields
        page.goto(f"{base}/verify/offline")  # the language chosen above sticks
        page.locator("#qr-text").fill("https://example.org/verify/ABCD")
        page.get_by_role("button", name="Check the signature").click()
        result.filter(has_text="No signed data was found in the QR code text").wait_for()
    assert errors == []
