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


_TOWN_LETTERS = str.maketrans("0123456789", "abcdefghij")


def town_token(town_key):
    """The word that stands for a town in a shared model's text: letters only (prepare() folds
    digits to 0, which would make every town the same word), unlike any word of a concern."""
    return "zwtown" + str(town_key).translate(_TOWN_LETTERS)


def with_town(pair, town_key):
    """A prepared (subject, body) with the town as a feature: its token leads the subject, so it
    is one word of the word and subject-word blocks. `town_key` None (no town) leaves it as is."""
    if town_key is None:
        return pair
    subject, body = pair
    return f"{town_token(town_key)} {subject}".strip(), body
