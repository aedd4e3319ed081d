"""Vietnamese mobile numbers: accept what people type, store E.164."""

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
    """+84912345678 -> 0912 345 678, the way people write it."""
    if not e164.startswith("+84") or len(e164) != 12:
        return e164
    national = "0" + e164[3:]
    return f"{national[:4]} {national[4:7]} {national[7:]}"
