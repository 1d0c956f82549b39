"""The project's select template writes its options in place; the widgets' HTML is Django's own."""

from django import forms
from django.forms.renderers import DjangoTemplates

from zhenwu.lib.form_rendering import FormRenderer


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "请选择"), ("1", "第1村"), ("2", "<第2村> & \"引号\"")])
    grouped = forms.ChoiceField(
        choices=[("", "请选择"), ("第1村", [("11", "第1网格"), ("12", "第2网格")]), ("第2村", [("21", "第1网格")])],
        widget=forms.Select(attrs={"hx-get": "/x/", "data-flag": True, "disabled": False}),
    )
    many = forms.MultipleChoiceField(choices=[("a", "甲"), ("b", "乙"), ("c", "丙")])
    radio = forms.ChoiceField(choices=[("y", "是"), ("n", "否")], widget=forms.RadioSelect)


def test_the_widgets_html_is_djangos_for_selects_and_others():
    for data in (None, {"plain": "2", "grouped": "12", "many": ["a", "c"], "radio": "n"}):
        ours = Sample(data, renderer=FormRenderer())
        django = Sample(data, renderer=DjangoTemplates())
        for name in Sample.base_fields:
            assert str(ours[name]) == str(django[name]), name
    assert 'selected>第2网格</option>' in str(Sample({"grouped": "12"}, renderer=FormRenderer())["grouped"])
