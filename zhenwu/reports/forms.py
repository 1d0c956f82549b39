"""Forms of the briefing pages: the highlights (本月要闻, a formset: edit, reorder, remove, add),
the issue's recipients, and an area's briefing settings. The rules (lengths, required values, the
row a message names) are the services'; the forms only read the input."""

from django import forms
from django.forms import formset_factory

from . import briefing_services as services


class HighlightForm(forms.Form):
    headline = forms.CharField(label="标题", required=False, max_length=services.MAX_HEADLINE,
                               widget=forms.TextInput(attrs={"maxlength": services.MAX_HEADLINE}))
    text = forms.CharField(label="内容", required=False, max_length=services.MAX_HIGHLIGHT_TEXT,
                           widget=forms.Textarea(attrs={"rows": 4, "maxlength": services.MAX_HIGHLIGHT_TEXT}))
    origin = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def is_blank_new_row(self):
        data = self.cleaned_data
        return data.get("origin") is None and not (data.get("headline") or "").strip() \
            and not (data.get("text") or "").strip()


HighlightFormSet = formset_factory(HighlightForm, extra=1, can_delete=True, can_order=True,
                                   max_num=services.MAX_HIGHLIGHTS, validate_max=True)


def highlight_formset(briefing, data=None):
    initial = [{"headline": h.get("headline", ""), "text": h.get("text", ""), "origin": index}
               for index, h in enumerate(briefing.highlights or [])]
    formset = HighlightFormSet(data, initial=initial, prefix="hl")
    for form in formset.forms:
        form.fields["ORDER"].label = "顺序"
        form.fields["DELETE"].label = "删除此条"
        index = form.initial.get("origin")
        form.highlight = (briefing.highlights or [])[index] if index is not None else None
    return formset


def highlight_rows(formset):
    """The kept highlights in their chosen order, for briefing_services.edit_highlights."""
    rows = []
    for form in formset.ordered_forms:
        if form.cleaned_data.get("DELETE") or form.is_blank_new_row():
            continue
        rows.append({"headline": form.cleaned_data.get("headline", ""), "text": form.cleaned_data.get("text", ""),
                     "origin": form.cleaned_data.get("origin")})
    return rows


class IssueForm(forms.Form):
    report_to = forms.CharField(label="报送", required=False, max_length=services.MAX_RECIPIENTS,
                                widget=forms.Textarea(attrs={"rows": 2}),
                                help_text="多个单位用逗号或顿号隔开，如：镇党委、政府领导，浏阳市委组织部")
    copy_to = forms.CharField(label="抄送", required=False, max_length=services.MAX_RECIPIENTS,
                              widget=forms.Textarea(attrs={"rows": 2}))
    copies = forms.IntegerField(label="印数（份）", min_value=1, max_value=services.MAX_COPIES,
                                error_messages={"required": "请填写印数", "invalid": "印数须为整数",
                                                "min_value": f"印数须在1到{services.MAX_COPIES}份之间",
                                                "max_value": f"印数须在1到{services.MAX_COPIES}份之间"})


class BriefingSettingsForm(IssueForm):
    masthead = forms.CharField(label="报头", max_length=30, help_text="印在首页上方的红色大字，如“工作简报”“主题教育简报”",
                               error_messages={"required": "请填写报头"})
    issuing_unit = forms.CharField(label="编发单位", max_length=60, help_text="如：中共官桥镇委员会办公室、官桥镇党政办",
                                   error_messages={"required": "请填写编发单位"})

    field_order = ["masthead", "issuing_unit", "report_to", "copy_to", "copies"]
