"""Vietnamese text helpers: NFC normalisation, accent-free search keys and Vietnamese order."""

from __future__ import annotations

import functools
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
_MAX_WEIGHT = 0xFFFF


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


@functools.lru_cache(maxsize=8192)
def vi_sort_key(text: str) -> bytes:
    """A key whose byte order is Vietnamese order: "Cà Mau" < "Cao Bằng" < "Dak Lak" < "Đà Nẵng".

    Three levels, compared one after the other over the whole text: the letters (two bytes
    each), then the tone of each letter, then its case; the NFC text itself breaks the last
    ties, so different strings never compare equal. Used as the "vi" collation on SQLite
    (lms.core.db) and in Python; PostgreSQL's "vi-x-icu" gives the same order."""
    primary = bytearray()
    secondary = bytearray()
    tertiary = bytearray()
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
        primary += _primary(letter[:1] or base).to_bytes(2, "big")
        secondary.append(1 + tone)
        tertiary.append(2 if base != base.lower() else 1)
    # A zero byte ends each level, so a shorter text sorts before a longer one that starts like it.
    return bytes(primary) + b"\0\0" + bytes(secondary) + b"\0" + bytes(tertiary) + b"\0" + nfc(text).encode()
