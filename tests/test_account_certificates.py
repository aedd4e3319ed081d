"""A person's certificates in their data export, and what deleting the account does to them."""

import json

import pytest

from lms.certificates import storage
from tests.cert_helpers import cert_key, complete_course, get_certificate, render_pdf  # noqa: F401  (cert_key is a fixture)
from tests.factories import login_as

pytestmark = pytest.mark.usefixtures("cert_key")


def test_export_lists_certificates_and_deletion_revokes_and_erases_them(app, factory):
    client, auth, uid, _ = login_as(app, factory, name="Trịnh Văn Quyết")
    code = complete_course(app, uid)
    assert code
    render_pdf(app, code)
    with app.app_context():
        certificate = get_certificate(app, code)
        pdf = storage.pdf_path(certificate)
    assert pdf.is_file()

    exported = json.loads(client.get("/account/export").data)
    assert [c["code"] for c in exported["certificates"]] == [code]
    assert exported["certificates"][0]["printed_name"] == "Trịnh Văn Quyết"

    response = auth.post("/account/delete", {"password": "mat-khau-123", "confirm": "y"})
    assert response.status_code == 302
    certificate = get_certificate(app, code)
    assert certificate.revoked_at is not None
    assert certificate.printed_name == "(đã xóa theo yêu cầu)"
    assert not pdf.exists()
    page = app.test_client().get(f"/verify/{code}").text
    assert "Trịnh Văn Quyết" not in page
    assert "Người nhận đã xóa tài khoản và dữ liệu cá nhân." in page
