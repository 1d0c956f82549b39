from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from zhenwu.accounts.urls import token_urlpatterns
from zhenwu.concerns.api_urls import urlpatterns as staff_api_urlpatterns
from zhenwu.lib.csp_report import csp_report
from zhenwu.lib.reading_mode import switch_reading_mode
from zhenwu.open311.api import not_found as open311_not_found
from zhenwu.open311.urls import key_urlpatterns
from zhenwu.ops.views import favicon, healthz

admin.site.site_header = "镇务通 配置管理"
admin.site.site_title = "镇务通"
admin.site.index_title = "配置"

# Chinese answers to bad requests (zhenwu.lib.http_errors). A database overload raised outside a
# view (e.g. saving the session) answers "busy" (503), too; any other 500 is the 500.html page.
handler400 = "zhenwu.lib.http_errors.bad_request"
handler403 = "zhenwu.lib.http_errors.permission_denied"
handler404 = "zhenwu.lib.http_errors.page_not_found"
handler500 = "zhenwu.ops.middleware.server_error"

# /api/: the staff JSON API (concerns, whose last pattern answers any other /api/v1/ path), the
# Open311 key page (open311) and the personal token page (accounts) share the `api` namespace.
api_urlpatterns = ([*key_urlpatterns, *token_urlpatterns, *staff_api_urlpatterns], "api")

# Uploaded files are never served as a public /media/ tree: each app serves its files through a
# view that checks who is asking (rosters hold ID numbers).
urlpatterns = [
    path("", include("zhenwu.reports.urls")),
    path("", include("zhenwu.accounts.urls")),
    path("", include("zhenwu.offline.urls")),
    path("org/", include("zhenwu.org.urls")),
    path("concerns/", include("zhenwu.concerns.urls")),
    path("study/", include("zhenwu.study.urls")),
    path("grid/", include("zhenwu.grid.urls")),
    path("activities/", include("zhenwu.activities.urls")),
    path("routing/", include("zhenwu.routing.urls")),
    path("ops/", include("zhenwu.ops.urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("audit/", include("zhenwu.audit.urls")),
    path("jobs/", include("zhenwu.jobs.urls")),
    path("admin/", admin.site.urls),
    path("open311/v2/", include("zhenwu.open311.urls")),
    re_path(r"^open311/", open311_not_found),
    path("api/", include(api_urlpatterns)),
    path("csp-report/", csp_report, name="csp_report"),
    # The switch 长辈版 / 标准版 on every resident page (docs/accessibility.md).
    path("mode/<str:mode>/", switch_reading_mode, name="switch_reading_mode"),
]

if settings.ZHENWU_BENCH_FLOOR:  # bench/http_bench.py's floor; off unless the benchmark turns it on
    from zhenwu.ops.bench_floor import floor

    urlpatterns.append(path("bench/floor/", floor))
