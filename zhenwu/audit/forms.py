import datetime

from django import forms
from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from zhenwu.lib.widgets import DateInput

from .display import labels_of
from .models import AuditAction


def object_type_choices():
    """Our models by Chinese name; entries of any other type can still be found by typing it."""
    choices = [
        (model._meta.label, f"{model._meta.verbose_name}（{model._meta.label}）")
        for model in apps.get_models()
        if model.__module__.startswith("zhenwu.")
    ]
    return [("", "全部")] + sorted(choices, key=lambda c: c[0])


class EntryFilterForm(forms.Form):
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput)
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput)
    actor = forms.CharField(label="操作人账号", required=False, max_length=150)
    action = forms.ChoiceField(
        label="操作", required=False, choices=[("", "全部")] + list(AuditAction.choices)
    )
    object_type = forms.CharField(label="对象类型", required=False, max_length=60)
    object_id = forms.CharField(label="对象编号", required=False, max_length=40)
    q = forms.CharField(label="对象或说明包含", required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].widget.attrs["list"] = "audit-object-types"
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages["invalid"] = "请输入有效日期，例如 2026-01-31"

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "截止日期不能早于起始日期")
        return data

    def filter(self, queryset):
        """The entries that match the cleaned filters (call after is_valid)."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        if data.get("date_from"):
            start = datetime.datetime.combine(data["date_from"], datetime.time.min, tzinfo=tz)
            queryset = queryset.filter(at__gte=start)
        if data.get("date_to"):
            end = datetime.datetime.combine(
                data["date_to"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
            )
            queryset = queryset.filter(at__lt=end)
        if data.get("actor"):
            queryset = queryset.filter(actor_label=data["actor"].strip())
        if data.get("action"):
            queryset = queryset.filter(action=data["action"])
        if data.get("object_type"):
            queryset = queryset.filter(object_type__in=labels_of(data["object_type"].strip()))
        if data.get("object_id"):
            queryset = queryset.filter(object_id=data["object_id"].strip())
        if data.get("q"):
            text = data["q"].strip()
            queryset = queryset.filter(Q(object_repr__icontains=text) | Q(note__icontains=text))
        return queryset

    def summary(self):
        """The filters in force, in words, for the export's own audit entry."""
        parts = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                if name == "action":
                    value = AuditAction(value).label
                parts.append(f"{field.label}={value}")
        return "；".join(parts) or "全部"
