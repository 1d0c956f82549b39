"""zhenwu.core.slots and {% slot %}: a lower app's template marks a place, the apps above fill it
through the slot's signal, in the order they connected; plain strings are escaped, fragments marked
safe are not; a mistyped name is an error, not an empty place; once_per_render loads a table's data
once however many rows ask for it."""

import copy

import pytest
from django.template import Context, Template, TemplateSyntaxError, engines
from django.utils.html import format_html

from zhenwu.core.slots import declare_slot, fill_slot, get_slot, once_per_render, render_fragment

SLOT = declare_slot("tests.sample")


@pytest.fixture
def receivers():
    """Connect receivers to the sample slot for one test only."""
    connected = []

    def connect(receiver):
        SLOT.connect(receiver, weak=False)
        connected.append(receiver)

    yield connect
    for receiver in connected:
        SLOT.disconnect(receiver)


def render(source, **values):
    return Template("{% load slots %}" + source).render(Context(values))


def test_a_slot_is_declared_once_by_name():
    assert declare_slot("tests.sample") is SLOT is get_slot("tests.sample")
    with pytest.raises(KeyError):
        get_slot("tests.never_declared")


def test_a_slot_with_no_receiver_writes_nothing():
    assert render('[{% slot "tests.sample" item=1 %}]') == "[]"


def test_receivers_fill_the_slot_in_order_with_the_tags_arguments(receivers):
    receivers(lambda sender, *, context, item, **kw: format_html("<b>{}</b>", item))
    receivers(lambda sender, *, context, item, **kw: None)  # nothing to add here
    receivers(lambda sender, *, context, item, **kw: f"<i>{context['who']}:{sender}</i>")
    assert render('{% slot "tests.sample" item=n %}', n=7, who="甲") == (
        "<b>7</b>&lt;i&gt;甲:tests.sample&lt;/i&gt;"
    )
    assert fill_slot("tests.sample", Context({"who": "乙"}), item=1)[1] == "<i>乙:tests.sample</i>"


def test_the_slots_name_may_come_from_a_variable(receivers):
    receivers(lambda sender, *, context, **kw: "filled")
    assert render("{% if name %}{% slot name %}{% endif %}", name="tests.sample") == "filled"
    assert render("{% if name %}{% slot name %}{% endif %}") == ""


def test_a_mistyped_slot_name_is_an_error():
    with pytest.raises(TemplateSyntaxError, match="tests.smaple"):
        render('{% slot "tests.smaple" %}')


def test_once_per_render_loads_once_for_all_the_rows_of_one_rendering(receivers):
    loads = []

    def row(sender, *, context, item, rows, **kw):
        found = once_per_render(context, ("squares", id(rows)), lambda: loads.append(1) or {r: r * r for r in rows})
        return str(found[item])

    receivers(row)
    source = "{% for r in rows %}{% slot 'tests.sample' item=r rows=rows %},{% endfor %}"
    assert render(source, rows=[1, 2, 3]) == "1,4,9,"
    assert len(loads) == 1
    assert render(source, rows=[4]) == "16,"  # a new rendering loads again
    assert len(loads) == 2


def test_render_fragment_renders_like_an_inclusion_tag(receivers, settings):
    """The fragment sees only its values and the page's CSRF token, escaped as on the page."""
    options = copy.deepcopy(settings.TEMPLATES[0])
    options["APP_DIRS"] = False
    options["OPTIONS"]["loaders"] = [
        ("django.template.loaders.locmem.Loader", {"fragment.html": "{{ name }} {{ csrf_token }}{{ secret }}"}),
    ]
    settings.TEMPLATES = [options]

    def fragment(sender, *, context, **kw):
        return render_fragment(context, "fragment.html", {"name": "<乙>"})

    receivers(fragment)
    page = engines["django"].from_string('{% load slots %}[{% slot "tests.sample" %}]')
    assert page.render({"csrf_token": "tok", "name": "甲", "secret": "x"}) == "[&lt;乙&gt; tok]"
