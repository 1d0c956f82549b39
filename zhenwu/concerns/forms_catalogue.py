"""The form of a town's own rules for a county category (rules: services.catalogue)."""

from django import forms

from .forms_staff import NamedChoiceField, StaffForm


def _limit(label):
    # Checked by the service (set_town_category_setting), which names the field in its message;
    # the browser's own number checks are only a hint.
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 365, "inputmode": "numeric"}),
    )


class TownCategoryForm(StaffForm):
    default_department = NamedChoiceField(
        label="本镇默认承办部门",
        queryset=None,
        required=False,
        error_messages={"invalid_choice": "本镇默认承办部门：请从本镇启用中的部门中选择"},
    )
    response_limit_days = _limit("本镇响应时限（工作日）")
    resolution_limit_days = _limit("本镇办结时限（工作日）")

    def __init__(self, *args, departments, category, county_department, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["default_department"]
        field.queryset = departments
        field.empty_label = f"按县里默认（{county_department.name if county_department else '未设置'}）"
        response = self.fields["response_limit_days"]
        resolution = self.fields["resolution_limit_days"]
        if category.town_limits_allowed:
            response.help_text = f"留空按县里的时限：{category.response_limit_days}个工作日"
            resolution.help_text = f"留空按县里的时限：{category.resolution_limit_days}个工作日"
        else:
            for limit, days in ((response, category.response_limit_days), (resolution, category.resolution_limit_days)):
                limit.disabled = True
                limit.help_text = f"县里规定本类别时限各镇不能自定：{days}个工作日"


class OwnCategoryForm(StaffForm):
    """本镇自设类别: a town's own extra category (rules: services.save_town_category)."""

    name = forms.CharField(label="类别名称", required=False, max_length=None)
    group = forms.CharField(label="大类（可不填）", required=False, max_length=None)
    default_department = NamedChoiceField(
        label="默认承办部门",
        queryset=None,
        required=False,
        empty_label="不设（派单时选择）",
        error_messages={"invalid_choice": "默认承办部门：请从本镇启用中的部门中选择"},
    )
    response_limit_days = _limit("响应时限（工作日）")
    resolution_limit_days = _limit("办结时限（工作日）")
    is_active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, departments, adding, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_department"].queryset = departments
        if adding:
            del self.fields["is_active"]  # a new category starts in use
