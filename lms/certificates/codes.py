"""Certificate codes: 11 random characters and one check character, shown as 7KQ2-M9XD-3FTA.

The alphabet has 31 symbols (a prime, so the weighted check catches every single typo and
every swap of two neighbours) and leaves out 0/O, 1/I/L, which are easy to misread. Eleven
random symbols carry 11 × log2(31) ≈ 54.5 bits: guessing a valid code is hopeless, and the
verification pages are rate-limited on top.
"""

from __future__ import annotations

import re
import secrets

from flask_babel import gettext as _
from flask_babel import ngettext

from lms.core.errors import ValidationFailed

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
RANDOM_LENGTH = 11
CODE_LENGTH = RANDOM_LENGTH + 1
_SEPARATORS = re.compile(r"[\s\-_.·–—]+")
_CODE_IN_URL = re.compile(r"/verify/([A-Za-z0-9\-]{12,20})")


class MalformedCode(ValidationFailed):
    """A typed code that cannot be a certificate code; the message says why, in the visitor's
    language. A view that does not catch it answers 400 with that message (like any DomainError)."""

    def __init__(self, message: str, field: str | None = "code"):
        super().__init__(message, field=field)


def check_character(body: str) -> str:
    total = sum((position + 1) * _VALUE[ch] for position, ch in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def format_code(code: str) -> str:
    return f"{code[0:4]}-{code[4:8]}-{code[8:12]}"


def normalize_code(raw: str) -> str:
    """The 12-character code from what a person typed or pasted, or MalformedCode.

    Accepts lower case, spaces and hyphens anywhere, and a whole verification URL.
    """
    text = (raw or "").strip()
    match = _CODE_IN_URL.search(text)
    if match:
        text = match.group(1)
    code = _SEPARATORS.sub("", text).upper()
    if not code:
        raise MalformedCode(_("Bạn hãy nhập mã chứng nhận (12 ký tự, ví dụ 7KQ2-M9XD-3FTA)."))
    wrong = sorted({ch for ch in code if ch not in _VALUE})
    if wrong:
        if set(wrong) <= set("01OIL"):
            raise MalformedCode(_("Mã chứng nhận không dùng số 0, số 1, chữ O, chữ I hay chữ L. Bạn hãy đọc lại từng ký tự."))
        raise MalformedCode(_("Mã chứng nhận chỉ gồm chữ cái in hoa và chữ số (ví dụ 7KQ2-M9XD-3FTA)."))
    if len(code) != CODE_LENGTH:
        raise MalformedCode(
            ngettext(
                "Mã chứng nhận có đúng 12 ký tự; mã vừa nhập có %(num)s ký tự.",
                "Mã chứng nhận có đúng 12 ký tự; mã vừa nhập có %(num)s ký tự.",
                len(code),
            )
        )
    if check_character(code[:-1]) != code[-1]:
        raise MalformedCode(_("Mã này có ký tự bị gõ sai. Bạn hãy so lại từng ký tự với mã in trên giấy chứng nhận."))
    return code
