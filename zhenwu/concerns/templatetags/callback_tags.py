"""{{ concern|call_back_progress }}: the concern's call-back attempts and whether 联系不上 may be
recorded (zhenwu.concerns.callbacks), taken from the list view's batch when it set one;
{{ concern|redo_on_unsatisfied }}: whether 不满意 would reopen it."""

from django import template

from .. import callbacks
from ..services import reopens_on_unsatisfied

register = template.Library()


@register.filter
def call_back_progress(concern):
    progress = getattr(concern, "call_back_progress", None)
    return progress if progress is not None else callbacks.call_back_progress(concern)


@register.filter
def redo_on_unsatisfied(concern):
    """Whether 不满意 would send the concern back for 重办 (services.reopens_on_unsatisfied)."""
    return reopens_on_unsatisfied(concern)
