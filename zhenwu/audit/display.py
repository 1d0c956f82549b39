"""Logged values as people read them, on the page and in the export. Full ID and mobile numbers
that reached free text by mistake are masked here as well (masked by default, everywhere)."""

import json
import re

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from zhenwu.lib.masking import mask_id_number, mask_phone

_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def mask_numbers(text):
    text = _ID_RE.sub(lambda m: mask_id_number(m.group()), str(text))
    return _PHONE_RE.sub(lambda m: mask_phone(m.group()), text)


# Models that moved to another app: entries written before the move keep the old label (entries are
# hash-chained and never rewritten), which reads as the model it became.
MOVED_MODELS = {
    "concerns.ApiKey": "open311.ApiKey",
    "concerns.Open311Request": "open311.Open311Request",
    "concerns.ApiToken": "accounts.ApiToken",
    "concerns.WorkdayOverride": "workdays.WorkdayOverride",
}


def labels_of(label):
    """Every object type an entry about this model may carry: its label and its former ones."""
    current = MOVED_MODELS.get(label, label)
    return sorted({label, current, *(old for old, new in MOVED_MODELS.items() if new == current)})


def model_for(label):
    if not label or "." not in label:
        return None
    try:
        return apps.get_model(MOVED_MODELS.get(label, label))
    except (LookupError, ValueError):
        return None


def object_type_label(label):
    model = model_for(label)
    return str(model._meta.verbose_name) if model is not None else label


def display_value(value, field=None):
    """A logged value as text: choices by label, booleans as 是/否, lists joined, nothing as —."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and _DATETIME_RE.match(value):
        moment = parse_datetime(value)
        if moment is not None and timezone.is_aware(moment):
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
    if field is not None and getattr(field, "choices", None) and not isinstance(value, (list, dict)):
        value = dict(field.flatchoices).get(value, value)
    elif isinstance(value, list):
        value = "、".join(display_value(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return mask_numbers(value)


def change_rows(object_type, changes):
    """{field: [before, after]} as (field label, before, after) rows: field names become the
    model's verbose names and choice codes their labels when the object type is a model."""
    model = model_for(object_type)
    rows = []
    for name, pair in (changes or {}).items():
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        field = None
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
        label = str(field.verbose_name) if field is not None else name
        shown = (display_value(before, field), display_value(after, field))
        if shown != ("—", "—"):  # None became "": nothing a reader needs
            rows.append((label, *shown))
    return rows
