"""我的反映 (/concerns/mine/): a resident who lost their private link proves their phone with a
code texted to it and sees the concerns it reported or follows, each opened through a fresh
private link (the follow page, with rating, adding information and photos).

The answer to "send me a code" is the same whether or not the phone has any concern (the code is
sent either way), so the page tells nobody what a number has reported. Asking for codes is limited
per phone and per address, checking codes per address (zhenwu.lib.ratelimits; a code also dies
after a few wrong tries). A verified phone is a grant in the session (its blind index and an
expiry, GRANT_MINUTES); the session key is renewed when it is given.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from zhenwu.lib import ratelimits
from zhenwu.lib.crypto import decrypt_text, encrypt_text
from zhenwu.lib.form_errors import attach_errors
from zhenwu.lib.masking import mask_phone

from .. import mine
from ..forms_public import MineCodeForm, MinePhoneForm
from ..models import Concern
from ..redaction import redact_concern_text
from ..services import ConcernError

GRANT_KEY = "concerns_mine"
PENDING_KEY = "concerns_mine_phone"

# Defaults; settings.ZHENWU_MINE_RATES may override each.
RATES = {
    "phone": "5/h",  # codes texted to one phone
    "phone_burst": "1/m",  # ... and not twice within a minute
    "address": "20/h",  # codes asked for from one address
    "verify": "30/10m",  # codes typed from one address
}


def _rate(name):
    return {**RATES, **getattr(settings, "ZHENWU_MINE_RATES", {})}[name]


def _grant(request):
    """The verified phone's blind index while the grant lasts, else None."""
    grant = request.session.get(GRANT_KEY) or {}
    until = grant.get("until")
    if not until or datetime.datetime.fromisoformat(until) <= timezone.now():
        return None
    return grant.get("phone_hash") or None


def _refused(request, message):
    return render(request, "concerns/public_mine_phone.html", {"form": MinePhoneForm(), "refused": message}, status=429)


@never_cache
@require_http_methods(["GET", "POST"])
def mine_start(request):
    """我的反映: the list while the grant lasts, else the phone form (a POST texts a code)."""
    phone_hash = _grant(request)
    if phone_hash and request.method == "GET":
        return _list(request, phone_hash)
    form = MinePhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phone = mine.mobile_number(form.cleaned_data["phone"])
        except ConcernError as exc:
            attach_errors(form, exc)
        else:
            if ratelimits.keyed_refused(request, group="zhenwu.concerns.mine.code.address", rate=_rate("address")):
                return _refused(request, "这段时间从您这里获取验证码的次数太多，请1小时后再试。")
            key = mine.phone_index(phone)
            for name in ("phone_burst", "phone"):
                if ratelimits.keyed_refused(request, group=f"zhenwu.concerns.mine.code.{name}", rate=_rate(name), key=key):
                    return _refused(request, "该号码获取验证码太频繁，请稍后再试。")
            try:
                mine.send_code(phone=phone)
            except ConcernError as exc:
                attach_errors(form, exc)
            else:
                request.session[PENDING_KEY] = encrypt_text(phone)  # sessions are rows: no plain phones
                return redirect("concerns:mine_verify")
    return render(request, "concerns/public_mine_phone.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def mine_verify(request):
    pending = request.session.get(PENDING_KEY) or ""
    try:
        phone = decrypt_text(pending) if pending else ""
    except (ImproperlyConfigured, KeyError, ValueError):  # written under a retired key
        phone = ""
    if not phone:
        return redirect("concerns:mine")
    form = MineCodeForm(request.POST or None)
    if request.method == "POST":
        if ratelimits.keyed_refused(request, group="zhenwu.concerns.mine.verify", rate=_rate("verify")):
            return _refused(request, "验证码输入次数太多，请10分钟后再试。")
        if form.is_valid():
            try:
                phone_hash = mine.verify_code(phone=phone, code=form.cleaned_data["code"])
            except ConcernError as exc:
                attach_errors(form, exc)
            else:
                request.session.cycle_key()
                request.session.pop(PENDING_KEY, None)
                until = timezone.now() + datetime.timedelta(minutes=mine.GRANT_MINUTES)
                request.session[GRANT_KEY] = {"phone_hash": phone_hash, "until": until.isoformat()}
                return redirect("concerns:mine")
    return render(
        request,
        "concerns/public_mine_verify.html",
        {"form": form, "phone_masked": mask_phone(phone), "minutes": mine.CODE_MINUTES},
    )


def _list(request, phone_hash):
    rows = [
        {"concern": c, "title": redact_concern_text(c, c.title), "is_reporter": c.is_reporter}
        for c in mine.concerns_for_phone(phone_hash)
    ]
    response = render(
        request, "concerns/public_mine_list.html", {"rows": rows, "grant_minutes": mine.GRANT_MINUTES}
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_POST
def mine_open(request, reference):
    """Open one of the phone's concerns through a fresh private link (the follow page)."""
    phone_hash = _grant(request)
    if not phone_hash:
        messages.info(request, "验证已过期，请重新验证手机号。")
        return redirect("concerns:mine")
    concern = Concern.objects.filter(reference=reference).first()
    try:
        if concern is None:
            raise ConcernError("该诉求不在您的反映记录中")
        token = mine.recover_link(concern, phone_hash=phone_hash)
    except ConcernError as exc:
        messages.warning(request, str(exc))
        return redirect("concerns:mine")
    messages.info(request, "这是您的新查询链接，请收藏本页或复制页面下方的链接。")
    return redirect("concerns:follow", concern.reference, token)


@require_POST
def mine_exit(request):
    request.session.pop(GRANT_KEY, None)
    request.session.pop(PENDING_KEY, None)
    messages.info(request, "已退出我的反映。")
    return redirect("concerns:mine")


urlpatterns = [
    path("mine/", mine_start, name="mine"),
    path("mine/verify/", mine_verify, name="mine_verify"),
    path("mine/exit/", mine_exit, name="mine_exit"),
    path("mine/<str:reference>/open/", mine_open, name="mine_open"),
]
