import pytest

from lms.accounts.phone import display_phone, normalize_phone
from lms.core.errors import ValidationFailed

GOOD = [
    ("0912345678", "+84912345678"),
    ("0912 345 678", "+84912345678"),
    ("0912.345.678", "+84912345678"),
    ("+84 912 345 678", "+84912345678"),
    ("+84912345678", "+84912345678"),
    ("84912345678", "+84912345678"),
    ("0084 912 345 678", "+84912345678"),
    ("(091) 234-5678", "+84912345678"),
    ("0321234567", "+84321234567"),
    ("0561234567", "+84561234567"),
    ("0701234567", "+84701234567"),
    ("0861234567", "+84861234567"),
    ("0991234567", "+84991234567"),
    ("0900 000 000", "+84900000000"),
]

BAD = [
    ("", "Bạn hãy nhập số điện thoại di động."),
    ("024 3825 1234", "Đây là số máy bàn"),
    ("02838251234", "Đây là số máy bàn"),
    ("091234567", "10 chữ số"),
    ("09123456789", "10 chữ số"),
    ("+84 91234567", "10 chữ số"),
    ("0112345678", "không phải đầu số di động"),
    ("0301234567", "không phải đầu số di động"),
    ("0951234567", "không phải đầu số di động"),
    ("09l2345678", "chỉ gồm chữ số"),
    ("+1 415 555 0100", "chỉ gồm chữ số"),
]


@pytest.mark.parametrize(("raw", "expected"), GOOD)
def test_good_numbers_are_stored_as_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(("raw", "message"), BAD)
def test_bad_numbers_are_rejected_with_a_vietnamese_message(raw, message, app):
    with app.test_request_context(), pytest.raises(ValidationFailed) as info:
        normalize_phone(raw)
    assert message in info.value.message
    assert info.value.field == "phone"


def test_display_phone_groups_digits_the_vietnamese_way():
    assert display_phone("+84912345678") == "0912 345 678"
