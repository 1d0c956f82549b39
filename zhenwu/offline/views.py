"""The installable app: its manifest, its service worker, the list of pages a phone keeps and the
page of records waiting to be sent (docs/offline.md)."""

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from zhenwu.lib import ratelimits

from . import services
from .access import can_see_workers_queues, supervised_users, uses_offline_app
from .errors import OfflineError, QueueConflict
from .handlers import HANDLERS
from .pages import offline_pages

THEME_COLOR = "#c41e24"

# The app shell: every page's own assets, kept on the phone by the service worker when it installs.
SHELL_ASSETS = (
    "css/app.css",
    "vendor/htmx-2.0.8.min.js",
    "js/app.js",
    "js/drafts.js",
    "js/queue.js",
    "js/offline.js",
    "img/favicon.png",
    "offline/icon-192.png",
)


def shell_urls():
    return [static(name) for name in SHELL_ASSETS] + [reverse("offline:queue")]


@require_GET
def manifest(request):
    icon = static("offline/icon-192.png")
    body = {
        "name": "镇务通",
        "short_name": "镇务通",
        "description": "镇村网格走访、学习签到与民情办理",
        "lang": "zh-CN",
        "dir": "ltr",
        "id": "/",
        "start_url": reverse("reports:home") + "?source=app",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": icon, "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("offline/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": static("offline/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request):
    """The worker script, rendered so it names the hashed asset URLs; its version changes with them
    (and with the script), so a release replaces the phone's shell."""
    context = {"shell_json": json.dumps(shell_urls()), "queue_url": reverse("offline:queue"),
               "queue_js": static("js/queue.js"), "version": ""}
    context["version"] = hashlib.sha256(render_to_string("offline/sw.js", context).encode()).hexdigest()[:12]
    script = render_to_string("offline/sw.js", context)
    response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@login_required
def queue_page(request):
    """待发送: the records waiting on this phone (listed by offline.js from IndexedDB). The service
    worker also shows this page for a page that was not kept on the phone."""
    return render(request, "offline/queue.html", {"can_see_workers": can_see_workers_queues(request.user)})


@require_GET
def pages_json(request):
    """What this user's phone should keep, and a fresh CSRF token for sending queued records (the
    one in a page kept for days may be stale). JSON 401 when signed out: the phone keeps waiting."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"error": "请先登录"}, status=401)
    return JsonResponse({
        "user": user.pk,
        "enabled": uses_offline_app(user),
        "pages": offline_pages(user),
        "csrf": get_token(request),
    })


KEY_CHARS = set("0123456789abcdefABCDEF-")


def _json(status, **body):
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@require_POST
def queue_receive(request):
    """POST /offline/queue/: one record a phone queued (the form's own fields and photos, plus
    `key`, `kind`, `target`, `base`, `confirmed`, `recorded_at`). JSON answers: 201 taken, 200 the
    key was taken before (the first answer again), 409 its target changed, 422 form errors, 401
    signed out. The phone keeps the record unless the answer is 200/201."""
    user = request.user
    if not user.is_authenticated:
        return _json(401, ok=False, message="登录已过期，请重新登录后发送")
    if not uses_offline_app(user):
        return _json(403, ok=False, message="当前账号不使用离线记录")
    key = (request.POST.get("key") or "").strip()
    if not 32 <= len(key) <= 64 or not set(key) <= KEY_CHARS:
        return _json(400, ok=False, message="提交标识不正确，请删除这条记录后重新填写")
    kind = request.POST.get("kind") or ""
    handler = HANDLERS.get(kind)
    if handler is None:
        return _json(400, ok=False, message="不支持的记录类别")
    target = request.POST.get("target") or ""
    base = (request.POST.get("base") or "").strip()
    confirmed = request.POST.get("confirmed") == "1"
    recorded_at = parse_datetime(request.POST.get("recorded_at") or "")
    if recorded_at is not None and timezone.is_naive(recorded_at):
        recorded_at = None

    def send():
        return handler(request, target=target, base=base, confirmed=confirmed, key=key)

    try:
        record, created = services.receive_record(user=user, key=key, kind=kind, send=send, recorded_at=recorded_at)
    except QueueConflict as exc:
        return _json(409, ok=False, conflict=True, message=exc.message, base=exc.base)
    except OfflineError as exc:
        return _json(422, ok=False, message=exc.message)
    if created:
        return _json(201, ok=True, message=record.message, url=record.url)
    return _json(200, ok=True, repeat=True, message="这条记录此前已经送达，未重复登记", url=record.url)


MAX_SUMMARY_BYTES = 256
SUMMARY_RATE = "120/h"


@require_POST
def queue_summary(request):
    """POST /offline/queue/summary/, JSON {"count": n, "oldest": ISO time | null}: how many records
    wait on this phone and when the oldest was made (nothing of their content). Sent by queue.js
    whenever it has looked at the queue while online; a secretary sees the workers whose records
    have waited more than a day (queue_workers). 204 kept; 400 not understood; 413 too long; 429
    too often."""
    user = request.user
    if not user.is_authenticated:
        return _json(401, ok=False, message="登录已过期，请重新登录")
    if not uses_offline_app(user):
        return _json(403, ok=False, message="当前账号不使用离线记录")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_SUMMARY_BYTES:
        return _json(413, ok=False, message="内容过长")
    rate = getattr(settings, "ZHENWU_QUEUE_SUMMARY_RATE", SUMMARY_RATE)
    if ratelimits.keyed_refused(request, group="zhenwu.offline.summary", rate=rate, key=f"user:{user.pk}"):
        response = _json(429, ok=False, message="报告太频繁，请稍后再试")
        response["Retry-After"] = "600"
        return response
    try:
        data = json.loads(request.read(MAX_SUMMARY_BYTES).decode("utf-8"))
        count = data["count"]
        oldest = data.get("oldest")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError
        oldest_at = parse_datetime(oldest) if oldest else None
        if oldest and (oldest_at is None or timezone.is_naive(oldest_at)):
            raise ValueError
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        return _json(400, ok=False, message="报告格式不正确")
    services.report_queue(user=user, waiting=count, oldest_at=oldest_at)
    return HttpResponse(status=204)


@login_required
def queue_workers(request):
    """待发送提醒: for a secretary (or the town admin), their workers whose phones reported records
    waiting more than a day."""
    user = request.user
    if not can_see_workers_queues(user):
        raise PermissionDenied("没有查看的权限")
    rows = services.stale_queues(supervised_users(user))
    return render(request, "offline/workers.html", {"rows": rows, "hours": int(services.STALE_AFTER.total_seconds() // 3600)})
