"""Bulk downloads for officials: one streamed ZIP, and print-ready PDFs of several certificates.

A download is asked for with a POST (CSRF, audited), which answers with a redirect to the file
URL carrying a signed link (`download_token`): the GET that sends the file writes nothing, and a
link from another site, without the signature, records nothing in an official's name.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from lms.certificates import storage
from lms.certificates.models import Certificate
from lms.certificates.render import merge_pdfs
from lms.certificates.storage import Snapshot
from lms.core.text import fold

_UNSAFE = re.compile(r"[^a-z0-9]+")
_PART = re.compile(r"[0-9]{1,9}")
# Long enough to start the download on a slow line and retry it from the browser's downloads.
LINK_MINUTES = 15


def part_number(raw: str | None) -> int:
    """The print part asked for (1, 2, …), or 0 for anything but a few ASCII digits."""
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if _PART.fullmatch(text) else 0


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="certificate-bulk-download")


def download_token(user_id: int, kind: str, key: str, what: str, part: int = 0) -> str:
    """A signed link for this official, group and file, valid LINK_MINUTES."""
    return _serializer().dumps([user_id, kind, key, what, part])


def token_allows(token: str | None, user_id: int, kind: str, key: str, what: str, part: int = 0) -> bool:
    if not token or len(token) > 200:
        return False
    try:
        fields = _serializer().loads(token, max_age=LINK_MINUTES * 60)
    except BadData:
        return False
    return fields == [user_id, kind, key, what, part]


def file_name(certificate: Certificate | Snapshot) -> str:
    """ASCII only, whatever the name holds: nguyen-van-an_7KQ2-M9XD-3FTA.pdf"""
    slug = _UNSAFE.sub("-", fold(certificate.printed_name)).strip("-")[:60].strip("-") or "chung-nhan"
    return f"{slug}_{certificate.display_code}.pdf"


class _Sink:
    """A write-only stream whose bytes the generator hands out as they are produced."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def stream_zip(certificates: list[Snapshot]) -> Iterator[bytes]:
    """ZIP of the PDFs, yielded file by file (PDFs are compressed already: stored as is).
    A PDF not rendered yet is rendered here, once, under its lock."""
    sink = _Sink()
    seen: set[str] = set()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for certificate in certificates:
            name = file_name(certificate)
            if name in seen:
                name = name.replace(".pdf", f"-{certificate.id}.pdf")
            seen.add(name)
            path = storage.ensure_pdf(certificate)
            info = zipfile.ZipInfo(name, date_time=certificate.issued_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            with archive.open(info, mode="w") as member, open(path, "rb") as source:
                while block := source.read(256 * 1024):
                    member.write(block)
            yield sink.take()
    yield sink.take()


def print_pdf(certificates: list[Certificate] | list[Snapshot]) -> bytes:
    """Every certificate on its own A4 landscape page, in one file, ready to print."""
    return merge_pdfs(storage.ensure_pdf(c) for c in certificates)
