"""The order places are listed in: the tree's order, siblings by the numbers in their names.

The area tree keeps siblings in name order (treebeard's node_order_by), which for Chinese ordinals
is character order: 第一, 第三, 第二. Every list or picker of areas sorts through `tree_order`, which
reads 第一…第十二…第一百 (and Arabic digits) as numbers, so 第二网格 comes before 第十网格.
"""

import re

from django.forms.models import ModelChoiceIterator

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
# Arabic digits anywhere; Chinese numerals only where they count (第三网格, 十二组, 二片), not in a
# name such as 九龙村 or 三合村.
_CN = "[零〇一二两三四五六七八九十百千]+"
_NUMBER = re.compile(rf"[0-9]+|(?<=第){_CN}|{_CN}(?=组|网格|片|队|社|号)")


def chinese_number(text):
    """The value of a Chinese numeral such as 十二, 二十, 一百零五 or 一二 (digit by digit)."""
    if not any(ch in _UNITS for ch in text):
        value = 0
        for ch in text:
            value = value * 10 + _DIGITS[ch]
        return value
    total = digit = 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (digit or 1) * _UNITS[ch]
            digit = 0
    return total + digit


def numeral_key(name):
    """A sort key for a name that compares its numbers (Chinese or Arabic) by value."""
    key, pos = [], 0
    for match in _NUMBER.finditer(name):
        if match.start() > pos:
            key.append((0, name[pos:match.start()]))
        text = match.group(0)
        key.append((1, int(text) if text.isdigit() else chinese_number(text)))
        pos = match.end()
    if pos < len(name):
        key.append((0, name[pos:]))
    return tuple(key)


def tree_order(areas):
    """The areas as a list in tree order (each place before the places under it), siblings by
    `numeral_key` of their names. An ancestor absent from the list keeps its place in the tree."""
    areas = list(areas)
    by_path = {a.path: a for a in areas}

    def key(area):
        step = area.steplen
        parts = []
        for end in range(step, len(area.path) + 1, step):
            node = by_path.get(area.path[:end])
            parts.append(numeral_key(node.name) + ((0, node.path),) if node else ((0, area.path[end - step:end]),))
        return tuple(parts)

    return sorted(areas, key=key)


class TreeOrderIterator(ModelChoiceIterator):
    """Choices of a ModelChoiceField over areas, in `tree_order`."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for area in tree_order(self.queryset):
            yield self.choice(area)

    def __len__(self):
        return self.queryset.count() + (1 if self.field.empty_label is not None else 0)
