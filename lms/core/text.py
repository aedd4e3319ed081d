"""Vietnamese text helpers: NFC normalisation and accent-free search keys."""

from __future__ import annotations

import re
import unicodedata

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES_RE = re.compile(r"\s+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def has_control_chars(text: str) -> bool:
    return bool(_CONTROL_RE.search(text))


def clean_line(text: str) -> str:
    """NFC, trimmed, inner whitespace collapsed to single spaces."""
    return _SPACES_RE.sub(" ", nfc(text)).strip()


def fold(text: str) -> str:
    """Lower-case ASCII form for accent-free search: 'Hà Nội' -> 'ha noi'."""
    text = nfc(text).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES_RE.sub(" ", stripped.lower()).strip()
