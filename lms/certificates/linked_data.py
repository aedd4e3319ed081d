"""RDF Dataset Canonicalization (RDFC-1.0) of credentials, offline.

PyLD turns the JSON-LD document into an RDF dataset with the contexts shipped in
static/contexts/ (a static document loader: any other URL is refused, nothing is fetched) and
canonicalizes it with URDNA2015, the algorithm W3C standardised as RDFC-1.0. The two differ
only in how N-Quads escape control characters inside literals, so documents holding such
characters are refused before signing (no signed text ever needs them).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_FILES = {VC_V2: "credentials-v2.jsonld", OB_V3: "ob-v3p0-context-3.0.3.json"}
CONTEXT_DIR = Path(__file__).parent / "static" / "contexts"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ContextRefused(ValueError):
    """A document named a context that is not shipped with the app."""


@cache
def _context(url: str) -> dict:
    return json.loads((CONTEXT_DIR / _FILES[url]).read_text(encoding="utf-8"))


def document_loader(url: str, options: dict | None = None) -> dict:
    if url not in _FILES:
        raise jsonld.JsonLdError(f"context not shipped with the app: {url[:80]}", "jsonld.LoadDocumentError")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": _context(url)}


def _check_literals(value: Any) -> None:
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError("control characters are not signed")
    elif isinstance(value, dict):
        for inner in value.values():
            _check_literals(inner)
    elif isinstance(value, list):
        for inner in value:
            _check_literals(inner)
    elif isinstance(value, float):
        raise ValueError("floats are not signed")


def canonize(document: dict) -> str:
    """The canonical N-Quads of the document (RDFC-1.0)."""
    _check_literals(document)
    try:
        return jsonld.normalize(
            document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader}
        )
    except jsonld.JsonLdError as error:
        raise ContextRefused(str(error)) from error
