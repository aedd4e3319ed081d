"""The certificate's QR code as a phone or a cheap scanner meets it: the PDF page rendered at
100 dpi by poppler (pdftoppm) and read by ZBar (zbarimg), two tools independent of the ones the
certificate is made with, must give back the whole text the certificate encodes."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.cert_helpers import complete_course, render_pdf
from tests.factories import DEMO_COMMUNE

TOOLS = ("pdftoppm", "zbarimg")


def _scan(pdf: bytes, folder, dpi: int) -> list[str]:
    pdftoppm, zbarimg = (shutil.which(tool) for tool in TOOLS)
    if pdftoppm is None or zbarimg is None:
        pytest.fail("pdftoppm and zbarimg are needed for this test (Debian packages poppler-utils and zbar-tools)")
    source = folder / "certificate.pdf"
    source.write_bytes(pdf)
    page = ["-r", str(dpi), "-f", "1", "-l", "1", "-gray", "-png", "-singlefile", str(source), str(folder / "page")]
    subprocess.run([pdftoppm, *page], check=True, timeout=60)  # noqa: S603  (our own file)
    read = [zbarimg, "--quiet", "--raw", "-Sqrcode.enable", str(folder / "page.png")]
    result = subprocess.run(read, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    return [line for line in result.stdout.splitlines() if line]


def test_the_certificate_qr_decodes_from_a_100_dpi_render_with_zbar(app, factory, cert_key, tmp_path):
    from lms.certificates.keyring import trusted_keys
    from lms.certificates.signing import verify_payload
    from tests.cert_helpers import get_certificate

    uid = factory.user(name="Nguyễn Thị Quét", commune=DEMO_COMMUNE)
    code = complete_course(app, uid)
    scanned = _scan(render_pdf(app, code), tmp_path, 100)
    assert len(scanned) == 1, scanned
    # The whole signed text came through: its signature checks and it names this certificate.
    with app.app_context():
        fields = verify_payload(scanned[0], trusted_keys())
    assert fields["c"] == get_certificate(app, code).code
    assert fields["n"] == "Nguyễn Thị Quét"
    # An address of the verification page for this code (the base URL is the deployment's).
    assert re.match(r"https?://[^/]+/verify/" + re.escape(get_certificate(app, code).display_code) + "#", scanned[0])
