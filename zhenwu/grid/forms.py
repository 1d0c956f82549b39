"""Forms of the grid pages: they shape input and limit choices to the user's scope; the rules are
checked in services.py, whose errors are attached back to the fields (zhenwu.lib.form_errors)."""

import uuid

from django import forms
from django.utils import timezone

from zhenwu.concerns.models import Category
from zhenwu.lib.pickers import SearchMultiPicker
from zhenwu.lib.widgets import DateInput
from zhenwu.org.forms import AreaChoiceField, resident_label
from zhenwu.org.models import Member, Resident

from .models import ExemplarKind, MemberRoleKind, VisitWay
from .services import MAX_LINKS_PER_MEMBER, MAX_MEETING_PHOTOS, MIN_LINKS_PER_MEMBER, RaisedConcern


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotosField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultiplePhotosField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class MemberChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ActiveCategories(forms.ModelChoiceField):
    """The active categories; a form narrows them to its town's (offer_town_categories)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Category.objects.filter(is_active=True), **kwargs)

    def label_from_instance(self, obj):
        return obj.name


def offer_town_categories(form, town_id):
    """Narrow every category field of `form` to those a concern of `town_id` may take: the
    county's and the town's own (None: all, for an account above a town)."""
    for field in form.fields.values():
        if isinstance(field, ActiveCategories):
            field.queryset = field.queryset.for_town(town_id)


class VisitForm(forms.Form):
    """The phone form. `idempotency_key` comes from the page (drafts.js keeps it with the draft)."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    visited_on = forms.DateField(label="走访日期", widget=DateInput)
    way = forms.ChoiceField(label="走访方式", choices=VisitWay.choices, widget=forms.RadioSelect, initial=VisitWay.HOME)
    member = MemberChoice(label="走访党员", queryset=Member.objects.none(), required=False, empty_label="（不选）")
    notes = forms.CharField(
        label="走访情况", required=False, widget=forms.Textarea(attrs={"rows": 4, "placeholder": "家中情况、群众所说的事"})
    )
    photo = forms.FileField(label="照片（可选）", required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    raise_concern = forms.BooleanField(label="群众反映了诉求，登记为民情诉求", required=False)
    concern_category = ActiveCategories(label="诉求类别", required=False, empty_label="请选择")
    concern_text = forms.CharField(
        label="诉求内容", required=False, widget=forms.Textarea(attrs={"rows": 3, "placeholder": "群众反映的问题"})
    )

    def __init__(self, *args, members=None, town_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        offer_town_categories(self, town_id)
        if members is None:
            del self.fields["member"]
        else:
            self.fields["member"].queryset = members
        self.initial.setdefault("visited_on", timezone.localdate())


class LinkForm(forms.Form):
    member = MemberChoice(label="联户党员", queryset=Member.objects.none(), empty_label="请选择")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class DistributeForm(forms.Form):
    members = MemberChoices(label="参与联户的党员", queryset=Member.objects.none(), widget=forms.CheckboxSelectMultiple)
    per_member = forms.IntegerField(
        label="每名党员联系户数", min_value=MIN_LINKS_PER_MEMBER, max_value=MAX_LINKS_PER_MEMBER, initial=8
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members


class RolesForm(forms.Form):
    """六员 roles and 六表率 commitments of one member, each commitment with its pledge."""

    roles = forms.MultipleChoiceField(
        label="六员", choices=MemberRoleKind.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    exemplars = forms.MultipleChoiceField(
        label="六表率", choices=ExemplarKind.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in ExemplarKind.choices:
            self.fields[f"pledge_{value}"] = forms.CharField(
                label=f"{label}承诺", max_length=200, required=False,
                widget=forms.TextInput(attrs={"placeholder": "承诺内容（可不填）"}),
            )

    def exemplar_rows(self):
        """[(value, label, checked, pledge bound field)] for the template."""
        chosen = {str(v) for v in (self["exemplars"].value() or [])}
        return [(value, label, value in chosen, self[f"pledge_{value}"]) for value, label in ExemplarKind.choices]

    def pledges(self):
        return {value: self.cleaned_data.get(f"pledge_{value}", "") for value in ExemplarKind.values}


class ExemplarKindChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_kind_display()


class ExemplarRecordForm(forms.Form):
    exemplar = ExemplarKindChoice(label="表率", queryset=None, empty_label="请选择")
    done_on = forms.DateField(label="日期", widget=DateInput)
    description = forms.CharField(
        label="事迹", max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "如：带头拆除自家违建，劝导邻里简办喜事"}),
    )
    photo = forms.FileField(label="照片（可选）", required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))

    def __init__(self, *args, exemplars, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exemplar"].queryset = exemplars
        self.initial.setdefault("done_on", timezone.localdate())


class CadenceRuleForm(forms.Form):
    interval_days = forms.IntegerField(label="一般联系户走访间隔（天）", min_value=1, max_value=366)
    elderly_interval_days = forms.IntegerField(label="独居老人户走访间隔（天）", min_value=1, max_value=366)


class MeetingForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    title = forms.CharField(label="主题", max_length=80, initial="民情茶室")
    held_on = forms.DateField(label="日期", widget=DateInput)
    place = forms.CharField(label="地点", max_length=100)
    host = forms.CharField(label="主持人", max_length=50)
    members = MemberChoices(
        label="参加党员", queryset=Member.objects.none(), widget=forms.CheckboxSelectMultiple, required=False
    )
    residents = forms.ModelMultipleChoiceField(
        label="参加群众（已登记居民）", queryset=Resident.objects.none(), required=False,
        widget=SearchMultiPicker(label=resident_label),
        help_text="输入姓名搜索，勾选即加入；取消勾选即移出",
    )
    guest_count = forms.IntegerField(label="其他参加群众（人）", min_value=0, initial=0)
    minutes = forms.CharField(label="纪要", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    photos = MultiplePhotosField(label=f"照片（最多{MAX_MEETING_PHOTOS}张）", required=False)

    def __init__(self, *args, members, residents, search_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members
        self.fields["residents"].queryset = residents
        self.fields["residents"].widget.search_url = search_url
        self.initial.setdefault("held_on", timezone.localdate())


MEETING_CONCERN_ROWS = 3


class MeetingConcernsForm(forms.Form):
    """Up to MEETING_CONCERN_ROWS concerns at once; a row with no text is skipped."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, grids, town_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, MEETING_CONCERN_ROWS + 1):
            self.fields[f"text_{i}"] = forms.CharField(
                label=f"第{i}条 诉求内容", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"category_{i}"] = ActiveCategories(label=f"第{i}条 类别", required=False, empty_label="请选择")
            self.fields[f"grid_{i}"] = AreaChoiceField(
                label=f"第{i}条 所在网格", queryset=grids, required=False, empty_label="（本村）"
            )
            self.fields[f"reporter_name_{i}"] = forms.CharField(label=f"第{i}条 反映人", required=False, max_length=50)
            self.fields[f"reporter_phone_{i}"] = forms.CharField(
                label=f"第{i}条 联系电话", required=False, max_length=20
            )
        offer_town_categories(self, town_id)

    def rows(self):
        """[(index, cleaned row)] of the rows that have text."""
        out = []
        for i in range(1, MEETING_CONCERN_ROWS + 1):
            text = (self.cleaned_data.get(f"text_{i}") or "").strip()
            if text:
                out.append((i, {
                    "text": text,
                    "category": self.cleaned_data.get(f"category_{i}"),
                    "area": self.cleaned_data.get(f"grid_{i}"),
                    "reporter_name": self.cleaned_data.get(f"reporter_name_{i}") or "",
                    "reporter_phone": self.cleaned_data.get(f"reporter_phone_{i}") or "",
                }))
        return out

    def raised(self):
        """The rows with text, as the service takes them."""
        return [RaisedConcern(number=i, **row) for i, row in self.rows()]

    def row_groups(self):
        return [
            [self[f"{name}_{i}"] for name in ("text", "category", "grid", "reporter_name", "reporter_phone")]
            for i in range(1, MEETING_CONCERN_ROWS + 1)
        ]


def meeting_forms(choices, data=None, files=None, *, search_url="", town_id=None):
    """The meeting form and its optional concern rows, filled from one POST (the page's or a
    phone's queued record). `choices`: access.meeting_form_choices(area). The rows' key is the
    meeting form's idempotency key (a fresh one when there is none). The rows offer the
    categories of `town_id` (the intake refuses another town's own categories in any case)."""
    members, residents, grids = choices
    meeting = MeetingForm(data, files, members=members, residents=residents, search_url=search_url)
    rows_data = None
    if data is not None:
        rows_data = data.copy()
        rows_data["key"] = (data.get("idempotency_key") or "").strip()[:64] or uuid.uuid4().hex
    return meeting, MeetingConcernsForm(rows_data, grids=grids, town_id=town_id)


def meeting_arguments(meeting, rows):
    """What record_meeting_with_concerns takes from a valid meeting form and its rows: the
    meeting's fields, the concerns raised, and the rows' idempotency key."""
    fields = {k: v for k, v in meeting.cleaned_data.items() if k != "idempotency_key"}
    return {**fields, "concerns": rows.raised(), "idempotency_key": rows.cleaned_data["key"]}
