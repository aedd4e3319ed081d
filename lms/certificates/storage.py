"""Where PDFs are kept, and rendering each one once.

A certificate's PDF lives at <CERTIFICATE_DIR>/<first two code characters>/<code>-r<revision>.pdf,
so the file name alone says whether the current revision exists: rendering never writes to
the database (a burst of renders never holds SQLite's write lock), and a regeneration simply
makes a new file name. Rendering takes an exclusive lock file per certificate (flock), then
checks again: two downloads at the same moment, in threads or processes of this machine,
render once and both get the same file. Files are written to a temporary name and renamed.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lms.certificates import keyring, settings
from lms.certificates.models import Certificate
from lms.certificates.render import CertificateText, get_renderer, local_date
from lms.certificates.signing import payload_fields, sign_payload


@dataclass(frozen=True)
class Snapshot:
    """The columns a render needs, detached from the database session.

    Rendering takes tens of milliseconds; on SQLite a transaction outside a GET request starts
    with BEGIN IMMEDIATE (lms.core.db), so a worker that rendered inside its transaction would
    hold the write lock all that time and workers would take turns. Workers and commands read
    the row, end the transaction, then render from a snapshot. Streamed responses use it too.
    """

    id: int
    code: str
    revision: int
    printed_name: str
    course_title: str
    certificate_title: str
    issuer_name: str
    issued_at: datetime

    @property
    def display_code(self) -> str:
        return f"{self.code[0:4]}-{self.code[4:8]}-{self.code[8:12]}"

    @classmethod
    def of(cls, certificate: Certificate | Snapshot) -> Snapshot:
        if isinstance(certificate, Snapshot):
            return certificate
        return cls(certificate.id, certificate.code, certificate.revision, certificate.printed_name,
                   certificate.course_title, certificate.certificate_title, certificate.issuer_name,
                   certificate.issued_at)  # fmt: skip


SNAPSHOT_COLUMNS = (
    Certificate.id, Certificate.code, Certificate.revision, Certificate.printed_name, Certificate.course_title,
    Certificate.certificate_title, Certificate.issuer_name, Certificate.issued_at,
)  # fmt: skip


def detach(certificates: list[Certificate]) -> list[Snapshot]:
    """Snapshots of the rows, and the current transaction ended (nothing in it is kept)."""
    from lms.core.extensions import db

    snapshots = [Snapshot.of(c) for c in certificates]
    db.session.rollback()
    return snapshots


# Counts renders in this process (tests and the benchmark read it).
render_count = 0
_count_lock = threading.Lock()


def _folder(code: str) -> Path:
    return settings.storage_dir() / code[:2]


def pdf_file(code: str, revision: int) -> Path:
    return _folder(code) / f"{code}-r{revision}.pdf"


def pdf_path(certificate: Certificate | Snapshot) -> Path:
    return pdf_file(certificate.code, certificate.revision)


def preview_path(certificate: Certificate | Snapshot) -> Path:
    return _folder(certificate.code) / f"{certificate.code}-r{certificate.revision}.png"


def is_rendered(certificate: Certificate | Snapshot) -> bool:
    return pdf_path(certificate).is_file()


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def verify_url(certificate: Certificate | Snapshot) -> str:
    return f"{settings.public_base_url()}/verify/{certificate.display_code}"


def qr_text(certificate: Certificate | Snapshot) -> str:
    """The verification URL with the signed payload in its fragment."""
    private = keyring.private_key()
    fields = payload_fields(
        kid=keyring.current_public_key().kid,
        code=certificate.code,
        name=certificate.printed_name,
        course=certificate.course_title,
        issued_on=local_date(certificate.issued_at).isoformat(),
        issuer=certificate.issuer_name,
        revision=certificate.revision,
    )
    return f"{verify_url(certificate)}#{sign_payload(private, fields)}"


def certificate_text(certificate: Certificate | Snapshot) -> CertificateText:
    return CertificateText(
        code=certificate.display_code,
        name=certificate.printed_name,
        course_title=certificate.course_title,
        certificate_title=certificate.certificate_title,
        issuer=certificate.issuer_name,
        issued_on=local_date(certificate.issued_at),
        verify_url=verify_url(certificate),
        qr_text=qr_text(certificate),
    )


def render_bytes(certificate: Certificate | Snapshot) -> bytes:
    global render_count
    data = get_renderer(settings.template_dir()).render_pdf(certificate_text(certificate))
    with _count_lock:
        render_count += 1
    return data


def _remove_other_revisions(certificate: Certificate | Snapshot) -> None:
    keep = {pdf_path(certificate).name, preview_path(certificate).name}
    for old in _folder(certificate.code).glob(f"{certificate.code}-r*"):
        if old.name not in keep:
            old.unlink(missing_ok=True)


def ensure_pdf(certificate: Certificate | Snapshot, timings: dict | None = None) -> Path:
    """The stored PDF of the certificate's current revision, rendered now if missing.
    `timings`, when given, adds up seconds spent rendering ("render", of which "render_cpu" on
    the processor) and on files ("disk"), and gets "made" = 1 when this call rendered."""
    path = pdf_path(certificate)
    if path.is_file():
        return path
    started = time.perf_counter()
    with file_lock(_folder(certificate.code) / f".{certificate.code}.lock"):
        if path.is_file():
            return path
        locked, cpu = time.perf_counter(), time.thread_time()
        data = render_bytes(certificate)
        rendered, cpu = time.perf_counter(), time.thread_time() - cpu
        _write_atomically(path, data)
        if certificate.revision > 1:  # only a regeneration leaves an older file behind
            _remove_other_revisions(certificate)
    if timings is not None:
        timings["render"] = timings.get("render", 0.0) + rendered - locked
        timings["render_cpu"] = timings.get("render_cpu", 0.0) + cpu
        timings["disk"] = timings.get("disk", 0.0) + (locked - started) + (time.perf_counter() - rendered)
        timings["made"] = 1
    return path


def ensure_preview(certificate: Certificate | Snapshot) -> Path:
    path = preview_path(certificate)
    if path.is_file():
        return path
    pdf = ensure_pdf(certificate)
    with file_lock(_folder(certificate.code) / f".{certificate.code}.lock"):
        if not path.is_file():
            _write_atomically(path, get_renderer(settings.template_dir()).preview_png(pdf.read_bytes()))
    return path
