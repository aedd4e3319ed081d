"""Vietnamese text helpers: NFC normalisation, accent-free search keys and Vietnamese order."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator

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


# --- Vietnamese collation -----------------------------------------------------------------
#
# The order of the Vietnamese alphabet, as in CLDR's Vietnamese tailoring (the one ICU's
# "vi-x-icu" collation applies on PostgreSQL): ă and â after a, đ after d, ê after e, ô and ơ
# after o, ư after u are letters of their own (a primary difference), while the five tones
# only break ties between otherwise equal words (a secondary difference, in the order
# huyền, hỏi, ngã, sắc, nặng), and case last (lower before upper).
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
# Marks that make a new letter of the vowel they sit on (NFD): breve, circumflex, horn.
_LETTER_MARKS = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
# Tone marks: grave (huyền), hook above (hỏi), tilde (ngã), acute (sắc), dot below (nặng).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_OTHER_MARK = 6  # any other accent (ü, ç): after the tones, still only a tie-breaker
# Spaces and punctuation before digits, digits before letters, as in the CLDR root order.
_PUNCTUATION = "_-,;:!?.'‘’\"“”()[]{}@*/\\&#%`^+<=>|~$"
_SPACE, _PUNCT_BASE, _DIGIT_BASE, _LETTER_BASE, _OTHER_BASE = 1, 2, 64, 80, 256
# Below the UTF-16 surrogates, so a weight is one UTF-16 unit (see vi_sort_key).
_MAX_WEIGHT = 0xD7FF


def _primary(letter: str) -> int:
    if letter.isspace():
        return _SPACE
    position = _ALPHABET.find(letter)
    if position >= 0:
        return _LETTER_BASE + position
    if "0" <= letter <= "9":
        return _DIGIT_BASE + ord(letter) - ord("0")
    position = _PUNCTUATION.find(letter)
    if position >= 0:
        return _PUNCT_BASE + position
    return min(_MAX_WEIGHT, _OTHER_BASE + ord(letter))


def _elements(text: str) -> Iterator[tuple[int, int, int]]:
    """(letter weight, tone, case) of each letter of the text, from its NFD form."""
    decomposed = unicodedata.normalize("NFD", text)
    i = 0
    while i < len(decomposed):
        base = decomposed[i]
        i += 1
        marks = []
        while i < len(decomposed) and unicodedata.combining(decomposed[i]):
            marks.append(decomposed[i])
            i += 1
        letter = base.lower()
        tone = 0
        for mark in marks:
            if (letter, mark) in _LETTER_MARKS:
                letter = _LETTER_MARKS[(letter, mark)]
            else:
                tone = max(tone, _TONES.get(mark, _OTHER_MARK))
        yield _primary(letter[:1] or base), 1 + tone, 2 if base != base.lower() else 1


def _tables() -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Per precomposed character of Latin scripts (all of Vietnamese), its three weights as
    one character each, for str.translate: the weights of a whole name in three C calls."""
    primary: dict[int, str] = {}
    secondary: dict[int, str] = {}
    tertiary: dict[int, str] = {}
    for block in (range(0x20, 0x7F), range(0xA0, 0x250), range(0x1E00, 0x1F00), range(0x2018, 0x201E)):
        for code in block:
            char = chr(code)
            if nfc(char) != char:
                continue
            elements = list(_elements(char))
            if len(elements) != 1:
                continue
            weight, tone, case = elements[0]
            primary[code], secondary[code], tertiary[code] = chr(weight), chr(tone), chr(case)
    return primary, secondary, tertiary


_PRIMARY_TABLE, _SECONDARY_TABLE, _TERTIARY_TABLE = _tables()
_TABLE_CHARS = frozenset(map(chr, _PRIMARY_TABLE))


@functools.lru_cache(maxsize=8192)
def vi_sort_key(text: str) -> bytes:
    """A key whose byte order is Vietnamese order: "Cà Mau" < "Cao Bằng" < "Dak Lak" < "Đà Nẵng".

    Three levels, compared one after the other over the whole text: the letters (two bytes
    each), then the tone of each letter, then its case; the NFC text itself breaks the last
    ties, so different strings never compare equal. Used as the "vi" collation on SQLite
    (lms.core.db) and in Python; PostgreSQL's "vi-x-icu" gives the same order."""
    text = nfc(text)
    if _TABLE_CHARS.issuperset(text):
        # Weights below 0xD800 encode in UTF-16-BE as two bytes in numeric order.
        primary = text.translate(_PRIMARY_TABLE).encode("utf-16-be")
        secondary = text.translate(_SECONDARY_TABLE).encode("latin-1")
        tertiary = text.translate(_TERTIARY_TABLE).encode("latin-1")
    else:
        elements = list(_elements(text))
        primary = b"".join(weight.to_bytes(2, "big") for weight, _, _ in elements)
        secondary = bytes(tone for _, tone, _ in elements)
        tertiary = bytes(case for _, _, case in elements)
    # A zero byte ends each level, so a shorter text sorts before a longer one that starts like it.
    return primary + b"\0\0" + secondary + b"\0" + tertiary + b"\0" + text.encode()
