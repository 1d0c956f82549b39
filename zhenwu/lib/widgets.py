"""The date and date-time inputs every form uses.

HTML date inputs take ISO values whatever the page's language; the format is pinned here as well
as first in the project's zh-hans input formats (zhenwu/formats/zh_Hans/formats.py, which explains
the choice), so a change of locale cannot empty the fields again.
"""

from django import forms
from django.utils import timezone

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format=format or ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """A datetime-local input showing the local (Asia/Shanghai) wall-clock time."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format=format or ISO_DATETIME_LOCAL)

    def format_value(self, value):
        # A bound field has already moved the value to local time; a widget rendered on its own
        # (or an initial in UTC) would otherwise show the UTC hour.
        if hasattr(value, "tzinfo") and timezone.is_aware(value):
            value = timezone.localtime(value)
        return super().format_value(value)
