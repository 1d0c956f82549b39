"""The text every router model sees, without numpy, scipy or sklearn: web processes check and
prepare text here, and only the process that trains or scores imports zhenwu.routing.classifier."""

import re

from zhenwu.lib.segmenter import TOKEN

MAX_SUBJECT = 100
MAX_BODY = 800

_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_MASK = re.compile(r"\*{2,}|x{3,}|X{3,}")
# A token worth a feature (the segmenter's rule): CJK, letters or digits.
_TOKEN = TOKEN


def normalise(text, limit):
    """Lower-case, digits folded to 0, masks (***) dropped, whitespace collapsed, truncated."""
    text = (text or "")[: limit * 2]
    text = _MASK.sub(" ", text)
    text = _DIGITS.sub("0", text.lower())
    return _SPACE.sub(" ", text).strip()[:limit]


def prepare(subject, body):
    """(subject, body) → the truncated, normalised pair every model sees."""
    return normalise(subject, MAX_SUBJECT), normalise(body, MAX_BODY)


def has_content(subject, body):
    """Whether there is anything to classify (a letter, digit or CJK character)."""
    return bool(_TOKEN.search(f"{subject or ''}{body or ''}"[: MAX_SUBJECT + MAX_BODY + 1000]))
