"""The project's form renderer (settings.FORM_RENDERER): Django's own, with one template of its own
put first, a select widget that writes its options in place. Django's select includes a template
for every option (and that one another for the option's attributes): the resident's form lists a
town's villages and grids, and its place field alone rendered some 140 includes per page, most
of the form's CPU. The HTML is the same as Django's."""

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import cached_property


class FormRenderer(DjangoTemplates):
    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [
                    Path(__file__).parent / "form_templates",
                    Path(django.forms.__file__).parent / self.backend.app_dirname,
                ],
                "NAME": "zhenwu_forms",
                "OPTIONS": {},
            }
        )
