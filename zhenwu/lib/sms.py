"""Sending SMS through a pluggable gateway.

settings.ZHENWU_SMS_BACKEND names the backend: "logging" (the default: writes a masked line to the
log and sends nothing, so no deployment texts anyone until a real gateway is configured),
"memory" (tests and demos), "aliyun" or "tencent" (zhenwu.lib.sms_gateways), or a dotted class
path. A backend has `send(phone, message)`, where `message` is a `Message`: its `kind` names the
provider template registered for it (ZHENWU_SMS_TEMPLATES), its `params` fill the template's
variables and its `text` is what the resident reads (the logging and memory backends keep it).

Carriers in China accept only texts made from approved templates, so every message has a kind:

- "code": a one-time code; params `code` and `minutes`;
- "notice": a notice about a concern; params `msg` (the notice) and `link` (where to follow it).

send_sms() swallows a gateway failure (logged): notices go out after the transaction committed
and must not undo the work they report. deliver() raises SmsError instead, for callers that must
tell the resident (a code that did not leave).
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from .masking import mask_phone

log = logging.getLogger(__name__)

BACKENDS = {
    "logging": "zhenwu.lib.sms.LoggingBackend",
    "memory": "zhenwu.lib.sms.MemoryBackend",
    "aliyun": "zhenwu.lib.sms_gateways.AliyunBackend",
    "tencent": "zhenwu.lib.sms_gateways.TencentBackend",
}
DEFAULT_BACKEND = BACKENDS["logging"]

# The variables of each kind's template, in the order positional templates (Tencent's {1} {2})
# number them.
KIND_PARAMS = {
    "code": ("code", "minutes"),
    "notice": ("msg", "link"),
}


class SmsError(Exception):
    """A gateway refused or failed to take a message. `str(error)` is for the user (Chinese);
    `code` is the provider's error code, if any. (lib sits below core: the apps turn it into
    their DomainError.)"""

    def __init__(self, message, *, code=""):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return self.message


@dataclass(frozen=True)
class Message:
    kind: str
    text: str
    params: dict = field(default_factory=dict)

    def ordered_params(self):
        return [str(self.params.get(name, "")) for name in KIND_PARAMS.get(self.kind, sorted(self.params))]


def code_message(code, *, minutes):
    return Message(
        kind="code",
        text=f"您的验证码为{code}，{minutes}分钟内有效，用于查看您反映的问题。请勿告诉他人。",
        params={"code": code, "minutes": str(minutes)},
    )


def notice_message(msg, *, link=""):
    return Message(kind="notice", text=f"{msg}详情：{link}" if link else msg, params={"msg": msg, "link": link})


class LoggingBackend:
    """Writes the message to the log with the number masked; sends nothing."""

    def send(self, phone, message):
        log.info("SMS to %s: %s", mask_phone(phone), message.text)


class MemoryBackend:
    """Keeps (phone, text) pairs in `MemoryBackend.outbox` and the messages in `messages`
    (tests and demos)."""

    outbox = []
    messages = []

    def send(self, phone, message):
        MemoryBackend.outbox.append((phone, message.text))
        MemoryBackend.messages.append((phone, message))


def get_backend():
    name = getattr(settings, "ZHENWU_SMS_BACKEND", "") or DEFAULT_BACKEND
    return import_string(BACKENDS.get(name, name))()


def deliver(phone, message):
    """Send one message now; SmsError (Chinese) when the gateway refuses or cannot be reached."""
    try:
        get_backend().send(phone, message)
    except SmsError:
        raise
    except Exception as exc:
        log.exception("SMS to %s failed", mask_phone(phone))
        raise SmsError("短信发送失败，请稍后再试") from exc


def send_sms(phone, text, *, message=None):
    """Send one message (a plain `text` is sent as a notice); True if the backend accepted it."""
    if not phone:
        return False
    try:
        deliver(phone, message or notice_message(text))
    except SmsError as exc:
        log.warning("SMS to %s not sent: %s", mask_phone(phone), exc)
        return False
    return True
