"""Vietnamese mobile numbers: accept what people type, store E.164. Login IDs for people
registered at the door without a phone ("HS-123-456-789"), kept in the same column."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from lms.core.errors import ValidationFailed

# Mobile prefixes in use since the 2018 renumbering (3 digits after the 0).
MOBILE_PREFIXES = frozenset(
    ["32", "33", "34", "35", "36", "37", "38", "39"]
    + ["52", "55", "56", "58", "59"]
    + ["70", "76", "77", "78", "79"]
    + ["81", "82", "83", "84", "85", "86", "87", "88", "89"]
    + ["90", "91", "92", "93", "94", "96", "97", "98", "99"]
)
_SEPARATORS_RE = re.compile(r"[\s.\-()]")


def normalize_phone(raw: str) -> str:
    """Return the number as +84XXXXXXXXX or raise ValidationFailed with a Vietnamese message."""
    text = _SEPARATORS_RE.sub("", raw or "")
    if not text:
        raise ValidationFailed(_("Bạn hãy nhập số điện thoại di động."), field="phone")
    if text.startswith("+84"):
        national = "0" + text[3:]
    elif text.startswith("0084"):
        national = "0" + text[4:]
    elif text.startswith("84") and len(text) == 11:
        national = "0" + text[2:]
    else:
        national = text
    if not national.isdigit():
        raise ValidationFailed(
            _("Số điện thoại chỉ gồm chữ số (có thể có dấu cách, dấu chấm hoặc +84 ở đầu)."),
            field="phone",
        )
    if national.startswith("02"):
        raise ValidationFailed(
            _("Đây là số máy bàn. Bạn hãy nhập số di động (10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09)."),
            field="phone",
        )
    if len(national) != 10 or not national.startswith("0"):
        raise ValidationFailed(
            _("Số di động Việt Nam có 10 chữ số, ví dụ 0912 345 678. Bạn hãy kiểm tra lại."),
            field="phone",
        )
    if national[1:3] not in MOBILE_PREFIXES:
        raise ValidationFailed(
            _("Đầu số này không phải đầu số di động Việt Nam. Bạn hãy kiểm tra lại."),
            field="phone",
        )
    return "+84" + national[1:]


def display_phone(e164: str) -> str:
    """+84912345678 -> 0912 345 678, the way people write it (a login ID as HS-123-456-789)."""
    if is_login_id(e164):
        digits = e164[len(LOGIN_ID_PREFIX) :]
        return f"{LOGIN_ID_PREFIX}-{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if not e164.startswith("+84") or len(e164) != 12:
        return e164
    national = "0" + e164[3:]
    return f"{national[:4]} {national[4:7]} {national[7:]}"


# A login ID stands where a phone number would: "HS" and 9 digits, the last a Luhn check digit
# (ISO/IEC 7812-1), so a misread digit or two swapped neighbours are caught before any look-up.
# Stored numbers start with "+84" and typed ones with a digit or "+", so an ID never meets a phone.
LOGIN_ID_PREFIX = "HS"
LOGIN_ID_DIGITS = 9
_LOGIN_ID_RE = re.compile(rf"^{LOGIN_ID_PREFIX}[0-9]{{{LOGIN_ID_DIGITS}}}$")


def luhn_digit(payload: str) -> str:
    """The check digit that makes payload + digit pass the Luhn test."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str(-total % 10)


def is_login_id(stored: str) -> bool:
    return bool(_LOGIN_ID_RE.match(stored or "")) and luhn_digit(stored[2:-1]) == stored[-1]


def normalize_login(raw: str) -> str:
    """What a person types to log in, as stored: a login ID ("hs 123 456 789" -> "HS123456789")
    or a mobile number (normalize_phone). Raises ValidationFailed with a Vietnamese message."""
    text = _SEPARATORS_RE.sub("", raw or "")
    if text[: len(LOGIN_ID_PREFIX)].upper() != LOGIN_ID_PREFIX:
        return normalize_phone(raw)
    candidate = LOGIN_ID_PREFIX + text[len(LOGIN_ID_PREFIX) :]
    if not is_login_id(candidate):
        raise ValidationFailed(
            _("Mã đăng nhập gồm chữ HS và 9 chữ số, ví dụ HS-123-456-789 (in trên thẻ). Bạn hãy kiểm tra lại."),
            field="phone",
        )
    return candidate
