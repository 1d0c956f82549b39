"""Chinese answers to every bad request, in the product's look (staff or public, by who asks).

- 400 (a request Django cannot read: broken multipart, too many fields), 403, 404: the handlers
  named in zhenwu/urls.py; the message of a PermissionDenied or Http404 raised with Chinese text
  is shown.
- 413: a body larger than the limits (zhenwu.lib.uploads.max_request_bytes for the whole body,
  DATA_UPLOAD_MAX_MEMORY_SIZE for the form fields) is refused before it is read.
- 429: an anonymous write a rate limit refused (zhenwu.lib.ratelimits); the page hands back what
  was typed and names the hotline.
- 500: the template 500.html (rendered without context, as Django does) or the "busy" page of
  zhenwu.ops when the database is overloaded.

The JSON APIs (/api/, /open311/) get the same status with a JSON body. Staff pages and their
downloads are never stored by a browser or a proxy (Cache-Control: no-store, `HttpLimitsMiddleware`).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from .uploads import max_request_bytes, megabytes

SECRET_FIELDS = ("password", "otp", "token", "secret")
LONG_TEXT = 40
# Pages residents use without an account; anything else an account sees is a staff page.
PUBLIC_PREFIXES = ("/concerns/report/", "/concerns/board/", "/concerns/follow/", "/open311/", "/static/")
# Bodies up to this size are read and thrown away before a 413, so the browser sees the page
# instead of a reset connection; a larger one is answered at once and the connection closed.
DRAIN_LIMIT = 32 * 1024 * 1024


def wants_json(request):
    path = request.path
    return path.startswith(("/api/", "/open311/")) or "application/json" in request.headers.get("Accept", "")


def kept_fields(request):
    """The posted fields to hand back on an error page: (visible long texts, hidden others);
    never secrets."""
    if request.method != "POST":
        return [], []
    try:
        data = request.POST
    except Exception:  # an unreadable body (too large, broken multipart): nothing to keep
        return [], []
    visible, hidden = [], []
    for name in data:
        if any(s in name.lower() for s in SECRET_FIELDS):
            continue
        for value in data.getlist(name):
            if name != "csrfmiddlewaretoken" and (len(value) > LONG_TEXT or "\n" in value):
                visible.append({"name": name, "value": value})
            else:
                hidden.append({"name": name, "value": value})
    return visible, hidden


def has_files(request):
    try:
        return bool(request.FILES)
    except Exception:
        return False


def hotline():
    """The number residents may call instead (ZHENWU_HOTLINE), or ""."""
    return getattr(settings, "ZHENWU_HOTLINE", "")


def _json(request, status, message):
    if request.path.startswith("/open311/"):
        return JsonResponse([{"code": status, "description": message}], safe=False, status=status)
    return JsonResponse({"error": status, "detail": message}, status=status)


def error_page(request, status, *, title, message, context=None, headers=None):
    if wants_json(request):
        response = _json(request, status, message)
    else:
        html = render_to_string(
            f"{status}.html",
            {"title": title, "message": message, "path": request.get_full_path(), "hotline": hotline(),
             **(context or {})},
            request=request,
        )
        response = HttpResponse(html, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    response["Cache-Control"] = "no-store"
    return response


def _chinese(exception, default):
    """The exception's own message when it was raised with Chinese text for the user."""
    text = str(exception.args[0]) if exception is not None and exception.args else ""
    if text and any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text
    return default


def too_large(request):
    fields_mb = megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return error_page(
        request, 413, title="提交的内容过大",
        message=f"这次提交的内容超过了上限（整个请求最大{megabytes(max_request_bytes())}，文字部分最大{fields_mb}），"
                "没有保存。照片请每张不超过10MB、分几次添加；文字请精简后再提交。",
    )


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        message = "提交的表单项或文件过多，无法处理。请回到上一页，只填写需要的内容后再提交。"
    else:
        message = "这次请求的格式不正确（可能是网络中断或页面已过期），无法处理。请回到上一页刷新后重新操作。"
    return error_page(request, 400, title="请求无法处理", message=message)


def permission_denied(request, exception=None):
    return error_page(
        request, 403, title="没有权限",
        message=_chinese(exception, "您没有访问这个页面或进行这项操作的权限。如需开通，请联系镇党政办的系统管理员。"),
    )


def page_not_found(request, exception=None):
    return error_page(
        request, 404, title="页面不存在",
        message=_chinese(exception, "您要找的页面不存在或已被删除。请检查网址，或从首页重新进入。"),
    )


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent from an expired page (or with cookies off)."""
    visible, _hidden = kept_fields(request)
    return error_page(
        request, 403, title="页面已过期",
        message="页面已过期或浏览器禁用了Cookie，这次提交没有成功。请刷新页面后重新填写提交。",
        context={"visible": visible},
    )


def too_many_requests(request, *, what="提交"):
    """429 for an anonymous write a limit refused: the typed fields come back (hidden ones with
    the form's one-time key, so sending again later never makes two records)."""
    visible, hidden = kept_fields(request)
    return error_page(
        request, 429, title="提交太频繁，请稍后再试",
        message=f"这段时间从您这里（或同时有很多人）{what}的次数太多，系统暂时不再接收。",
        context={"visible": visible, "hidden": hidden, "files": request.method == "POST" and has_files(request),
                 "is_post": request.method == "POST"},
        headers={"Retry-After": "600"},
    )


def _content_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _drain(request, length):
    if length > DRAIN_LIMIT:
        return
    try:
        while request.read(64 * 1024):
            pass
    except OSError:
        pass


def is_public_path(path):
    return path.startswith(PUBLIC_PREFIXES)


class HttpLimitsMiddleware:
    """Refuses a body over max_request_bytes() with the 413 page before anything reads it, and
    marks every response to a signed-in account outside the public pages `no-store` (staff pages
    and downloads hold personal data: not kept by the browser's back-forward history, a shared
    computer's cache or a proxy)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = _content_length(request)
        if length > max_request_bytes():
            _drain(request, length)
            response = too_large(request)
            if length > DRAIN_LIMIT:
                response["Connection"] = "close"
            return response
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if (signed_in and not is_public_path(request.path)) or request.path.startswith("/api/"):
            add_never_cache_headers(response)
        return response
