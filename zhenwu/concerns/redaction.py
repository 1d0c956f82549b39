"""Personal data taken out of concern text before it is shown to the public.

A concern's text is published on the board as the resident wrote it, except for what identifies a
person: the reporter's own name wherever it appears (residents often sign their report), mobile
and landline numbers, and ID numbers. Names of other people cannot be found reliably in free text;
dispatchers read a concern before accepting it, and only accepted concerns are public.
"""

import re

from zhenwu.lib.masking import mask_id_number, mask_name, mask_phone

# An ID number (18 characters, the last may be X) or a mobile number, not inside a longer number.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
# Titles are cut from the text at 30 characters ("…"): a number cut there escapes the patterns
# above, yet its first digits plus the masked number in the full text would give it away.
_CUT_NUMBER_RE = re.compile(r"(?<![\d*])(\d{3})(\d+)(?=…)")


def _mask_mobile(match):
    digits = re.sub(r"\D", "", match.group(0))[-11:]
    return mask_phone(digits)


def redact_text(text, *, names=()):
    """`text` with ID numbers, phone numbers and each of `names` (two or more characters) masked:
    430181********1234, 138****8000, 李*."""
    if not text:
        return text or ""
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _MOBILE_RE.sub(_mask_mobile, text)
    text = _LANDLINE_RE.sub(lambda m: mask_phone(m.group(0)), text)
    text = _CUT_NUMBER_RE.sub(lambda m: m.group(1) + "*" * len(m.group(2)), text)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
        # A name cut short by the title's ellipsis: 欧阳春… still names 欧阳春花.
        for size in range(len(name) - 1, 1, -1):
            text = text.replace(f"{name[:size]}…", f"{mask_name(name[:size])}…")
    return text


def redact_concern_text(concern, text):
    """`text` (the concern's own text, title or a public reply) redacted for the public, with the
    reporter's name masked. Reads `concern.reporter_name`: load it with the row, not deferred."""
    return redact_text(text, names=(concern.reporter_name,))
