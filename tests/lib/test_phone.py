"""The one phone normaliser: mobiles to 11 digits, landlines to digits, separators and the
country code dropped, the same number always in the same form."""

import pytest

from zhenwu.lib.phone import InvalidPhone, normalise_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        (" 138 0013 8000 ", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("13800138000.0", "13800138000"),  # a number typed into a numeric Excel cell
        ("0731-83456789", "073183456789"),
        ("073183456789", "073183456789"),
        ("(0731) 8345 6789", "073183456789"),
        ("（010）1234567", "0101234567"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_number_is_stored_in_one_form_however_it_was_typed(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["1380013800", "23800138000", "12800138000", "0731-8345", "电话", "138001380001"])
def test_a_malformed_number_is_refused_with_a_chinese_reason(typed):
    with pytest.raises(InvalidPhone, match="联系电话格式不正确"):
        normalise_phone(typed)


def test_where_only_a_mobile_will_do_a_landline_is_refused():
    assert normalise_phone("138-0013-8000", mobile_only=True) == "13800138000"
    with pytest.raises(InvalidPhone, match="手机号应为11位数字且以1开头"):
        normalise_phone("0731-83456789", mobile_only=True)


def test_no_other_module_normalises_phone_numbers_itself():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "zhenwu"
    offenders = [
        str(p) for p in root.rglob("*.py")
        if "tests" not in p.parts and p.name != "phone.py"
        and any(f"def {name}(" in p.read_text() for name in ("normalise_phone", "normalize_phone", "validate_phone"))
    ]
    assert offenders == []
