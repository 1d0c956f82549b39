"""Resident identity numbers (GB 11643-1999). Telephone numbers: zhenwu.lib.phone."""

import datetime
import re

from django.utils import timezone

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    """Raised with a Chinese reason."""


def normalize_id_number(value):
    return str(value or "").strip().upper().replace(" ", "")


def check_digit(first17):
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate_id_number(value, *, today=None):
    """Return the normalised number and the birth date, or raise InvalidIdNumber. A birth date after
    `today` (default: today in Beijing, TIME_ZONE) is impossible."""
    value = normalize_id_number(value)
    if not _ID_RE.match(value):
        raise InvalidIdNumber("身份证号应为18位（前17位为数字，末位为数字或X）")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"身份证号中的出生日期 {value[6:14]} 不存在") from None
    today = today or timezone.localdate()
    if birth > today or birth.year < 1900:
        raise InvalidIdNumber(f"身份证号中的出生日期 {birth:%Y-%m-%d} 不可能")
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdNumber("身份证号校验位错误")
    return value, birth


def gender_from_id_number(value):
    return "male" if int(value[16]) % 2 else "female"


