"""Forms of the staff pages. They only shape input: lengths, required texts and the allowed
states are checked by the services, whose ConcernError (with the field it names) is put back on
the form, so the message the user reads is the one the service wrote."""

import uuid

from django import forms

from zhenwu.lib.widgets import DateInput
from zhenwu.org.ordering import TreeOrderIterator

from . import access, services
from .forms_public import PhotosField
from .models import VERDICT_RESULTS, AttemptChannel, Channel, Outcome, PhotoKind, Status, Urgency

_NO_CHOICE = {"invalid_choice": "选项不存在，请重新选择"}


class NamedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class AreaChoiceField(forms.ModelChoiceField):
    """Villages with their grids indented under them."""

    iterator = TreeOrderIterator

    def label_from_instance(self, obj):
        return ("　└ " if obj.level == "grid" else "") + obj.name


class StaffForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _text(label, *, rows=3, placeholder=""):
    attrs = {"rows": rows}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.CharField(label=label, required=False, strip=False, widget=forms.Textarea(attrs=attrs))


class RegisterForm(StaffForm):
    """登记: a call or a walk-in written down by staff on the resident's behalf."""

    channel = forms.ChoiceField(
        label="来源渠道",
        choices=[(Channel.HOTLINE, Channel.HOTLINE.label), (Channel.WALK_IN, Channel.WALK_IN.label)],
        initial=Channel.HOTLINE,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择来源渠道", **_NO_CHOICE},
    )
    text = _text("诉求内容", rows=5, placeholder="记录居民反映的问题：什么事、在哪里、多久了")
    title = forms.CharField(label="标题", required=False, help_text="可不填，默认取诉求内容的第一句")
    category = NamedChoiceField(
        label="诉求类别", queryset=None, empty_label="请选择类别",
        error_messages={"required": "请选择诉求类别", **_NO_CHOICE},
    )
    area = AreaChoiceField(
        label="所在村(社区)或网格", queryset=None, empty_label="请选择",
        error_messages={"required": "请选择所在村(社区)或网格", **_NO_CHOICE},
    )
    address = forms.CharField(label="具体地点", required=False)
    urgency = forms.ChoiceField(
        label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL, error_messages=_NO_CHOICE
    )
    reporter_name = forms.CharField(label="诉求人姓名", required=False, help_text="可不填；不会公开")
    reporter_phone = forms.CharField(
        label="诉求人电话",
        required=False,
        help_text="可不填；用于回访和短信通知，不会公开",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    photos = PhotosField(label="照片（最多9张）")
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, categories, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["area"].queryset = areas
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4().hex)

    def submit_arguments(self):
        """submit_concern's arguments from the valid form (the page and the phone's queue)."""
        data = self.cleaned_data
        names = ("text", "title", "category", "area", "channel", "urgency", "address", "reporter_name",
                 "reporter_phone", "photos")
        return {**{name: data[name] for name in names}, "idempotency_key": data["submission_key"] or None}


def register_form(user, data=None, files=None):
    """The registration form for this staff user: their town's categories, the villages and grids
    under their area (for the page and for a report a phone queued without signal)."""
    return RegisterForm(data, files, categories=services.active_categories(services.user_town_id(user)),
                        areas=access.register_areas(user))


class AcceptForm(StaffForm):
    public_text = _text("答复诉求人", placeholder="可不填，默认：您的诉求已受理，我们将尽快转交承办部门办理。")


class DeclineForm(StaffForm):
    reason = _text("不予受理的理由")


class DispatchForm(StaffForm):
    department = NamedChoiceField(
        label="承办部门", queryset=None, required=False, empty_label="按类别默认部门",
        error_messages=_NO_CHOICE,
    )
    note = _text("派单说明（内部）", rows=2)

    def __init__(self, *args, departments, county=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        if county:  # the county centre names a county department; no category default applies
            self.fields["department"].label = "县直承办部门"
            self.fields["department"].empty_label = "请选择县直部门"


class BulkDispatchForm(StaffForm):
    ids = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": "请先勾选要派单的诉求"})
    department = NamedChoiceField(
        label="承办部门", queryset=None, required=False, empty_label="各按类别默认部门",
        error_messages=_NO_CHOICE,
    )

    def __init__(self, *args, departments, ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["ids"].choices = [(i, i) for i in ids]
        self.fields["ids"].error_messages["invalid_choice"] = "所选诉求已不在待派单列表中，请刷新后重试"


class RecategoriseForm(StaffForm):
    category = NamedChoiceField(
        label="新类别", queryset=None, empty_label="请选择类别",
        error_messages={"required": "请选择新类别", **_NO_CHOICE},
    )
    reason = _text("调整理由", rows=2)

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories


class DuplicateForm(StaffForm):
    original = forms.CharField(
        label="原诉求编号", required=False, help_text="如 GQ-2026-000123；本件将并入原诉求办理"
    )
    note = _text("合并说明", rows=2)

    def clean_original(self):
        # A similar concern picked from the list (radio "original_pick") stands in for typing.
        value = (self.cleaned_data.get("original") or self.data.get("original_pick") or "").strip().upper()
        if not value:
            raise forms.ValidationError("请填写原诉求编号")
        return value


class ReasonForm(StaffForm):
    """退单 and 重办: a reason is all they need."""

    reason = _text("理由")


class ReferUpForm(StaffForm):
    """上报: the town hands a concern up to the county centre, saying why."""

    reason = _text("上报理由", placeholder="如：涉及跨镇或县直部门职责，本镇无法办理")


class HandDownForm(StaffForm):
    """下派: the county centre hands a concern back down to its town, saying why."""

    reason = _text("下派理由", placeholder="如：属本镇职责，请本镇派单办理")


class UpdateForm(StaffForm):
    text = _text("内容", rows=4)
    public = forms.TypedChoiceField(
        label="可见范围",
        choices=[("1", "公开进展（诉求人和公示栏可见）"), ("0", "内部备注（仅工作人员可见）")],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择可见范围", **_NO_CHOICE},
    )


class ResolveForm(StaffForm):
    outcome = forms.ChoiceField(
        label="办理结果",
        choices=[("", "请选择")] + list(Outcome.choices),
        required=False,
        error_messages=_NO_CHOICE,
        help_text="如实选择：未解决的不要选“已解决”",
    )
    text = _text("办结答复", rows=4)
    before_photos = PhotosField(label="办理前照片（选填）")
    after_photos = PhotosField(
        label="办理后照片（选填）",
        help_text="照片默认不公开；办结后可逐张选择在公示栏展示（办理前后对比），含人脸、车牌、门牌的请勿公开",
    )


def resolution_photos(data):
    """A ResolveForm's photos as the (kind, photo) pairs services.resolve_concern takes."""
    return [(PhotoKind.BEFORE, p) for p in data.get("before_photos") or []] + [
        (PhotoKind.AFTER, p) for p in data.get("after_photos") or []
    ]


class CallBackForm(StaffForm):
    solved = forms.TypedChoiceField(
        label="问题是否已解决",
        choices=[("1", "已解决"), ("0", "未解决")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择问题是否已解决", **_NO_CHOICE},
    )
    result = forms.ChoiceField(
        label="满意度",
        choices=[(r.value, r.label) for r in VERDICT_RESULTS],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择满意度", **_NO_CHOICE},
    )
    note = _text("回访记录（选择“不满意”时必填，写明原因）", rows=2)


class CallAttemptForm(StaffForm):
    """回访 that did not reach the resident (callbacks.record_call_back_attempt)."""

    channel = forms.ChoiceField(
        label="回访方式", choices=AttemptChannel.choices, initial=AttemptChannel.PHONE, error_messages=_NO_CHOICE
    )
    note = forms.CharField(
        label="情况", required=False, max_length=200, help_text="如：无人接听、关机、停机、上门无人",
        error_messages={"max_length": "情况不能超过200字"},
    )


class UnreachableForm(StaffForm):
    """联系不上 (callbacks.record_unreachable): the reason is required when no phone was left."""

    reason = _text("说明（未留联系电话时必填）", rows=2)


class SuperviseForm(StaffForm):
    note = _text("督办意见", rows=2)


class ProjectForm(StaffForm):
    project = forms.ModelChoiceField(
        label="并入已有项目", queryset=None, required=False, empty_label="新立项目",
        error_messages=_NO_CHOICE,
    )
    name = forms.CharField(label="新项目名称", required=False)
    description = _text("项目概况", rows=2)

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects


class PhotoForm(StaffForm):
    photos = PhotosField(label="补充照片")
    kind = forms.ChoiceField(
        label="照片类型", choices=PhotoKind.choices, required=False, error_messages=_NO_CHOICE,
        help_text="办理前、办理后照片由承办部门上传",
    )

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [(k.value, k.label) for k in kinds]
        if len(self.fields["kind"].choices) == 1:
            del self.fields["kind"]  # nothing to choose: the resident's kind

    def clean_kind(self):
        return self.cleaned_data.get("kind") or PhotoKind.REPORTED

    def clean_photos(self):
        photos = self.cleaned_data.get("photos") or []
        if not photos:
            raise forms.ValidationError("请选择要上传的照片")
        return photos


class StageForm(StaffForm):
    planned_start = forms.DateField(
        label="计划开始", required=False, widget=DateInput, error_messages={"invalid": "计划开始日期格式不正确"}
    )
    planned_end = forms.DateField(
        label="计划完成", required=False, widget=DateInput, error_messages={"invalid": "计划完成日期格式不正确"}
    )
    progress = forms.IntegerField(
        label="本阶段进度(%)",
        required=False,
        min_value=0,
        max_value=100,
        error_messages={
            "invalid": "进度须为0到100之间的整数",
            "min_value": "进度须在0到100之间",
            "max_value": "进度须在0到100之间",
        },
    )
    note = _text("说明", rows=2)


class AdvanceForm(StaffForm):
    on_date = forms.DateField(
        label="本阶段完成日期", required=False, widget=DateInput,
        error_messages={"invalid": "完成日期格式不正确"}, help_text="不填则为今天",
    )
    note = _text("说明", rows=2)


class DocumentForm(StaffForm):
    title = forms.CharField(label="附件名称", required=False)
    file = forms.FileField(label="文件", error_messages={"required": "请选择要上传的文件", "empty": "文件是空的"})
    is_public = forms.BooleanField(label="在公示栏公开", required=False, initial=True)


STATUS_FILTER_CHOICES = [("", "全部"), ("open", "未办结（全部）")] + list(Status.choices)


class ConcernFilterForm(StaffForm):
    """The concern list's filters; a bad value is reported and ignored, never a 500."""

    q = forms.CharField(label="搜索", required=False, max_length=50)
    status = forms.ChoiceField(label="状态", choices=STATUS_FILTER_CHOICES, required=False, error_messages=_NO_CHOICE)
    category = NamedChoiceField(label="类别", queryset=None, required=False, empty_label="全部", error_messages=_NO_CHOICE)
    department = NamedChoiceField(
        label="承办部门", queryset=None, required=False, empty_label="全部", error_messages=_NO_CHOICE
    )
    village = NamedChoiceField(
        label="村(社区)", queryset=None, required=False, empty_label="全部", error_messages=_NO_CHOICE
    )
    channel = forms.ChoiceField(
        label="来源", choices=[("", "全部")] + list(Channel.choices), required=False, error_messages=_NO_CHOICE
    )
    overdue = forms.BooleanField(label="仅看超期", required=False)
    supervised = forms.BooleanField(label="仅看督办", required=False)
    date_from = forms.DateField(
        label="登记日期从", required=False, widget=DateInput, error_messages={"invalid": "起始日期格式不正确"}
    )
    date_to = forms.DateField(
        label="至", required=False, widget=DateInput, error_messages={"invalid": "截止日期格式不正确"}
    )

    def __init__(self, *args, categories, departments, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["department"].queryset = departments
        self.fields["village"].queryset = villages

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "截止日期不能早于起始日期")
        return data
