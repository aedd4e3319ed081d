"""Handing a stored PDF to the browser, for the learner's and the officials' pages alike."""

from __future__ import annotations

from pathlib import Path

from flask import Response
from redis.exceptions import RedisError

from lms.certificates import jobs, settings, storage
from lms.certificates.models import Certificate


def ensure_or_queue(certificate: Certificate) -> Path | None:
    """The PDF path, or None when a worker was asked to make it (REDIS_URL set)."""
    if storage.is_rendered(certificate):
        return storage.pdf_path(certificate)
    if settings.redis_url():
        try:
            if jobs.enqueue(certificate.id, certificate.code, certificate.revision):
                return None
        except RedisError:  # Redis unreachable: render here rather than fail
            jobs.log.warning("queue unavailable, rendering %s in the request", certificate.code, exc_info=True)
    return storage.ensure_pdf(certificate)


def pdf_response(path: Path, certificate: Certificate) -> Response:
    """The stored PDF as a download (read whole: it is a few tens of kilobytes)."""
    response = Response(path.read_bytes(), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="giay-chung-nhan-{certificate.display_code}.pdf"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response
