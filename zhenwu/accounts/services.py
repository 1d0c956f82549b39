"""Account acts: login bookkeeping, second factor, passwords, and account administration.

Every write here is audited. Rules that protect the town from locking itself out (no admin can
deactivate or demote themselves, the last active town admin stays) live here, not in views.
"""

import secrets
import time
from dataclasses import dataclass

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_create, record_event, record_update, snapshot
from zhenwu.core.errors import DomainError

from .models import Role, User

# Area levels by code (accounts sits below org and names them without importing it).
COUNTY, TOWN, VILLAGE, COMMUNITY, GRID = "county", "town", "village", "community", "grid"


class AccountError(DomainError):
    """A refused account change, with a Chinese message naming the field it belongs beside."""


# --- Login bookkeeping ----------------------------------------------------------------------


def record_login(user, *, second_factor_pending=False):
    note = "密码验证通过，待动态口令验证" if second_factor_pending else "登录成功"
    record_event(action=AuditAction.LOGIN, obj=user, note=note)


def record_login_failure(username, *, refused_while_locked=False, locks_account=False):
    if refused_while_locked:
        note = "账号已锁定，拒绝登录"
    elif locks_account:
        note = f"用户名或密码错误，连续失败{settings.AXES_FAILURE_LIMIT}次，账号锁定"
    else:
        note = "用户名或密码错误"
    record_event(action=AuditAction.LOGIN_FAILED, object_type="accounts.User", object_repr=username[:150],
                 note=note)


def record_logout(user):
    record_event(action=AuditAction.LOGOUT, obj=user, note="退出登录")


def lockout_threshold():
    """Failures at or after this moment still count towards a lockout."""
    return timezone.now() - get_cool_off()


def locked_out_usernames(usernames=None):
    """The usernames axes currently refuses (failures within the cool-off reach the limit)."""
    attempts = AccessAttempt.objects.filter(attempt_time__gte=lockout_threshold())
    if usernames is not None:
        attempts = attempts.filter(username__in=list(usernames))
    totals = attempts.values("username").annotate(failures=Sum("failures_since_start"))
    return {row["username"] for row in totals if row["failures"] >= settings.AXES_FAILURE_LIMIT}


def is_locked_out(user):
    return user.username in locked_out_usernames([user.username])


# --- Second factor (TOTP) -------------------------------------------------------------------


def has_confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def start_totp_enrolment(user):
    """The user's unconfirmed TOTP device, created with a fresh secret if there is none.

    Reloading the setup page keeps the secret already scanned; a reset by an administrator
    deletes every device, so the next enrolment starts from a new secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
        record_event(action=AuditAction.SECURITY, obj=user, note="开始绑定动态口令(TOTP)身份验证器")
    return device


@dataclass(frozen=True)
class TokenCheck:
    device: TOTPDevice | None
    throttled: bool = False
    reused: bool = False  # a code this device already accepted (typed again within its 30 s)

    @property
    def ok(self):
        return self.device is not None


def _check_token(user, devices, token):
    for device in devices:
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            record_event(action=AuditAction.LOGIN_FAILED, obj=user, note="动态口令尝试过于频繁，已暂时拒绝")
            return TokenCheck(None, throttled=True)
        if device.verify_token(token):
            return TokenCheck(device)
    if any(_already_used(device, token) for device in devices):
        record_event(action=AuditAction.LOGIN_FAILED, obj=user, note="动态口令重复使用")
        return TokenCheck(None, reused=True)
    record_event(action=AuditAction.LOGIN_FAILED, obj=user, note="动态口令错误")
    return TokenCheck(None)


def _already_used(device, token):
    """True when the token is right for the device's current window but not after the last time
    step it accepted: the same code typed twice (a replay is refused; the phone's clock is fine).
    django_otp refuses it exactly like a wrong code, so it is told apart here."""
    try:
        token = int(token)
    except (TypeError, ValueError):
        return False
    if device.last_t < 0:
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return totp.verify(token, device.tolerance, 0)


@transaction.atomic
def confirm_totp_enrolment(device, *, token):
    """Confirm the device if the token matches. Failures are throttled and audited."""
    check = _check_token(device.user, [device], token)
    if check.ok:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_event(action=AuditAction.SECURITY, obj=device.user, note="绑定动态口令(TOTP)身份验证器")
    return check


@transaction.atomic
def verify_second_factor(user, *, token):
    """Check a token against the user's confirmed devices; audits the outcome."""
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id"))
    check = _check_token(user, devices, token)
    if check.ok:
        record_event(action=AuditAction.LOGIN, obj=user, note="动态口令验证通过")
    return check


# --- Passwords ------------------------------------------------------------------------------

# No 0/O, 1/l/I: temporary passwords are read out over the phone.
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "#@%+=?"


def generate_temporary_password(length=12):
    """A random password that satisfies the validators (all four character classes)."""
    alphabet = _LOWER + _UPPER + _DIGITS + _SYMBOLS
    while True:
        chars = [secrets.choice(pool) for pool in (_LOWER, _UPPER, _DIGITS, _SYMBOLS)]
        chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        try:
            validate_password(password)
        except ValidationError:  # pragma: no cover - astronomically unlikely (a common password)
            continue
        return password


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


# --- Account administration -----------------------------------------------------------------


@dataclass(frozen=True)
class ScopeRule:
    """What scope a role carries: the area levels it may be placed at (empty: no area), whether a
    party organisation is required, optional or unused, and whether it needs a department."""

    area_levels: tuple = ()
    party_org: str = "none"  # "required" | "optional" | "none"
    department: bool = False


SCOPE_RULES = {
    Role.TOWN_ADMIN: ScopeRule(area_levels=(TOWN,), party_org="required"),
    # A leader or dispatcher placed at the county is a county account (县级受理中心, county leaders).
    Role.LEADER: ScopeRule(area_levels=(TOWN, COUNTY), party_org="required"),
    Role.DISPATCHER: ScopeRule(area_levels=(TOWN, COUNTY)),
    Role.HANDLER: ScopeRule(department=True),
    Role.SECRETARY: ScopeRule(area_levels=(VILLAGE, COMMUNITY), party_org="required"),
    Role.GRID_WORKER: ScopeRule(area_levels=(GRID,)),
    Role.INSTRUCTOR: ScopeRule(party_org="required"),
    Role.MEMBER: ScopeRule(),
}


def _level_label(level):
    choices = dict(User._meta.get_field("area").related_model._meta.get_field("level").choices)
    return str(choices.get(level, level))


def _levels_label(levels):
    return "或".join(_level_label(level) for level in levels)


def check_scope(*, role, area=None, party_org=None, department=None):
    """The scope fields the role keeps (the others cleared), or ValidationError naming each field."""
    if role not in SCOPE_RULES:
        raise AccountError("请选择有效的角色", field="role")
    rule = SCOPE_RULES[role]
    role_label = Role(role).label
    errors = {}
    if rule.area_levels:
        if area is None:
            errors["area"] = f"{role_label}须选择所辖区域（{_levels_label(rule.area_levels)}）"
        elif area.level not in rule.area_levels:
            errors["area"] = (
                f"{role_label}的所辖区域须为{_levels_label(rule.area_levels)}，"
                f"“{area.name}”是{_level_label(area.level)}"
            )
    else:
        area = None
    if rule.party_org == "none":
        party_org = None
    elif party_org is None and rule.party_org == "required":
        errors["party_org"] = f"{role_label}须选择所属党组织"
    elif (
        party_org is not None
        and role == Role.SECRETARY
        and area is not None
        and party_org.area_id is not None
        and party_org.area_id != area.pk
    ):
        errors["party_org"] = f"党组织“{party_org.name}”不属于“{area.name}”"
    if rule.department:
        if department is None:
            errors["department"] = f"{role_label}须选择所属部门"
        elif not department.is_active:
            errors["department"] = f"部门“{department.name}”已停用"
    else:
        department = None
    if errors:
        raise ValidationError(errors)
    return {"area": area, "party_org": party_org, "department": department}


def _active_town_admins():
    return User.objects.filter(role=Role.TOWN_ADMIN, is_active=True)


def _guard_last_admin(user, *, action):
    if user.role == Role.TOWN_ADMIN and user.is_active and not _active_town_admins().exclude(pk=user.pk).exists():
        raise AccountError(f"“{user.display_name}”是唯一启用的镇管理员，不能{action}")


@transaction.atomic
def create_account(*, username, password, role, full_name="", area=None, party_org=None, department=None,
                   must_change_password=True, check_password=True):
    """A new account with the scope its role needs. The password is usually a temporary one
    (`generate_temporary_password`) that the holder must change at first login."""
    scope = check_scope(role=role, area=area, party_org=party_org, department=department)
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(f"账号“{username}”已存在", field="username")
    user = User(username=username, role=role, full_name=full_name, must_change_password=must_change_password,
                **scope)
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save()
    record_create(user, note="新增账号")
    return user


@transaction.atomic
def update_account(user, *, full_name, role, area=None, party_org=None, department=None, by):
    """Change an account's name, role and scope."""
    scope = check_scope(role=role, area=area, party_org=party_org, department=department)
    if user.pk == by.pk and role != user.role:
        raise AccountError("不能修改自己的角色", field="role")
    if role != Role.TOWN_ADMIN:
        _guard_last_admin(user, action="改为其他角色")
    before = snapshot(user)
    user.full_name = full_name
    user.role = role
    for field, value in scope.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save()
    record_update(user, before, note="修改账号信息")
    return user


@transaction.atomic
def deactivate_account(user, *, by):
    """Stop an account: its sessions stop working at their next request (inactive users are
    not loaded by the auth backend)."""
    if user.pk == by.pk:
        raise AccountError("不能停用自己的账号")
    _guard_last_admin(user, action="停用")
    if not user.is_active:
        return user
    before = snapshot(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_update(user, before, note="停用账号")
    return user


@transaction.atomic
def reactivate_account(user, *, by):
    if user.is_active:
        return user
    before = snapshot(user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_update(user, before, note="启用账号")
    return user


@transaction.atomic
def reset_password(user, *, by):
    """Give the account a new temporary password (returned, shown once), require a change at
    next login, and clear a login lockout so the holder can use it. Sessions signed with the
    old password stop working."""
    password = generate_temporary_password()
    before = snapshot(user)
    user.set_password(password)
    user.must_change_password = True
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    record_update(user, before, note="管理员重置密码")
    axes_reset(username=user.username)
    return password


@transaction.atomic
def unlock_account(user, *, by):
    """Clear the failed logins that lock this username out; returns how many records were cleared."""
    cleared = axes_reset(username=user.username)
    record_event(action=AuditAction.SECURITY, obj=user, note=f"解除登录锁定（清除{cleared}条失败记录）")
    return cleared


@transaction.atomic
def reset_second_factor(user, *, by):
    """Remove the account's TOTP devices; the holder enrols a new one at next login, and a
    session verified with the old device must verify again."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    record_event(action=AuditAction.SECURITY, obj=user, note=f"重置动态口令身份验证器（删除{deleted}个）")
    return deleted
