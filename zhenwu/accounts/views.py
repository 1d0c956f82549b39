import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .forms import LoginForm, PasswordChangeForm, TokenForm
from .models import Role, User


def _safe_next(request, default):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("reports:home")
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"],
                            password=form.cleaned_data["password"])
        if user is not None and user.is_active:
            login(request, user)
            services.record_login(user)
            if user.needs_second_factor:
                has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
                step = "accounts:otp_verify" if has_device else "accounts:otp_setup"
                return redirect(f"{reverse(step)}?next={_safe_next(request, reverse('reports:home'))}")
            if user.must_change_password:
                messages.info(request, "首次登录，请先修改初始密码")
                return redirect("accounts:password_change")
            return redirect(_safe_next(request, reverse("reports:home")))
        if not getattr(request, "axes_locked_out", False):
            services.record_login_failure(form.cleaned_data["username"])
        error = "账号或密码不正确；连续失败5次将锁定30分钟"
    return render(request, "accounts/login.html", {"form": form, "error": error,
                                                   "next": request.GET.get("next", "")})


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.record_logout(request.user)
    logout(request)
    messages.info(request, "已安全退出")
    return redirect("accounts:login")


@login_required
def otp_setup(request):
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("accounts:otp_verify")
    form = TokenForm(request.POST or None)
    device = None
    if request.method == "POST":
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if device is not None and form.is_valid():
            if services.confirm_totp_enrolment(device, token=form.cleaned_data["token"]):
                otp_login(request, device)
                messages.success(request, "身份验证器绑定成功")
                return redirect(_safe_next(request, reverse("reports:home")))
            form.add_error("token", "动态口令不正确，请核对手机时间后重试")
    if device is None:
        device = services.start_totp_enrolment(request.user)
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    return render(request, "accounts/otp_setup.html", {
        "form": form, "qr_svg": qr_svg, "secret": _base32(device), "next": request.GET.get("next", ""),
    })


def _base32(device):
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


@login_required
def otp_verify(request):
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
    if not devices:
        return redirect("accounts:otp_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                form.add_error("token", "尝试次数过多，请稍后再试")
                break
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_safe_next(request, reverse("reports:home")))
        else:
            form.add_error("token", "动态口令不正确")
    return render(request, "accounts/otp_verify.html", {"form": form, "next": request.GET.get("next", "")})


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(request.user, new_password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            form.add_error("new_password", exc)
        else:
            # Keep the session (and a verified second factor) alive after the hash changed.
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改")
            return redirect("reports:home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def user_list(request):
    if request.user.role != Role.TOWN_ADMIN:
        raise PermissionDenied
    users = User.objects.select_related("area", "party_org", "department").order_by("role", "username")
    return render(request, "accounts/user_list.html", {"users": users})


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        ok = True
    except Exception:  # the answer is the report, whatever broke
        ok = False
    return JsonResponse({"status": "ok" if ok else "error", "database": ok}, status=200 if ok else 503)
