"""A service's refusal (core.errors.DomainError) lands on the form that fed it."""

from django import forms
from django.core.exceptions import ValidationError

from zhenwu.core.errors import DomainError
from zhenwu.lib.form_errors import attach_errors


class PhoneForm(forms.Form):
    name = forms.CharField()
    phone = forms.CharField()


def _form():
    form = PhoneForm({"name": "黎明", "phone": "123"})
    assert form.is_valid()
    return form


def test_a_refusal_naming_a_field_of_the_form_is_shown_beside_it():
    form = _form()
    attach_errors(form, DomainError("手机号格式不正确", field="phone"))
    assert form.errors == {"phone": ["手机号格式不正确"]}


def test_a_refusal_naming_no_field_or_another_field_is_shown_on_top():
    form = _form()
    attach_errors(form, DomainError("诉求已办结"))
    attach_errors(form, DomainError("请选择类别", field="category"))
    assert form.non_field_errors() == ["诉求已办结", "请选择类别"]


def test_the_service_s_field_name_can_be_mapped_to_the_form_s():
    form = _form()
    attach_errors(form, DomainError("手机号格式不正确", field="reporter_phone"), fields={"reporter_phone": "phone"})
    attach_errors(form, DomainError("位置不在本镇", field="latitude"), fields={"latitude": None})
    assert form.errors == {"phone": ["手机号格式不正确"], "__all__": ["位置不在本镇"]}


def test_a_domain_error_is_a_validation_error_whose_text_is_its_message():
    error = DomainError("不能停用自己的账号")
    assert isinstance(error, ValidationError)
    assert str(error) == error.message == "不能停用自己的账号"
    assert error.messages == ["不能停用自己的账号"] and error.field is None
    assert DomainError("请填写姓名", field="name").message_dict == {"name": ["请填写姓名"]}
