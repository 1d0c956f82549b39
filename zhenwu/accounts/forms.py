from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from . import services
from .models import Role, User


class LoginForm(forms.Form):
    username = forms.CharField(label="账号", max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label="密码", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="动态口令",
        regex=r"^\d{6}$",
        error_messages={"invalid": "请输入身份验证器上显示的6位数字", "required": "请输入动态口令"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码", strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label="新密码", strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label="再次输入新密码", strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError("原密码不正确")
        return value

    def clean_new_password(self):
        value = self.cleaned_data["new_password"]
        password_validation.validate_password(value, self.user)
        return value

    def clean(self):
        data = super().clean()
        new = data.get("new_password")
        if new and new != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        if new and data.get("old_password") and new == data["old_password"]:
            self.add_error("new_password", "新密码不能与原密码相同")
        return data


# --- Account administration -----------------------------------------------------------------


def _related_model(field):
    return User._meta.get_field(field).related_model


class _AreaChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        indent = "　" * max(obj.depth - 2, 0)
        return f"{indent}{obj.name}（{obj.get_level_display()}）"


class _PartyOrgChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        indent = "　" * max(obj.depth - 1, 0)
        return f"{indent}{obj.name}"


class AccountForm(forms.Form):
    """Name, role and the scope the role needs; choices limited to the administrator's town."""

    full_name = forms.CharField(label="姓名", max_length=50,
                                error_messages={"required": "请填写姓名"})
    role = forms.ChoiceField(label="角色", choices=[("", "请选择角色")] + Role.choices,
                             error_messages={"required": "请选择角色", "invalid_choice": "请选择有效的角色"})
    area = _AreaChoice(label="所辖区域", queryset=None, required=False,
                       help_text="镇管理员、镇领导、民情受理员选镇；支部书记选村(社区)；网格员选网格")
    party_org = _PartyOrgChoice(label="所属党组织", queryset=None, required=False,
                                help_text="镇管理员、镇领导选镇党委；支部书记、指导员选所在支部")
    department = forms.ModelChoiceField(label="所属部门", queryset=None, required=False,
                                        help_text="职能部门办理人必选")

    def __init__(self, *args, admin, **kwargs):
        super().__init__(*args, **kwargs)
        areas = _related_model("area").objects.order_by("path")
        orgs = _related_model("party_org").objects.order_by("path")
        departments = _related_model("department").objects.filter(is_active=True).order_by("name")
        if admin.area_id:
            areas = areas.filter(path__startswith=admin.area.path)
            departments = departments.filter(town__path__startswith=admin.area.path)
        if admin.party_org_id:
            orgs = orgs.filter(path__startswith=admin.party_org.path)
        self.fields["area"].queryset = areas
        self.fields["party_org"].queryset = orgs
        self.fields["department"].queryset = departments

    def clean(self):
        data = super().clean()
        if self.errors.get("role"):
            return data
        try:
            data.update(services.check_scope(role=data.get("role"), area=data.get("area"),
                                             party_org=data.get("party_org"),
                                             department=data.get("department")))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field not in self.errors:
                    self.add_error(field, messages)
        return data


class AccountCreateForm(AccountForm):
    username = forms.CharField(
        label="账号", max_length=150, validators=[UnicodeUsernameValidator()],
        help_text="登录用的账号，建议用姓名拼音或工号；创建后不能修改",
        error_messages={"required": "请填写账号", "invalid": "账号只能包含字母、数字和 @ . + - _"},
    )
    field_order = ["username", "full_name", "role", "area", "party_org", "department"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"账号“{username}”已存在")
        return username


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="用途", max_length=80, help_text="如“办理统计脚本”", error_messages={"required": "请填写用途"}
    )
