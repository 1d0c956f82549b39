"""我的反映: a resident who lost their private link finds their concerns again by their phone.

The resident asks for a code (send_code), which is texted to the phone whatever it has reported, so
the answer says nothing about the number; typing it back (verify_code) proves the phone and gives
its blind index, which the views keep in the session for a while (the grant). With it the resident
sees the concerns the phone reported or follows (concerns_for_phone) and opens any of them through
a fresh private link (recover_link), which is the follow page with all its actions.

Codes: six digits from `secrets`, stored as a keyed hash (salted_hmac with the server secret, so a
copied table cannot be searched for them), valid CODE_MINUTES, spent by their first correct use
and dead after MAX_FAILED_ATTEMPTS wrong ones. How often a phone or an address may ask for codes
is limited by the views (zhenwu.lib.ratelimits). Phones are found through the blind index of the
normalised number (the reporter's `reporter_phone_hash`, the followers' `phone_hash`), never by
decrypting. Every step is in the audit log.
"""

import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_event
from zhenwu.lib import sms
from zhenwu.lib.crypto import blind_index, hash_token
from zhenwu.lib.masking import mask_phone

from .models import Concern, ConcernFollower, PhoneCode, RecoveredLink
from .services import ConcernError, clean_reporter_phone

CODE_DIGITS = 6
CODE_MINUTES = 10
MAX_FAILED_ATTEMPTS = 5
GRANT_MINUTES = 30
MAX_LISTED = 50
PHONE_PURPOSE = "concern_phone"  # the purpose of Concern.reporter_phone_hash's index


def mobile_number(value):
    """The normalised mobile number, or ConcernError: codes go to mobiles only."""
    try:
        phone = clean_reporter_phone(value)
    except ConcernError:
        phone = ""
    if not phone or not phone.startswith("1"):
        raise ConcernError("请输入11位手机号码", field="phone")
    return phone


def phone_index(phone):
    return blind_index(phone, purpose=PHONE_PURPOSE)


def _code_hash(phone_hash, code):
    return salted_hmac("zhenwu.concerns.phone-code", f"{phone_hash}:{code}", algorithm="sha256").hexdigest()


def _audit(action, *, note, object_id="", phone=""):
    record_event(
        action=action,
        object_type="concerns.PhoneCode",
        object_id=str(object_id),
        object_repr=mask_phone(phone) if phone else "",
        note=note,
    )


def send_code(*, phone, now=None):
    """Text a fresh code to `phone` (earlier unused codes of the phone stop working). Raises
    ConcernError when the number is malformed or the gateway refused (in Chinese)."""
    phone = mobile_number(phone)
    now = now or timezone.now()
    phone_hash = phone_index(phone)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    with transaction.atomic():
        PhoneCode.objects.filter(phone_hash=phone_hash, used_at__isnull=True).update(used_at=now)
        row = PhoneCode.objects.create(
            phone_hash=phone_hash,
            code_hash=_code_hash(phone_hash, code),
            created_at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
        _audit(AuditAction.SECURITY, note="我的反映：发送短信验证码", object_id=row.pk, phone=phone)
    try:
        sms.deliver(phone, sms.code_message(code, minutes=CODE_MINUTES))
    except sms.SmsError as exc:
        PhoneCode.objects.filter(pk=row.pk).update(used_at=now)
        raise ConcernError(str(exc), field="phone") from exc
    return row


def verify_code(*, phone, code, now=None):
    """The phone's blind index when `code` is its current code; ConcernError otherwise. A wrong
    code counts against the code (committed before the refusal is raised), which dies at
    MAX_FAILED_ATTEMPTS."""
    phone = mobile_number(phone)
    now = now or timezone.now()
    phone_hash = phone_index(phone)
    code = "".join(ch for ch in str(code or "") if not ch.isspace())[:20]
    with transaction.atomic():
        error = _check_code(phone, phone_hash, code, now)
    if error:
        raise ConcernError(error, field="code")
    return phone_hash


def _check_code(phone, phone_hash, code, now):
    """Spend or count against the phone's current code; the refusal's text, or "" when right."""
    row = (
        PhoneCode.objects.select_for_update()
        .filter(phone_hash=phone_hash, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        _audit(AuditAction.LOGIN_FAILED, note="我的反映：验证码已失效或未获取", phone=phone)
        return "验证码已失效，请重新获取"
    if not hmac.compare_digest(row.code_hash, _code_hash(phone_hash, code)):
        row.failed_attempts += 1
        if row.failed_attempts >= MAX_FAILED_ATTEMPTS:
            row.used_at = now
        row.save(update_fields=["failed_attempts", "used_at"])
        _audit(AuditAction.LOGIN_FAILED, note="我的反映：验证码错误", object_id=row.pk, phone=phone)
        if row.used_at:
            return "验证码错误次数过多，请重新获取"
        return "验证码不正确，请核对短信中的6位数字"
    row.used_at = now
    row.save(update_fields=["used_at"])
    _audit(AuditAction.LOGIN, note="我的反映：手机验证通过", object_id=row.pk, phone=phone)
    return ""


def _phone_filter(phone_hash):
    followed = ConcernFollower.objects.filter(phone_hash=phone_hash).values("concern_id")
    return Q(reporter_phone_hash=phone_hash) | Q(pk__in=followed)


def concerns_for_phone(phone_hash, *, audit=True):
    """The concerns the phone reported or follows, newest first (at most MAX_LISTED), each with
    `is_reporter` set. The look-up is a sensitive read and is audited."""
    if not phone_hash:
        return []
    concerns = list(
        Concern.objects.filter(_phone_filter(phone_hash))
        .select_related("category", "village")
        .defer("text", "resolution_text")
        .order_by("-received_at", "-id")[:MAX_LISTED]
    )
    for concern in concerns:
        concern.is_reporter = concern.reporter_phone_hash == phone_hash
    if audit:
        _audit(
            AuditAction.REVEAL,
            note=f"我的反映：查看本人反映和关注的诉求{len(concerns)}条"
            + (f"（{'、'.join(c.reference for c in concerns[:10])}）" if concerns else ""),
        )
    return concerns


@transaction.atomic
def recover_link(concern, *, phone_hash, now=None):
    """A fresh private link (its plain token) to `concern` for the verified phone: the reporter's
    phone gets the reporter's rights (rating), a follower's a follower's. One such link per phone
    and concern: a new one replaces the last (the original links keep working)."""
    if not phone_hash or not Concern.objects.filter(_phone_filter(phone_hash), pk=concern.pk).exists():
        raise ConcernError("该诉求不在您的反映记录中")
    token = secrets.token_urlsafe(32)
    RecoveredLink.objects.update_or_create(
        concern=concern,
        phone_hash=phone_hash,
        defaults={
            "token_hash": hash_token(token),
            "is_reporter": concern.reporter_phone_hash == phone_hash,
            "created_at": now or timezone.now(),
        },
    )
    record_event(action=AuditAction.UPDATE, obj=concern, note="居民通过我的反映找回查询链接")
    return token
