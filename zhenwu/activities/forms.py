"""Forms of the activity pages: they shape input and limit choices to the user's scope; the rules
are checked in services.py, whose errors are attached back to the fields."""

from django import forms

from zhenwu.lib.form_errors import attach_errors  # noqa: F401  (views import it from here)
from zhenwu.lib.pickers import SearchPicker
from zhenwu.lib.widgets import DateInput, DateTimeInput
from zhenwu.org.forms import resident_label
from zhenwu.org.models import Area, Department, Member, PartyOrg, Resident

from .models import ActivityKind, AwardLevel, ContestKind, Participation, ParticipationRole, RoleModelCategory


class TreeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "　" * max(obj.depth - 2, 0) + obj.name


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=ActivityKind.choices)
    title = forms.CharField(label="活动名称", max_length=120)
    starts_at = forms.DateTimeField(label="开始时间", widget=DateTimeInput)
    ends_at = forms.DateTimeField(label="结束时间", widget=DateTimeInput,
                                  required=False)
    place = forms.CharField(label="地点", max_length=100)
    area = TreeChoice(label="所属区域", queryset=Area.objects.none())
    department = forms.ModelChoiceField(label="组织部门", queryset=Department.objects.none(), required=False)
    party_org = TreeChoice(label="组织党组织", queryset=PartyOrg.objects.none(), required=False,
                           help_text="组织部门和组织党组织至少填写一项")
    campaign = forms.ModelChoiceField(label="服务的主题教育", queryset=None, required=False)
    summary = forms.CharField(label="活动情况", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    beneficiary_count = forms.IntegerField(label="受益人数（总数）", min_value=0, initial=0,
                                           help_text="服务的总人数，如“200余名老人”填写实数；逐一登记的受益人包含在内，"
                                                     "全部登记姓名的可填0")
    beneficiary_description = forms.CharField(label="受益对象", max_length=200, required=False,
                                              help_text="如：老人、农户、群众")

    def __init__(self, *args, areas, departments, party_orgs, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas.order_by("path")
        self.fields["department"].queryset = departments
        self.fields["party_org"].queryset = party_orgs.order_by("path")
        self.fields["campaign"].queryset = campaigns


class ParticipantForm(forms.Form):
    role = forms.ChoiceField(label="角色", choices=ParticipationRole.choices, initial=ParticipationRole.VOLUNTEER)
    member = forms.ModelChoiceField(label="党员", queryset=Member.objects.none(), required=False,
                                    widget=SearchPicker(label=lambda m: f"{m.name}（{m.party_org.name}）"))
    resident = forms.ModelChoiceField(label="居民", queryset=Resident.objects.none(), required=False,
                                      widget=SearchPicker(label=resident_label))
    person_name = forms.CharField(label="其他人员姓名", max_length=50, required=False,
                                  help_text="不在名册中的志愿者，填写姓名即可")
    hours = forms.DecimalField(label="服务时长(小时)", max_digits=4, decimal_places=1, required=False, min_value=0)

    def __init__(self, *args, members, residents, search_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["resident"].queryset = residents
        for name in ("member", "resident"):
            self.fields[name].widget.search_url = f"{search_url}?field={name}"


class VisitorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.person_label}（{obj.get_role_display()}）"


class BeneficiaryForm(forms.Form):
    """One named beneficiary: a resident from the search, or a name typed for someone not on the roll."""

    resident = forms.ModelChoiceField(label="受益人（从名册中搜索）", queryset=Resident.objects.none(), required=False,
                                      widget=SearchPicker(label=resident_label))
    person_name = forms.CharField(label="或：不在名册中的受益人姓名", max_length=50, required=False)
    note = forms.CharField(label="备注", max_length=100, required=False, help_text="如：外村五保老人、住址")
    visited_by = VisitorChoice(label="走访人", queryset=Participation.objects.none(), required=False,
                               empty_label="（未指定）", help_text="本活动的组织者或志愿者")
    gift = forms.CharField(label="慰问品/服务内容", max_length=200, required=False, help_text="如：牛奶一箱、长寿面")

    def __init__(self, *args, residents, visitors, search_url="", **kwargs):
        # Its own ids: the participant form on the same page has a `resident` picker too.
        kwargs.setdefault("auto_id", "beneficiary_%s")
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = residents
        self.fields["resident"].widget.search_url = f"{search_url}?field=resident"
        self.fields["visited_by"].queryset = visitors


class PhotoForm(forms.Form):
    photo = forms.FileField(label="照片")
    caption = forms.CharField(label="说明", max_length=200, required=False)


class ContestForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=ContestKind.choices)
    title = forms.CharField(label="名称", max_length=120)
    held_on = forms.DateField(label="举办日期", widget=DateInput)
    area = TreeChoice(label="所属区域", queryset=Area.objects.none())
    department = forms.ModelChoiceField(label="组织部门", queryset=Department.objects.none(), required=False)
    party_org = TreeChoice(label="组织党组织", queryset=PartyOrg.objects.none(), required=False)
    description = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    judges = forms.ModelMultipleChoiceField(label="评委", queryset=None, required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, areas, departments, party_orgs, judges, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas.order_by("path")
        self.fields["department"].queryset = departments
        self.fields["party_org"].queryset = party_orgs.order_by("path")
        self.fields["judges"].queryset = judges


class EntryForm(forms.Form):
    title = forms.CharField(label="作品名称", max_length=120)
    author_member = forms.ModelChoiceField(label="作者(党员)", queryset=Member.objects.none(), required=False)
    author_name = forms.CharField(label="作者姓名", max_length=50, required=False, help_text="非党员作者填写姓名")
    description = forms.CharField(label="作品简介", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    attachment = forms.FileField(label="附件（照片、PDF、Word）", required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["author_member"].queryset = members


class ScoreForm(forms.Form):
    score = forms.DecimalField(label="得分", max_digits=5, decimal_places=2, min_value=0, max_value=100)
    comment = forms.CharField(label="评语", max_length=200, required=False)


class AwardForm(forms.Form):
    award = forms.ChoiceField(label="奖项", choices=[("", "无")] + list(AwardLevel.choices), required=False)


class RoleModelForm(forms.Form):
    category = forms.ChoiceField(label="类别", choices=RoleModelCategory.choices)
    name = forms.CharField(label="姓名", max_length=50)
    headline = forms.CharField(label="事迹标题", max_length=120)
    story = forms.CharField(label="事迹", widget=forms.Textarea(attrs={"rows": 6}))
    area = TreeChoice(label="所属区域", queryset=Area.objects.none())
    sessions = forms.ModelMultipleChoiceField(label="作为学习材料的学习活动", queryset=None, required=False,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, areas, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas.order_by("path")
        self.fields["sessions"].queryset = sessions
