"""{{ concern|call_back_progress }}: the concern's call-back attempts and whether 联系不上 may be
recorded (zhenwu.concerns.callbacks), taken from the list view's batch when it set one."""

from django import template

from .. import callbacks

register = template.Library()


@register.filter
def call_back_progress(concern):
    progress = getattr(concern, "call_back_progress", None)
    return progress if progress is not None else callbacks.call_back_progress(concern)
