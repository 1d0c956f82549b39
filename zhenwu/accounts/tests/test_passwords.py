import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from conftest import PASSWORD


def _codes(exc):
    return {error.code for error in exc.value.error_list}


def test_a_password_shorter_than_eight_characters_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        validate_password("Gq#2026", cast.users.secretary)
    assert "password_too_short" in _codes(exc)
    assert any("8" in message for message in exc.value.messages)


def test_a_password_with_only_two_character_classes_is_refused_in_chinese(cast):
    with pytest.raises(ValidationError) as exc:
        validate_password("guanqiao2026", cast.users.secretary)
    assert _codes(exc) == {"password_too_simple"}
    assert "至少包含大写字母、小写字母、数字、特殊字符中的3类" in exc.value.messages[0]


def test_a_long_password_of_three_character_classes_is_accepted(cast):
    assert validate_password("Guanqiao2026", cast.users.secretary) is None
    assert validate_password("jiulong#2026", cast.users.secretary) is None


def test_the_password_change_page_refuses_a_simple_password_and_keeps_the_old_one(client, cast, login):
    user = cast.users.secretary
    login(user)
    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password": "aaaaaaaa1", "new_password2": "aaaaaaaa1",
    })
    assert response.status_code == 200
    assert "特殊字符中的3类" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_password_change_page_refuses_a_wrong_old_password_and_a_mismatch(client, cast, login):
    login(cast.users.secretary)
    response = client.post("/accounts/password/", {
        "old_password": "Wrong#2026", "new_password": "Jiulong#2027", "new_password2": "Jiulong#2028",
    })
    body = response.content.decode()
    assert "原密码不正确" in body
    assert "两次输入的新密码不一致" in body
