import base64
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhenwu.lib.form_errors import attach_errors

from . import services
from .decorators import town_admin_required
from .forms import AccountCreateForm, AccountForm, LoginForm, PasswordChangeForm, TokenForm
from .models import User


def _safe_next(request, default):
    """The `next` target if it stays on this site (no open redirect), else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _with_next(name, target):
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _home():
    return reverse("reports:home")


# --- Login, second factor, logout -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("reports:home")
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is not None and user.is_active:
            login(request, user)
            services.record_login(user, second_factor_pending=user.needs_second_factor)
            target = _safe_next(request, _home())
            if user.needs_second_factor:
                step = "accounts:otp_verify" if services.has_confirmed_device(user) else "accounts:otp_setup"
                return redirect(_with_next(step, target))
            if user.must_change_password:
                return redirect("accounts:password_change")
            return redirect(target)
        # axes marks the request when the username is (or just became) locked; its middleware
        # then answers with the lockout page instead of this one. A failure axes counted carries
        # the running count; a refusal while locked does not.
        locked = getattr(request, "axes_locked_out", False)
        counted = getattr(request, "axes_failures_since_start", None) is not None
        services.record_login_failure(username, refused_while_locked=locked and not counted,
                                      locks_account=locked and counted)
        error = "账号或密码不正确；连续失败5次将锁定30分钟"
    return render(request, "accounts/login.html", {"form": form, "error": error,
                                                   "next": _safe_next(request, "")})


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.record_logout(request.user)
    logout(request)
    messages.info(request, "已安全退出")
    response = redirect("accounts:login")
    # Whatever the phone kept for working offline (pages, unsent records) goes with the session.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


def _totp_secret(device):
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def _token_error(check):
    if check.throttled:
        return "尝试次数过多，请稍等片刻再试"
    if check.reused:
        return "这个动态口令刚才已经用过，请等手机上出现新的口令后再输入"
    return "动态口令不正确，请核对手机时间后重试"


@login_required
def otp_setup(request):
    if services.has_confirmed_device(request.user):
        return redirect(_with_next("accounts:otp_verify", _safe_next(request, _home())))
    device = services.start_totp_enrolment(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.confirm_totp_enrolment(device, token=form.cleaned_data["token"])
        if check.ok:
            otp_login(request, device)
            messages.success(request, "身份验证器绑定成功")
            return redirect(_safe_next(request, _home()))
        form.add_error("token", _token_error(check))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, title="身份验证器二维码")
    return render(request, "accounts/otp_setup.html", {
        "form": form, "qr_svg": qr_svg, "secret": _totp_secret(device), "next": _safe_next(request, ""),
    })


@login_required
def otp_verify(request):
    if not services.has_confirmed_device(request.user):
        return redirect(_with_next("accounts:otp_setup", _safe_next(request, _home())))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.verify_second_factor(request.user, token=form.cleaned_data["token"])
        if check.ok:
            otp_login(request, check.device)
            return redirect(_safe_next(request, _home()))
        form.add_error("token", _token_error(check))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _safe_next(request, "")})


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(request.user, new_password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            form.add_error("new_password", exc)
        else:
            # Keep this session (and its verified second factor) alive after the hash changed.
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改")
            return redirect("reports:home")
    return render(request, "accounts/password_change.html", {
        "form": form, "forced": request.user.must_change_password,
    })


# --- Account administration (town_admin) ----------------------------------------------------


def get_account_for_admin(request, pk):
    """An account a town administrator may manage (all accounts; the caller is checked by the decorator)."""
    return get_object_or_404(User.objects.select_related("area", "party_org", "department"), pk=pk)


@town_admin_required
def user_list(request):
    users = list(User.objects.select_related("area", "party_org", "department").order_by("role", "username"))
    locked = services.locked_out_usernames()
    with_device = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    for u in users:
        u.locked_out = u.username in locked
        u.has_device = u.pk in with_device
    return render(request, "accounts/user_list.html", {"users": users})


@never_cache
@town_admin_required
def user_create(request):
    form = AccountCreateForm(request.POST or None, admin=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = services.generate_temporary_password()
        try:
            account = services.create_account(
                username=data["username"], password=password, role=data["role"], full_name=data["full_name"],
                area=data["area"], party_org=data["party_org"], department=data["department"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            # Shown once, in this response only (never stored in a message or the log).
            return render(request, "accounts/user_password.html", {
                "account": account, "password": password, "created": True,
            })
    return render(request, "accounts/user_form.html", {"form": form, "account": None})


@town_admin_required
def user_detail(request, pk):
    account = get_account_for_admin(request, pk)
    return render(request, "accounts/user_detail.html", {
        "account": account,
        "locked_out": services.is_locked_out(account),
        "has_device": services.has_confirmed_device(account),
    })


@town_admin_required
def user_edit(request, pk):
    account = get_account_for_admin(request, pk)
    initial = {"full_name": account.full_name, "role": account.role, "area": account.area,
               "party_org": account.party_org, "department": account.department}
    form = AccountForm(request.POST or None, initial=initial, admin=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_account(account, full_name=data["full_name"], role=data["role"], area=data["area"],
                                    party_org=data["party_org"], department=data["department"], by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "账号信息已保存")
            return redirect("accounts:user_detail", pk=account.pk)
    return render(request, "accounts/user_form.html", {"form": form, "account": account})


def _account_action(service, success):
    @require_POST
    @town_admin_required
    def view(request, pk):
        account = get_account_for_admin(request, pk)
        try:
            service(account, by=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, success.format(name=account.display_name))
        return redirect("accounts:user_detail", pk=account.pk)

    return view


user_deactivate = _account_action(services.deactivate_account, "已停用账号“{name}”")
user_reactivate = _account_action(services.reactivate_account, "已启用账号“{name}”")
user_unlock = _account_action(services.unlock_account, "已解除“{name}”的登录锁定")
user_reset_otp = _account_action(services.reset_second_factor,
                                 "已重置“{name}”的身份验证器，其下次登录时须重新绑定")


@never_cache
@require_POST
@town_admin_required
def user_reset_password(request, pk):
    account = get_account_for_admin(request, pk)
    password = services.reset_password(account, by=request.user)
    return render(request, "accounts/user_password.html", {
        "account": account, "password": password, "created": False,
    })
