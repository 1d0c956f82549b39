"""Slots: places in a lower app's templates that apps above it fill, without the lower app naming them.

A slot is a Django signal with a name. The lower app declares it in its own ``signals.py``::

    concern_detail_cards = declare_slot("concerns.concern_detail_cards")

its template marks the place (the ``slots`` template library, registered in settings)::

    {% load slots %}
    {% slot "concerns.concern_detail_cards" concern=concern %}

and a higher app connects a receiver in its ``AppConfig.ready()``::

    concern_detail_cards.connect(suggestion_card, dispatch_uid="zhenwu.routing.suggestion_card")

The tag sends the signal with the template ``context`` and the tag's keyword arguments; each
receiver returns an HTML fragment (or None) and the tag writes them in the order the receivers were
connected. ``render_fragment`` renders a receiver's template as an inclusion tag would, and
``once_per_render`` lets a slot inside a loop (a table row) load its data once per table.

This module names no app (docs/architecture.md, "Events").
"""

from django.dispatch import Signal

_SLOTS: dict[str, Signal] = {}


def declare_slot(name):
    """The slot named `name` (a signal), created on first declaration. Names are "app.place"."""
    if name not in _SLOTS:
        _SLOTS[name] = Signal()
    return _SLOTS[name]


def get_slot(name):
    """The declared slot named `name`; KeyError if no app declared it (a mistyped name)."""
    return _SLOTS[name]


def fill_slot(name, context, **kwargs):
    """The fragments the receivers of slot `name` return for this `context` and `kwargs`."""
    responses = get_slot(name).send(sender=name, context=context, **kwargs)
    return [fragment for _receiver, fragment in responses if fragment is not None]


def render_fragment(context, template_name, values):
    """`template_name` rendered with `values` only (and the page's CSRF token), as an inclusion tag
    renders its template: autoescaping and localisation as on the page, no context processors."""
    template = context.template.engine.get_template(template_name)
    new_context = context.new(values)
    csrf_token = context.get("csrf_token")
    if csrf_token is not None:
        new_context["csrf_token"] = csrf_token
    return template.render(new_context)


def once_per_render(context, key, load):
    """`load()`, called once per rendering of the template the slot is in (a table's rows share it),
    and kept under `key` in that template's render state."""
    state = context.render_context
    if key not in state:
        state[key] = load()
    return state[key]
