"""The ``slots`` template library (registered in settings' TEMPLATES libraries): ``{% slot %}``.

    {% load slots %}
    {% slot "concerns.concern_detail_cards" concern=concern %}

writes what the apps above fill the named slot with (zhenwu.core.slots).
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from . import slots

register = template.Library()


@register.simple_tag(takes_context=True)
def slot(context, name, **kwargs):
    try:
        fragments = slots.fill_slot(name, context, **kwargs)
    except KeyError:
        raise template.TemplateSyntaxError(f"no app declares the slot {name!r} (zhenwu.core.slots)") from None
    return mark_safe("".join(conditional_escape(fragment) for fragment in fragments))
