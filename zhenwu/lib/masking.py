"""Masking of personal numbers for screens, exports and APIs (PIPL: masked by default)."""

import re


def mask_phone(value):
    """138****8000 for an 11-digit mobile; other numbers keep their first 3 and last 2 characters."""
    if not value:
        return ""
    value = str(value)
    if len(value) == 11:
        return f"{value[:3]}****{value[-4:]}"
    if len(value) <= 4:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 5)}{value[-2:]}"


def mask_id_number(value):
    """430181********1234: region code kept, birth date and sequence hidden, last 4 kept."""
    if not value:
        return ""
    value = str(value)
    if len(value) == 18:
        return f"{value[:6]}********{value[-4:]}"
    if len(value) <= 4:
        return "*" * len(value)
    return f"{value[:2]}{'*' * (len(value) - 4)}{value[-2:]}"


def mask_name(value):
    """张** — for the rare place a name must be hinted at without being shown."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


# Numbers inside free text (a concern's text, an update, a note): an ID number (18 characters, the
# last may be X) or a mobile or landline number, not inside a longer number.
_ID_RE = r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"
_MOBILE_RE = r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"
_LANDLINE_RE = r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"
_NUMBERS_RE = re.compile(f"(?P<id>{_ID_RE})|(?P<mobile>{_MOBILE_RE})|(?P<landline>{_LANDLINE_RE})")
# Titles are cut from the text at 30 characters ("…"): a number cut there escapes the patterns
# above, yet its first digits plus the masked number in the full text would give it away.
_CUT_NUMBER_RE = re.compile(r"(?<![\d*])(\d{3})(\d+)(?=…)")
_DIGITS = re.compile(r"\d{3}")


def _mask_match(match):
    if match.group("id"):
        return mask_id_number(match.group(0))
    if match.group("mobile"):
        return mask_phone(re.sub(r"\D", "", match.group(0))[-11:])
    return mask_phone(match.group(0))


def mask_numbers(text):
    """`text` with ID, mobile and landline numbers masked (430181********1234, 138****8000), and a
    number cut off by a title's ellipsis masked after its first three digits."""
    if not text or not _DIGITS.search(text):
        return text or ""
    text = _NUMBERS_RE.sub(_mask_match, text)
    if "…" in text:
        text = _CUT_NUMBER_RE.sub(lambda m: m.group(1) + "*" * len(m.group(2)), text)
    return text
