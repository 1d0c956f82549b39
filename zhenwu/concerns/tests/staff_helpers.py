"""Helpers shared by the staff page tests: concerns brought to a given state through the
services, page text without markup noise, a tiny real PNG and a JPEG carrying a GPS position."""

import datetime
import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhenwu.concerns import deadlines, services
from zhenwu.concerns.models import CallBackResult, Concern, Outcome
from zhenwu.workdays import calendar as workdays


def _png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (24, 16), "red").save(out, "PNG")
    return out.getvalue()


PNG = _png_bytes()


def png(name="现场.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def jpeg_with_gps(name="现场.jpg"):
    """A real JPEG whose EXIF carries a GPS position (as a phone camera writes it)."""
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    exif.get_ifd(0x8825).update({1: "N", 2: (28.0, 10.0, 0.0), 3: "E", 4: (113.0, 38.0, 0.0)})
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def text(response):
    """The response body as text with whitespace collapsed."""
    return re.sub(r"\s+", " ", response.content.decode())


def in_state(state, *, submit, world, **submit_args):
    """A concern in `state`, brought there the ordinary way by the cast's dispatcher and the
    handler of the department its category routes to (road: 城建办, sanitation: 环保办)."""
    u = world.users
    concern = submit(**submit_args).concern
    if state == "received":
        return concern
    if state == "declined":
        return services.decline_concern(concern, by=u.dispatcher, reason="不属于受理范围")
    if state == "duplicate":
        original = submit(**submit_args).concern
        return services.link_duplicate(concern, original, by=u.dispatcher)
    concern = services.accept_concern(concern, by=u.dispatcher)
    if state == "accepted":
        return concern
    concern = services.dispatch_concern(concern, by=u.dispatcher)
    if state == "dispatched":
        return concern
    handler = world.env_handler if concern.department == world.env else u.handler
    if state == "returned":
        return services.return_concern(concern, by=handler, reason="不属本部门职责")
    concern = services.post_update(concern, by=handler, text="已到现场查看。", public=True)
    if state == "in_progress":
        return concern
    if state == "suspended":
        deadlines.suspend_concern(
            concern, by=u.dispatcher, reason="等待法院判决", expected_resume=datetime.date(2099, 1, 1)
        )
        return Concern.objects.get(pk=concern.pk)
    if state == "extension_requested":
        due = workdays.local_date(concern.resolution_due)
        deadlines.request_extension(
            concern, by=handler, reason="需协调外部单位", new_date=workdays.next_workday(due)
        )
        return Concern.objects.get(pk=concern.pk)
    concern = services.resolve_concern(concern, by=handler, outcome=Outcome.FIXED, text="已修复。")
    if state == "resolved":
        return concern
    if state == "closed":
        return services.record_call_back(concern, by=u.dispatcher, result=CallBackResult.SATISFIED, solved=True)
    raise ValueError(state)


STATES = [
    "received",
    "accepted",
    "declined",
    "dispatched",
    "returned",
    "in_progress",
    "resolved",
    "closed",
    "duplicate",
    "suspended",
    "extension_requested",
]
