"""PDF rendering with WeasyPrint, locked down.

- The HTML template (certificates/certificate.html) is rendered by a sandboxed, immutable
  Jinja environment with autoescaping; it receives plain strings only.
- WeasyPrint resolves every URL through TemplateFetcher, which serves files inside the
  template folder and the QR image of the certificate being rendered (from memory), and
  refuses everything else: no network, no file:// outside the folder, no data: URLs.
- Fonts and the stylesheet are loaded once per process (FontConfiguration + parsed CSS are
  reused), which is what makes a warm render take tens of milliseconds.
"""

from __future__ import annotations

import io
import mimetypes
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE = "certificate.html"
STYLESHEET = "certificate.css"
QR_URL = "lms-qr:certificate.png"

try:
    VIETNAM: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")
except ZoneInfoNotFoundError:  # a system without tzdata: Vietnam has had no daylight saving since 1975
    VIETNAM = timezone(timedelta(hours=7))


# Invisible characters that have no place in a printed name: C0/C1 controls, zero-width space,
# bidirectional marks, embeddings, overrides and isolates (an override could make a name read
# backwards on paper), and the byte-order mark. Profiles refuse them; the renderer drops them too.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


MAX_MARKS = 2  # Vietnamese needs two at most: ệ = e + circumflex + dot below


def printable(text: str) -> str:
    """NFC, invisible formatting characters removed, runs of spaces collapsed, and at most two
    different combining marks per letter (a pile of accents is noise, and a PDF's text layer
    cannot map one glyph to several different mark stacks)."""
    kept: list[str] = []
    marks: list[str] = []
    for ch in unicodedata.normalize("NFD", _INVISIBLE.sub(" ", text)):
        if unicodedata.combining(ch):
            if ch in marks or len(marks) >= MAX_MARKS:
                continue
            marks.append(ch)
        else:
            marks = []
        kept.append(ch)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


class FetchDenied(ValueError):
    pass


@dataclass(frozen=True)
class CertificateText:
    """Everything a certificate prints, as plain values."""

    code: str  # XXXX-XXXX-XXXX
    name: str
    course_title: str
    certificate_title: str
    issuer: str
    issued_on: date
    verify_url: str  # shown as text and encoded in the QR with the signed payload
    qr_text: str

    def context(self) -> dict[str, str]:
        name = printable(self.name)
        return {
            "code": self.code,
            "name": name,
            "name_size": name_size(name),
            "course_title": printable(self.course_title),
            "certificate_title": printable(self.certificate_title),
            "issuer": printable(self.issuer),
            "issued_on": self.issued_on.strftime("%d/%m/%Y"),
            "issued_on_long": vietnamese_date(self.issued_on),
            "verify_hint": self.verify_url.split("://", 1)[-1].rsplit("/", 1)[0],
            "qr_src": QR_URL,
        }


def name_size(name: str) -> str:
    length = len(name)
    if length <= 26:
        return "size-xl"
    if length <= 40:
        return "size-l"
    if length <= 70:
        return "size-m"
    return "size-s"


def vietnamese_date(day: date) -> str:
    return f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def local_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).date()


QR_PIXELS_PER_MODULE = 4


def qr_png(text: str) -> bytes:
    """Four pixels per module, drawn by the stylesheet at 56 mm with image-rendering: pixelated.
    With one pixel per module (tried), poppler smooths the tiny image when it renders the page
    and ZBar read half of the 100 dpi renders; with four it read 20 of 20 (and 7 of 10 with
    eight: downsampling blurs again). A fixed mask skips segno's mask search (the slowest part
    of encoding) and error level M survives a crease or a stain."""
    qr = segno.make(text, error="m", mask=0, boost_error=False, micro=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=QR_PIXELS_PER_MODULE, border=0, dark="#12355b")
    return out.getvalue()


def _weasyprint():
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    return CSS, HTML, FontConfiguration, URLFetcher, URLFetcherResponse


def _make_fetcher_class():
    _, _, _, URLFetcher, URLFetcherResponse = _weasyprint()

    class TemplateFetcher(URLFetcher):
        """Serves files inside `root` and the given in-memory resources; refuses the rest."""

        def __init__(self, root: Path, cache: dict, memory: dict[str, bytes] | None = None, log: list | None = None):
            super().__init__(allowed_protocols=("file", "lms-qr"), allow_redirects=False, timeout=1)
            self.root = root
            self.cache = cache
            self.memory = memory or {}
            self.log = log

        def fetch(self, url, headers=None):
            if self.log is not None:
                self.log.append(url)
            if url in self.memory:
                return URLFetcherResponse(url, body=self.memory[url], headers={"Content-Type": "image/png"})
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise FetchDenied(f"URL refused by the certificate renderer: {url[:80]}")
            path = Path(url2pathname(parts.path)).resolve()
            if not path.is_relative_to(self.root) or not path.is_file():
                raise FetchDenied(f"file outside the certificate template folder refused: {url[:80]}")
            body = self.cache.get(path)
            if body is None:
                body = self.cache[path] = path.read_bytes()
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

    return TemplateFetcher


class CertificateRenderer:
    """One per process and template folder; thread-safe by a lock (WeasyPrint's font
    configuration is not meant to be shared by threads, and rendering is CPU-bound anyway)."""

    def __init__(self, template_dir: Path):
        CSS, _, FontConfiguration, _, _ = _weasyprint()
        self.root = template_dir.resolve()
        self.lock = threading.Lock()
        self._files: dict[Path, bytes] = {}
        self._fetcher_class = _make_fetcher_class()
        self.env = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader(str(self.root)), autoescape=True, undefined=StrictUndefined, auto_reload=False
        )
        self.template = self.env.get_template(TEMPLATE)
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(
            filename=str(self.root / STYLESHEET), font_config=self.font_config, url_fetcher=self._fetcher(), base_url=self._base()
        )

    def _base(self) -> str:
        return self.root.as_uri() + "/"

    def _fetcher(self, memory: dict[str, bytes] | None = None, log: list | None = None):
        return self._fetcher_class(self.root, self._files, memory, log)

    def html(self, text: CertificateText) -> str:
        return self.template.render(**text.context())

    def render_pdf(self, text: CertificateText, fetch_log: list | None = None) -> bytes:
        _, HTML, _, _, _ = _weasyprint()
        markup = self.html(text)
        memory = {QR_URL: qr_png(text.qr_text)}
        with self.lock:
            document = HTML(string=markup, base_url=self._base(), url_fetcher=self._fetcher(memory, fetch_log))
            return document.write_pdf(stylesheets=[self.stylesheet], font_config=self.font_config)

    def preview_png(self, pdf: bytes, width: int = 720) -> bytes:
        """The first page as a small PNG (pdfium), for the learner's dashboard."""
        import pypdfium2 as pdfium

        with self.lock:
            document = pdfium.PdfDocument(pdf)
            try:
                page = document[0]
                scale = width / page.get_width()
                image = page.render(scale=scale).to_pil()
                page.close()
            finally:
                document.close()
        out = io.BytesIO()
        image.convert("RGB").quantize(colors=96).save(out, format="PNG", optimize=True)
        return out.getvalue()

    def warm_up(self) -> None:
        """One throwaway render: the first one pays for Pango, HarfBuzz and font subsetting set-up."""
        sample = CertificateText(
            code="2345-6789-ABCD", name="Nguyễn Thị Ánh Tuyết", course_title="Khóa học mẫu", certificate_title="Chứng nhận mẫu",
            issuer="Đơn vị cấp", issued_on=date(2025, 7, 1), verify_url="https://example.invalid/verify/2345-6789-ABCD",
            qr_text="https://example.invalid/verify/2345-6789-ABCD#" + "A" * 300,
        )  # fmt: skip
        self.render_pdf(sample)


_renderers: dict[Path, CertificateRenderer] = {}
_renderers_lock = threading.Lock()


def get_renderer(template_dir: Path) -> CertificateRenderer:
    with _renderers_lock:
        renderer = _renderers.get(template_dir)
        if renderer is None:
            renderer = _renderers[template_dir] = CertificateRenderer(template_dir)
        return renderer


def prepare_worker() -> None:
    """Before a process renders many PDFs (the RQ worker, the benchmark's single-core measure):
    one warm-up render (Pango, HarfBuzz, the fonts and the stylesheet) and the signing key, so
    the first job pays for nothing the others do not. (gc.freeze after the warm-up was tried:
    no difference in processor time per render, so it is not done.)"""
    from lms.certificates import keyring, settings

    get_renderer(settings.template_dir()).warm_up()
    keyring.private_key()


def merge_pdfs(parts: Iterable[Path | bytes]) -> bytes:
    """One print-ready PDF with every page of the given PDFs, in order.

    PDFium copies the pages (about ten times faster than pypdf for a batch of 100); it has no
    call to write the document information dictionary, so the batch carries no title."""
    import pypdfium2 as pdfium

    merged = pdfium.PdfDocument.new()
    try:
        for part in parts:
            source = pdfium.PdfDocument(part)
            try:
                merged.import_pages(source)
            finally:
                source.close()
        out = io.BytesIO()
        merged.save(out)
        return out.getvalue()
    finally:
        merged.close()
