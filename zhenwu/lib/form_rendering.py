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
