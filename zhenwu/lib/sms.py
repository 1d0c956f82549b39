"""Sending SMS through a pluggable gateway.

settings.ZHENWU_SMS_BACKEND names the backend class (default: LoggingBackend, which writes a
masked line to the log and sends nothing, so no deployment texts anyone until a real gateway is
configured). A backend has `send(phone, text)`; a gateway failure is logged and swallowed, since
messages go out after the transaction committed and must not undo the work they report.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from zhenwu.lib.masking import mask_phone

log = logging.getLogger(__name__)

DEFAULT_BACKEND = "zhenwu.lib.sms.LoggingBackend"


class LoggingBackend:
    """Writes the message to the log with the number masked; sends nothing."""

    def send(self, phone, text):
        log.info("SMS to %s: %s", mask_phone(phone), text)


class MemoryBackend:
    """Keeps messages in `MemoryBackend.outbox` (tests and demos)."""

    outbox = []

    def send(self, phone, text):
        MemoryBackend.outbox.append((phone, text))


def get_backend():
    return import_string(getattr(settings, "ZHENWU_SMS_BACKEND", DEFAULT_BACKEND))()


def send_sms(phone, text):
    """Send one message; returns True if the backend accepted it."""
    if not phone:
        return False
    try:
        get_backend().send(phone, text)
    except Exception:
        log.exception("SMS to %s failed", mask_phone(phone))
        return False
    return True
