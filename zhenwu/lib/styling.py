"""Layout values that depend on data, as classes (the Content-Security-Policy allows no style
attribute): a bar's width in whole percent (`w-pct-0` … `w-pct-100`) and a tree row's indent
(`indent-0` … `indent-8`). The classes are defined in static/css/app.css.

Templates use them as filters: `{% load styling %}<span class="{{ value|pct_class }}">`.
"""

from django import template

register = template.Library()

MAX_INDENT = 8


def pct_class(value):
    """The bar class for `value` percent, rounded and clamped to 0–100 (no value: 0)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    if number != number:  # NaN
        number = 0.0
    return f"w-pct-{max(0, min(100, round(number)))}"


def indent_class(level):
    """The indent class for a tree row `level` deep (one step of 1em each, at most MAX_INDENT)."""
    try:
        depth = int(level)
    except (TypeError, ValueError):
        depth = 0
    return f"indent-{max(0, min(MAX_INDENT, depth))}"


register.filter("pct_class", pct_class)
register.filter("indent_class", indent_class)
