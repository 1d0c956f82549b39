"""Account acts: login bookkeeping, second factor enrolment, password change, account creation."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_create, record_event, record_update, snapshot


def record_login(user):
    record_event(action=AuditAction.LOGIN, obj=user, note="登录成功")


def record_login_failure(username):
    record_event(action=AuditAction.LOGIN_FAILED, object_type="accounts.User", object_repr=username[:150],
                 note="用户名或密码错误")


def record_logout(user):
    record_event(action=AuditAction.LOGOUT, obj=user, note="退出登录")


@transaction.atomic
def start_totp_enrolment(user):
    """An unconfirmed TOTP device for the user (a fresh secret each time enrolment restarts)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)


@transaction.atomic
def confirm_totp_enrolment(device, *, token):
    """Confirm the device if the token matches; returns True on success."""
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_event(action=AuditAction.SECURITY, obj=device.user, note="绑定动态口令(TOTP)身份验证器")
    return True


@transaction.atomic
def change_password(user, *, new_password):
    before = snapshot(user)
    validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    record_update(user, before, note="修改密码")
    return user


@transaction.atomic
def create_account(*, username, password, role, full_name="", area=None, party_org=None, department=None,
                   must_change_password=True, check_password=True):
    User = get_user_model()
    user = User(username=username, role=role, full_name=full_name, area=area, party_org=party_org,
                department=department, must_change_password=must_change_password)
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save()
    record_create(user)
    return user
