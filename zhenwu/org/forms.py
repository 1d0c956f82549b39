"""Forms of the org pages. They only shape input; the rules are checked in services.py, whose
ValidationErrors are attached back to the fields."""

from django import forms

from zhenwu.lib.widgets import DateInput

from .models import SENSITIVE_TAGS, Gender, MemberStatus, ResidentTag
from .ordering import TreeOrderIterator

_KEEP_HELP = "留空则保持原值"


def _tag_choices():
    return [(t.value, f"{t.label}（敏感）" if t in SENSITIVE_TAGS else t.label) for t in ResidentTag]


class AreaChoiceField(forms.ModelChoiceField):
    iterator = TreeOrderIterator

    def label_from_instance(self, obj):
        return obj.name


class HouseholdForm(forms.Form):
    grid = AreaChoiceField(label="网格", queryset=None, empty_label="请选择网格")
    number = forms.CharField(label="户编号", max_length=30)
    address = forms.CharField(label="地址", max_length=120)
    latitude = forms.DecimalField(
        label="纬度（选填）", required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90,
        help_text="WGS-84（GPS）坐标，如 28.171234；与经度同时填写",
        error_messages={"invalid": "纬度格式不正确", "max_value": "纬度超出范围", "min_value": "纬度超出范围",
                        "max_decimal_places": "纬度最多6位小数", "max_digits": "纬度格式不正确"},
    )
    longitude = forms.DecimalField(
        label="经度（选填）", required=False, max_digits=9, decimal_places=6, min_value=-180, max_value=180,
        help_text="WGS-84（GPS）坐标，如 113.831234",
        error_messages={"invalid": "经度格式不正确", "max_value": "经度超出范围", "min_value": "经度超出范围",
                        "max_decimal_places": "经度最多6位小数", "max_digits": "经度格式不正确"},
    )

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids


class PersonalNumbersForm(forms.Form):
    """ID and phone numbers are never put back into an edit form in full: an empty field keeps the
    stored value (shown masked as a hint)."""

    id_number = forms.CharField(label="身份证号", max_length=18, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        if instance is not None:
            for field, masked in (("id_number", instance.id_number_masked), ("phone", instance.phone_masked)):
                if masked:
                    self.fields[field].widget.attrs["placeholder"] = masked
                    self.fields[field].help_text = _KEEP_HELP

    def number_changes(self):
        """Only the numbers actually typed; empty inputs keep what is stored."""
        return {f: self.cleaned_data[f] for f in ("id_number", "phone") if self.cleaned_data.get(f)}


class ResidentForm(PersonalNumbersForm):
    name = forms.CharField(label="姓名", max_length=50)
    relation = forms.CharField(label="与户主关系", max_length=20, required=False,
                               help_text="如：户主、配偶、子女、父母")
    gender = forms.ChoiceField(label="性别", choices=[("", "—")] + list(Gender.choices), required=False,
                               help_text="填写身份证号时按身份证号自动确定")
    birth_date = forms.DateField(label="出生日期", required=False, widget=DateInput,
                                 help_text="填写身份证号时按身份证号自动确定")
    tags = forms.MultipleChoiceField(label="标签", choices=_tag_choices(), required=False,
                                     widget=forms.CheckboxSelectMultiple)
    field_order = ["name", "relation", "id_number", "phone", "gender", "birth_date", "tags"]


class PartyOrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "　" * max(obj.depth - 1, 0) + obj.name


class MemberForm(PersonalNumbersForm):
    name = forms.CharField(label="姓名", max_length=50)
    party_org = PartyOrgChoiceField(label="所在党组织", queryset=None, empty_label="请选择党组织")
    gender = forms.ChoiceField(label="性别", choices=[("", "—")] + list(Gender.choices), required=False)
    birth_date = forms.DateField(label="出生日期", required=False, widget=DateInput)
    joined_on = forms.DateField(label="入党日期", required=False, widget=DateInput)
    status = forms.ChoiceField(label="党员类型", choices=MemberStatus.choices)
    is_elderly = forms.BooleanField(label="年老体弱", required=False)
    is_ill = forms.BooleanField(label="患病/残疾", required=False)
    is_migrant = forms.BooleanField(label="流动党员", required=False)
    migrant_location = forms.CharField(label="流出地", max_length=80, required=False)
    is_active = forms.BooleanField(label="在册", required=False, initial=True)
    field_order = [
        "name", "party_org", "id_number", "phone", "gender", "birth_date", "joined_on", "status",
        "is_elderly", "is_ill", "is_migrant", "migrant_location", "is_active",
    ]

    def __init__(self, *args, party_orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_org"].queryset = party_orgs


def resident_label(resident):
    """Enough to tell two 王芳 apart without showing personal numbers: household and birth year."""
    born = f"，{resident.birth_date.year}年生" if resident.birth_date else ""
    return f"{resident.name}（{resident.household.number}{born}）"
