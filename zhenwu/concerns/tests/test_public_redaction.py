"""Personal data masked in concern text before the public sees it."""

import pytest

from zhenwu.concerns.redaction import redact_text


@pytest.mark.parametrize(
    "text, names, expected",
    [
        ("我叫李四，电话13800138000", ("李四",), "我叫李*，电话138****8000"),
        ("联系138 0013 8000或+86-13800138000", (), "联系138****8000或138****8000"),
        ("座机0731-83123456", (), "座机073********56"),
        ("身份证号430181199001011234", (), "身份证号430181********1234"),
        ("身份证43018119900101123X。", (), "身份证430181********123X。"),
        ("欧阳春花反映，欧阳春花家门口", ("欧阳春花",), "欧***反映，欧***家门口"),
        ("订单号12345678901234567890不是电话", (), "订单号12345678901234567890不是电话"),
        ("2026年10月8日下午3点", (), "2026年10月8日下午3点"),
        ("李家的路", ("李",), "李家的路"),  # a one-character "name" would mask half the text
        ("", ("李四",), ""),
        # titles are cut at 30 characters: what the ellipsis cut off must not give a number away
        ("路不通，我叫王五 139000…", ("王五",), "路不通，我叫王* 139***…"),
        ("身份证4301811990…", (), "身份证430*******…"),
        ("我是欧阳春…", ("欧阳春花",), "我是欧**…"),
        ("1号楼…", (), "1号楼…"),
    ],
)
def test_personal_data_is_masked_and_other_text_is_left_alone(text, names, expected):
    assert redact_text(text, names=names) == expected


def test_none_is_an_empty_text():
    assert redact_text(None) == ""
