"""The form of the Open311 key page."""

from django import forms

from .keys import MAX_RATE_LIMIT


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="名称", max_length=80, help_text="谁在用这个密钥，如“市12345热线”", error_messages={"required": "请填写名称"}
    )
    rate_limit_per_minute = forms.IntegerField(
        label="每分钟请求上限",
        min_value=1,
        max_value=MAX_RATE_LIMIT,
        initial=60,
        error_messages={
            "required": "请填写每分钟请求上限",
            "invalid": "每分钟请求上限须为整数",
            "min_value": "每分钟请求上限至少为1",
            "max_value": f"每分钟请求上限不能超过{MAX_RATE_LIMIT}",
        },
    )
    queued = forms.BooleanField(
        label="排队受理", required=False, help_text="勾选后，提交时先返回token，由后台任务登记诉求（适合批量推送）"
    )
