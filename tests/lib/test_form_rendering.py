"""Forms draw their fields one way: the project form renderer (FORM_RENDERER) with
includes/form.html and includes/field.html."""

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import get_default_renderer

from zhenwu.lib.form_rendering import FormRenderer

TEMPLATES = Path(__file__).resolve().parents[2] / "zhenwu" / "templates"


class SampleForm(forms.Form):
    name = forms.CharField(label="姓名", help_text="填写真实姓名")
    agree = forms.BooleanField(label="同意", required=False)
    way = forms.ChoiceField(label="方式", choices=[("a", "入户"), ("b", "电话")], widget=forms.RadioSelect)
    key = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        raise ValidationError("整张表有误")


def test_the_project_renderer_is_the_default():
    assert isinstance(get_default_renderer(), FormRenderer)


def test_a_form_draws_label_help_and_errors_in_field_blocks_and_choices_in_a_fieldset():
    form = SampleForm({"name": "", "way": "a"})
    form.is_valid()

    html = str(form)

    assert '<div class="msg msg-error" role="alert"><p class="u-m-0">整张表有误</p></div>' in html
    assert '<div class="field has-error">' in html and '<label for="id_name">姓名:</label>' in html
    assert '<small class="muted" id="id_name_helptext">填写真实姓名</small>' in html
    assert '<ul class="errorlist" id="id_name_error"><li>该字段是必填项。</li></ul>' in html
    assert '<label class="check"><input type="checkbox" name="agree" id="id_agree"> 同意</label>' in html
    assert '<fieldset class="choices" id="id_way">' in html and "<legend>方式</legend>" in html
    assert html.count('class="field') == 3  # the hidden field is drawn bare, after the others
    assert html.rstrip().endswith('<input type="hidden" name="key" id="id_key">')


def test_one_field_draws_the_same_block_alone():
    form = SampleForm()

    assert str(form["name"].as_field_group()) in str(form)


def test_no_template_keeps_its_own_field_include():
    leftovers = [p.name for p in TEMPLATES.rglob("*form_fields*.html")]
    including = [str(p) for p in TEMPLATES.rglob("*.html") if "form_fields.html" in p.read_text()]

    assert leftovers == [] and including == []
