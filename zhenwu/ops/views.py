"""运行状态 (ops:status): the health checks, the periodic commands' last runs and recent
failures, and the newest backups - for the town administrator."""

import datetime

from django.conf import settings
from django.db import connection
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache

from zhenwu.accounts.decorators import town_admin_required
from zhenwu.workdays.calendar import unknown_schedule_years, workday_overrides

from .backup import backup_time, default_backup_dir
from .command_runs import command_states
from .health import health_report, healthz_response
from .models import CommandRun

COMMAND_LABELS = {
    "escalate_overdue_concerns": "超期诉求督办",
    "backup": "数据备份",
    "verify_audit_chain": "审计链校验",
    "purge_job_files": "清理后台任务文件",
    "generate_makeup_tasks": "生成补学任务",
    "send_missing_lists": "发送缺学名单",
    "prune_audit": "清理过期审计日志",
}
STALE_RUNNING = datetime.timedelta(hours=6)


def _interval_label(seconds):
    if seconds % 86400 == 0:
        days = seconds // 86400
        return "每天" if days == 1 else ("每周" if days == 7 else f"每{days}天")
    if seconds % 3600 == 0:
        return f"每{seconds // 3600}小时"
    return f"每{seconds // 60}分钟"


def _backups(limit=5):
    directory = default_backup_dir()
    if not directory.exists():
        return []
    found = []
    for path in directory.iterdir():
        at = backup_time(path.name)
        if at is not None and path.is_file():
            found.append({"name": path.name, "at": at, "size_mb": path.stat().st_size / 1024 / 1024,
                          "encrypted": path.name.endswith(".enc")})
    return sorted(found, key=lambda b: b["at"], reverse=True)[:limit]


@never_cache
@town_admin_required
def status(request):
    now = timezone.now()
    report, healthy = health_report()
    rows = []
    for state in command_states(now):
        run = state["last_run"]
        rows.append({
            **state,
            "label": COMMAND_LABELS.get(state["name"], state["name"]),
            "every": _interval_label(state["interval"]),
            "stale": run is not None and run.ok is None and now - run.started > STALE_RUNNING,
        })
    failures = list(CommandRun.objects.filter(ok=False).order_by("-started")[:20])
    for run in failures:
        run.label = COMMAND_LABELS.get(run.name, run.name)
    return render(request, "ops/status.html", {
        "report": report,
        "healthy": healthy,
        "rows": rows,
        "failures": failures,
        "backups": _backups(),
        "backup_dir": default_backup_dir(),
        "vendor": connection.vendor,
        "log_json": getattr(settings, "ZHENWU_LOG_JSON", False),
        "calendar_years_unknown": unknown_schedule_years(timezone.localdate(), workday_overrides()),
    })


def healthz(request):
    """/healthz, for load balancers and monitoring: database, migrations, media, periodic commands,
    version (zhenwu.ops.health; HTTP 503 when unhealthy). Open to anyone, signed in or not."""
    return healthz_response(request)


def favicon(request):
    """/favicon.ico: pages that do not name their icon (the admin's, a PDF opened in the browser)
    make the browser ask for it; answer with ours, not a 404 in the log and the console. The
    static URL is looked up per request: in production it comes from collectstatic's manifest."""
    return HttpResponsePermanentRedirect(static("img/favicon.png"))
