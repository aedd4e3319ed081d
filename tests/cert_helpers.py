"""Helpers for certificate tests: a signing key, fast course completion, PDF and QR reading."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from lms.catalog.models import Course
from lms.catalog.services import course_modules
from lms.core.extensions import db
from lms.learning.models import ModuleCompletion


@pytest.fixture(scope="session")
def cert_key(app, tmp_path_factory):
    """A signing key for the session (outside the repository), made as `flask lms init` does."""
    path = tmp_path_factory.mktemp("cert-key") / "certificate-signing-key.pem"
    app.config["CERTIFICATE_SIGNING_KEY"] = str(path)
    app.config["PUBLIC_BASE_URL"] = "https://hocso.example.gov.vn"
    with app.app_context():
        from lms.certificates.keyring import ensure_signing_key

        ensure_signing_key()
    return path


def complete_course(app, user_id: int, slug: str = "nguoi-dan", **request):
    """Mark every required module done and complete the course, as the quiz path would (in a
    POST request of `app`, with `request` passed to it, e.g. headers). Returns the certificate's
    display code (or None)."""
    from lms.accounts.models import User
    from lms.certificates.models import Certificate
    from lms.learning.services import enroll, maybe_complete_course

    with app.test_request_context("/", method="POST", **request):
        user = db.session.get(User, user_id)
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        enroll(user, course)
        for row in course_modules(course):
            db.session.add(ModuleCompletion(user_id=user.id, course_id=course.id, module_id=row.module_id, best_percent=100))
        db.session.flush()
        maybe_complete_course(user, course)
        db.session.commit()
        certificate = db.session.scalar(
            select(Certificate).where(Certificate.user_id == user_id, Certificate.course_id == course.id)
        )
        code = certificate.display_code if certificate else None
        db.session.remove()
        return code


def get_certificate(app, code: str):
    from lms.certificates.codes import normalize_code
    from lms.certificates.models import Certificate

    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == normalize_code(code)))
        if certificate is not None:
            db.session.expunge(certificate)
        return certificate


def render_pdf(app, code: str) -> bytes:
    """The stored PDF of a certificate, rendered if missing."""
    from lms.certificates import storage
    from lms.certificates.codes import normalize_code
    from lms.certificates.models import Certificate

    with app.test_request_context("/"):
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == normalize_code(code)))
        return storage.ensure_pdf(certificate).read_bytes()


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def pdf_font_names(data: bytes) -> set[str]:
    """BaseFont names of every embedded font (they carry a subset prefix: ABCDEF+Name)."""
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page["/Resources"].get_object().get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            if descriptor is not None and any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.add(str(font["/BaseFont"]))
    return names


def pdf_embedded_files(data: bytes) -> list[str]:
    """Names of file attachments: document-level EmbeddedFiles and FileAttachment annotations."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    found = list(reader.attachments.keys())
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/FileAttachment":
                found.append(str(annot.get("/FS")))
    return found


def pdf_link_uris(data: bytes) -> list[str]:
    from pypdf import PdfReader

    uris = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def decode_qr(data: bytes, dpi: int = 200) -> list[str]:
    """Render the first page (pdfium) and read every QR code on it (zxing-cpp)."""
    import pypdfium2 as pdfium
    import zxingcpp

    document = pdfium.PdfDocument(data)
    try:
        image = document[0].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    return [result.text for result in zxingcpp.read_barcodes(image)]
