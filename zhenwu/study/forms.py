"""Forms of the study pages. They shape input and limit choices to the user's scope; the rules
are checked in services.py, whose errors are attached back to the fields."""

from django import forms

from zhenwu.core.roles import Role
from zhenwu.lib.form_errors import attach_errors  # noqa: F401  (study views import it from here)
from zhenwu.lib.widgets import DateInput, DateTimeInput
from zhenwu.org.models import Member, PartyOrg

from . import access
from .models import (
    FIVE_STANDARDS,
    STANDARD_MAX,
    CampaignItem,
    Confirmation,
    ItemKind,
    NotesRule,
    SessionKind,
    VenueKind,
)


class OrgChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return "　" * max(obj.depth - 1, 0) + obj.name


class OrgChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "　" * max(obj.depth - 1, 0) + obj.name


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.party_org.name}）"


class MemberChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.party_org.name}）"


class ItemChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title}（{obj.get_kind_display()}）"


class CampaignItemCheckboxes(forms.CheckboxSelectMultiple):
    """Each item's box carries its campaign, so the page shows only the chosen campaign's items
    (static/js/app.js, `data-filters`); the service refuses an item of another campaign."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-group"] = str(instance.campaign_id)
        return option


class CampaignForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    starts_on = forms.DateField(label="开始日期", widget=DateInput)
    ends_on = forms.DateField(label="结束日期", widget=DateInput)
    party_orgs = OrgChoices(label="参加党组织", queryset=PartyOrg.objects.none(),
                            widget=forms.CheckboxSelectMultiple,
                            help_text="选中的党组织及其下属组织的党员都须完成规定动作")
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_orgs"].queryset = orgs


class ItemForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=ItemKind.choices)
    title = forms.CharField(label="名称", max_length=100)
    due_on = forms.DateField(label="完成期限", required=False, widget=DateInput)
    notes_rule = forms.ChoiceField(label="学习笔记要求", choices=NotesRule.choices, required=False,
                                   help_text="要求笔记的，党员参加学习后须提交（或经书记审阅）该场学习的笔记才计为已完成")
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label="学习形式", choices=SessionKind.choices)
    title = forms.CharField(label="名称", max_length=120)
    topic = forms.CharField(label="主题", max_length=200, required=False)
    speaker = forms.CharField(label="主讲人", max_length=50, required=False)
    venue_kind = forms.ChoiceField(label="场地类型", choices=VenueKind.choices)
    venue = forms.CharField(label="地点", max_length=100, required=False, help_text="如：九龙村一组黎家院落")
    starts_at = forms.DateTimeField(label="开始时间", widget=DateTimeInput)
    ends_at = forms.DateTimeField(label="结束时间", widget=DateTimeInput)
    party_orgs = OrgChoices(label="参加党组织", queryset=PartyOrg.objects.none(),
                            widget=forms.CheckboxSelectMultiple,
                            error_messages={"required": "请选择参加本次学习的党组织"},
                            help_text="选中党组织及其下属组织的党员都应参加")
    campaign = forms.ModelChoiceField(label="主题教育", queryset=None, required=False, empty_label="不属于主题教育",
                                      widget=forms.Select(attrs={"data-filters": "id_items"}))
    items = ItemChoices(label="对应学习项目", queryset=None, required=False, widget=CampaignItemCheckboxes,
                        help_text="参加本次学习即完成所选项目；只能选所选主题教育的项目")
    is_featured = forms.BooleanField(label="特色党课专场", required=False)
    summary = forms.CharField(label="学习情况", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, orgs, campaigns, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_orgs"].queryset = orgs
        self.fields["campaign"].queryset = campaigns
        self.fields["items"].queryset = items


class MaterialForm(forms.Form):
    title = forms.CharField(label="名称", max_length=120, required=False, help_text="留空则用文件名")
    file = forms.FileField(label="文件")


class LateSignInForm(forms.Form):
    member = MemberChoice(label="党员", queryset=Member.objects.none(), empty_label="请选择党员")
    reason = forms.CharField(label="补签原因", max_length=200, help_text="如：参加了学习但未扫码，经本人说明、支部核实")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class LeaveForm(forms.Form):
    reason = forms.CharField(label="请假事由", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class LeaveForMemberForm(LeaveForm):
    member = MemberChoice(label="党员", queryset=Member.objects.none(), empty_label="请选择党员")
    field_order = ["member", "reason"]

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class LeaveDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "准假"), ("decline", "不准假")])
    note = forms.CharField(label="审批意见", max_length=200, required=False)


class InstructorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class HomeLessonForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    member = MemberChoice(label="党员", queryset=Member.objects.none(), empty_label="请选择党员")
    given_on = forms.DateField(label="送学日期", widget=DateInput)
    items = ItemChoices(label="补学项目", queryset=None, widget=forms.CheckboxSelectMultiple)
    content = forms.CharField(label="学习内容", widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="如：送读本，逐段学习……，交流心得")
    confirmation = forms.ChoiceField(label="本人确认方式", choices=Confirmation.choices, widget=forms.RadioSelect)
    mentor = MemberChoice(label="送学人", queryset=Member.objects.none(), required=False, empty_label="请选择送学党员")
    instructor = InstructorChoice(label="送学指导员", queryset=None, required=False, empty_label="—",
                                  help_text="由主题教育指导员送学的，选指导员（可与送学党员同时填写）")
    photo = forms.FileField(label="照片", required=False, help_text="可选，现场照片一张",
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))

    def __init__(self, *args, members, items, mentors, instructors=None, **kwargs):
        """`mentors`: the members who may be named 送学人 (None when the recording instructor is the
        deliverer); `instructors`: instructors the office may name instead (None: not offered)."""
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["items"].queryset = items
        if mentors is None:  # an instructor delivers the lesson: they are its 送学人
            del self.fields["mentor"]
        else:
            self.fields["mentor"].queryset = mentors
        if instructors is None:
            del self.fields["instructor"]
        else:
            self.fields["instructor"].queryset = instructors

    def deliverers(self):
        """(mentor, instructor) of the lesson: the named ones when the office records it, the
        recording instructor, or the recording mentor (home_lesson_form sets `recorder`)."""
        user = self.recorder
        if user.role == Role.INSTRUCTOR:
            return None, user
        if self.is_office:
            return self.cleaned_data.get("mentor"), self.cleaned_data.get("instructor")
        return access.member_for(user), None

    def clean(self):
        cleaned = super().clean()
        # The office records lessons others delivered: who delivered it is asked, never left blank.
        if "mentor" in self.fields and not cleaned.get("mentor") and not cleaned.get("instructor"):
            self.add_error("mentor", "请选择送学人（送学党员或指导员）")
        return cleaned


def home_lesson_form(user, data=None, files=None, *, initial=None):
    """The home lesson form for this user (its members, items and deliverer fields by role), for
    the page and for a lesson a phone queued without signal. `form.deliverers()` after validation:
    (mentor, instructor) of the lesson."""
    # The office (a secretary, the town admin) records lessons others delivered: it names the
    # deliverer, a member or an instructor. An instructor or a mentor records their own lesson.
    is_office = user.role in access.SESSION_EDITOR_ROLES
    mentors = instructors = None
    if is_office:
        mentors = access.members_in_scope(user).select_related("party_org").order_by("party_org__path", "name")
        instructors = access.lesson_instructors(user)
    members = access.lesson_members(user).select_related("party_org").order_by("party_org__path", "name")
    items = (CampaignItem.objects.filter(campaign__in=access.visible_campaigns(user), kind=ItemKind.REQUIRED)
             .select_related("campaign").order_by("-campaign__starts_on", "position"))
    form = HomeLessonForm(data, files, initial=initial, members=members, items=items, mentors=mentors,
                          instructors=instructors)
    form.recorder = user
    form.is_office = is_office
    return form


class StudyNoteForm(forms.Form):
    text = forms.CharField(label="笔记内容", required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 8, "placeholder": "学习要点、体会、联系实际的打算"}))
    photo = forms.FileField(label="拍照上传笔记", required=False, help_text="可只拍笔记本照片，也可只填文字",
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))


class NoteCheckForm(forms.Form):
    decision = forms.ChoiceField(label="审阅结果", choices=[("accept", "已审阅"), ("return", "退回补充")],
                                 widget=forms.RadioSelect, initial="accept")
    comment = forms.CharField(label="审阅意见", max_length=200, required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "placeholder": "退回时必填"}))


class MentorshipForm(forms.Form):
    mentor = MemberChoice(label="帮学人", queryset=Member.objects.none(), empty_label="请选择帮学人")
    mentees = MemberChoices(label="帮学对象", queryset=Member.objects.none(), widget=forms.CheckboxSelectMultiple,
                            help_text="选一人为“1+1”，选多人为“1+N”")
    started_on = forms.DateField(label="结对日期", widget=DateInput)
    campaign = forms.ModelChoiceField(label="主题教育", queryset=None, required=False, empty_label="—")
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, members, mentees, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = members
        self.fields["mentees"].queryset = mentees
        self.fields["campaign"].queryset = campaigns


class EndMentorshipForm(forms.Form):
    ended_on = forms.DateField(label="结束日期", widget=DateInput)


class AssignmentForm(forms.Form):
    instructor = InstructorChoice(label="指导员", queryset=None, empty_label="请选择指导员")
    party_org = OrgChoice(label="指导党组织", queryset=PartyOrg.objects.none(), empty_label="请选择党组织")
    campaign = forms.ModelChoiceField(label="主题教育", queryset=None, required=False, empty_label="—")

    def __init__(self, *args, instructors, orgs, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instructor"].queryset = instructors
        self.fields["party_org"].queryset = orgs
        self.fields["campaign"].queryset = campaigns


class GuidanceForm(forms.Form):
    party_org = OrgChoice(label="党组织", queryset=PartyOrg.objects.none(), empty_label="请选择党组织")
    visited_on = forms.DateField(label="指导日期", widget=DateInput)
    campaign = forms.ModelChoiceField(label="主题教育", queryset=None, required=False, empty_label="—")
    findings = forms.CharField(label="发现问题", widget=forms.Textarea(attrs={"rows": 3}))
    advice = forms.CharField(label="指导意见", widget=forms.Textarea(attrs={"rows": 3}))
    follow_up = forms.CharField(label="整改跟进", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, orgs, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_org"].queryset = orgs
        self.fields["campaign"].queryset = campaigns


class FollowUpForm(forms.Form):
    follow_up = forms.CharField(label="整改跟进", widget=forms.Textarea(attrs={"rows": 3}))
    follow_up_done_on = forms.DateField(label="整改完成日期", required=False, widget=DateInput)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class SiteCheckForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    party_org = OrgChoice(label="党组织", queryset=PartyOrg.objects.none(), empty_label="请选择党组织")
    checked_on = forms.DateField(label="检查日期", widget=DateInput)
    campaign = forms.ModelChoiceField(label="主题教育", queryset=None, required=False, empty_label="—")
    notes = forms.CharField(label="检查意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleFileField(label="阵地照片", required=False, help_text="最多9张")

    def __init__(self, *args, orgs, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_org"].queryset = orgs
        self.fields["campaign"].queryset = campaigns
        for name, label in FIVE_STANDARDS:
            self.fields[name] = forms.IntegerField(
                label=f"{label}（满分{STANDARD_MAX}）", min_value=0, max_value=STANDARD_MAX,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def scores(self):
        return {name: self.cleaned_data[name] for name, _ in FIVE_STANDARDS}

    def check_arguments(self):
        """record_site_check's arguments from the valid form (the page and the phone's queue)."""
        data = self.cleaned_data
        return {"party_org": data["party_org"], "checked_on": data["checked_on"], "campaign": data["campaign"],
                "scores": self.scores(), "notes": data["notes"], "photos": data["photos"]}


def site_check_form(user, data=None, files=None, *, initial=None):
    """The site check form for this user (the organisations they guide, the campaigns they see), for
    the page and for a check a phone queued without signal."""
    return SiteCheckForm(data, files, initial=initial, orgs=access.guidance_orgs(user).order_by("path"),
                         campaigns=access.visible_campaigns(user))


class PackForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100, initial="初心大礼包")
    campaign = forms.ModelChoiceField(label="主题教育", queryset=None, required=False, empty_label="—")
    contents = forms.CharField(label="内容清单", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns


class HandoutForm(forms.Form):
    members = MemberChoices(label="领取党员", queryset=Member.objects.none(), widget=forms.CheckboxSelectMultiple)
    handed_on = forms.DateField(label="发放日期", widget=DateInput)
    receipt = forms.ChoiceField(label="签收方式", choices=Confirmation.choices, widget=forms.RadioSelect)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members

