"""Telephone numbers: the one normaliser, for every form, import, API and look-up.

A mainland mobile number becomes its 11 digits; a landline (区号 + 号码: 0, a 2–3 digit area code,
7–8 digits) becomes its digits, so "0571-8765 4321", "(0571)87654321" and "057187654321" are one
number (and one blind index). Spaces, hyphens and parentheses (half or full width) are dropped,
as are a leading +86/0086 and the ".0" Excel adds to a number typed into a numeric cell.
"""

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")

MOBILE_ONLY_MESSAGE = "手机号应为11位数字且以1开头"
MESSAGE = "联系电话格式不正确，请填写11位手机号或带区号的固定电话"


class InvalidPhone(ValueError):
    """Raised with a Chinese reason."""


def normalise_phone(value, *, mobile_only=False):
    """The number's digits ("" for no number), or InvalidPhone. `mobile_only` refuses landlines."""
    text = str(value or "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    text = _SEPARATORS.sub("", text)
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if not text:
        return ""
    if _MOBILE.match(text) or (not mobile_only and _LANDLINE.match(text)):
        return text
    raise InvalidPhone(MOBILE_ONLY_MESSAGE if mobile_only else MESSAGE)
