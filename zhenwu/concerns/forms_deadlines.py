"""The forms of 延期 and 挂起 on the concern page (rules: zhenwu.concerns.deadlines)."""

from django import forms

from zhenwu.lib.widgets import DateInput

from .forms_staff import StaffForm, _text


class ExtensionRequestForm(StaffForm):
    new_date = forms.DateField(
        label="申请延至（工作日）",
        widget=DateInput,
        error_messages={"required": "请选择延至日期", "invalid": "延至日期格式不正确"},
    )
    reason = _text("延期理由", rows=2)


class ExtensionDecisionForm(StaffForm):
    approve = forms.TypedChoiceField(
        label="审批结果",
        choices=[("1", "批准延期"), ("0", "不批准")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择是否批准", "invalid_choice": "选项不存在，请重新选择"},
    )
    note = _text("审批意见（不批准时必填）", rows=2)


class SuspendForm(StaffForm):
    expected_resume = forms.DateField(
        label="预计恢复日期",
        widget=DateInput,
        error_messages={"required": "请选择预计恢复日期", "invalid": "预计恢复日期格式不正确"},
    )
    reason = _text("挂起理由", rows=2, placeholder="如：等待法院判决、等待汛期结束、等待预算下达")


class ResumeForm(StaffForm):
    note = _text("说明", rows=2)
