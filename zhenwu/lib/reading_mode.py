"""长辈版 / 标准版: the resident pages' two reading modes (docs/accessibility.md).

A resident picks a mode with the switch on every resident page (a plain link to
`switch_reading_mode`, so it works without scripts and without an account); the choice is kept in
a cookie. Everything else is server-side: the middleware reads the cookie into `request.elder_mode`,
the context processor hands it to the templates, and the resident layout
(concerns/public_base.html) puts `class="elder"` on <html> and loads css/elder.css. A page extending
that layout is in 长辈版 with no code of its own; a page that says things differently for elders
(fewer fields, plainer words) tests `elder_mode` in its template.

Responses that depended on the cookie carry `Vary: Cookie`, so no shared cache hands one mode's
page to a reader of the other.
"""

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

COOKIE_NAME = "zhenwu_reading_mode"
ELDER = "elder"
STANDARD = "standard"
MODES = (ELDER, STANDARD)
# A preference, not an identity: kept for a year, sent on same-site navigation only.
COOKIE_MAX_AGE = 365 * 24 * 3600


def is_elder(request):
    return request.COOKIES.get(COOKIE_NAME) == ELDER


class ReadingModeMiddleware:
    """Sets `request.elder_mode`; adds `Vary: Cookie` to responses whose templates read it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.elder_mode = is_elder(request)
        response = self.get_response(request)
        if getattr(request, "_reading_mode_used", False):
            patch_vary_headers(response, ("Cookie",))
        return response


def reading_mode(request):
    """Template context: `elder_mode` (bool) for the layout and the pages' variants."""
    request._reading_mode_used = True
    return {"elder_mode": getattr(request, "elder_mode", False) or is_elder(request)}


def _safe_next(request):
    for candidate in (request.GET.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "/"


@never_cache
@require_GET
def switch_reading_mode(request, mode):
    """The switch 长辈版 / 标准版: remember the mode and go back to the page (`next`, a local
    path). A link rather than a form: it works in any browser with scripts off, and a crawler
    following it only gets a cookie."""
    if mode not in MODES:
        raise Http404("没有这个版本")
    response = HttpResponseRedirect(_safe_next(request))
    if mode == ELDER:
        response.set_cookie(
            COOKIE_NAME,
            ELDER,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    else:
        response.delete_cookie(COOKIE_NAME, samesite="Lax")
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
