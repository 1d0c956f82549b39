"""zh-hans formats with ISO first among the *input* formats.

Django renders a date or date-time widget with the first of the active locale's *_INPUT_FORMATS.
For zh-hans that is "%Y/%m/%d", but an HTML <input type="date"> only accepts the ISO value
"2026-12-04" (and type="datetime-local" only "2026-12-04T09:30"): Chromium silently drops
anything else and shows an empty field, so users retype dates or hit the browser's English
"Please fill out this field".

Why a format module rather than a `format=` on each widget: it fixes every date widget in the
project at once (our forms, filter forms built from plain forms.DateInput, the Django admin),
including forms written later by someone who does not know the trap. The shared widgets in
zhenwu.lib.widgets pin the same ISO formats as well, so our forms stay correct even if a locale
without this module is ever activated.

Parsing keeps every format zh-hans accepted before (slashes, 年月日), after the ISO ones the
browser submits. Display formats (DATE_FORMAT etc.) are Django's own, unchanged.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403  (display formats unchanged)
from django.conf.locale.zh_Hans.formats import DATETIME_INPUT_FORMATS as _DJANGO_DATETIME_INPUT_FORMATS

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2016-09-05': what <input type="date"> shows and submits
    "%Y/%m/%d",  # '2016/09/05'
    "%Y年%m月%d日",  # '2016年9月5日' (Django's own entry for this uses %n/%j, which never match)
]

DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",  # '2016-09-05T20:45': what <input type="datetime-local"> shows and submits
    "%Y-%m-%dT%H:%M:%S",  # '2016-09-05T20:45:29' (the browser adds seconds when step < 60)
    *_DJANGO_DATETIME_INPUT_FORMATS,
]
