"""The one way a form's fields are drawn: a form renderer whose templates are the project's.

`{{ form }}` renders includes/form.html (its non-field errors, every visible field, then the
hidden ones) and `{{ form.some_field.as_field_group }}` renders includes/field.html (label,
widget, help text and errors in a `.field` block; choice lists as a fieldset of checkable
labels). Widgets are looked up through the project's TEMPLATES (TemplatesSetting), so
'django.forms' is an installed app for Django's own widget templates.
"""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    form_template_name = "includes/form.html"
    field_template_name = "includes/field.html"


# --- a select's options, written in Python ------------------------------------------------------
# The resident's form lists a town's villages and grids (a county's form: a town's, up to a few
# hundred); drawn option by option through the template engine they were most of the form's
# rendering time. templates/django/forms/widgets/select.html calls this tag instead; it writes
# exactly what Django's select_option.html and attrs.html write, escaped the same way.

from django import template  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.utils.html import conditional_escape, escape  # noqa: E402
from django.utils.safestring import mark_safe  # noqa: E402

register = template.Library()

OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs):
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"')
    return "".join(out)


def _option(option):
    if option.get("template_name", OPTION_TEMPLATE) != OPTION_TEMPLATE:
        return render_to_string(option["template_name"], {"widget": option})
    return (
        f'<option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
        f'{conditional_escape(option["label"])}</option>\n'  # select_option.html ends with a newline
    )


@register.simple_tag
def select_options(optgroups):
    """The <option>s (in their <optgroup>s) of a Select widget's `optgroups`."""
    parts = []
    for group_name, group_choices, _index in optgroups:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(f"\n  {_option(option)}" for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped
