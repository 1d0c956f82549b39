"""Where browsers report what the Content-Security-Policy blocked (settings.CONTENT_SECURITY_POLICY
report-uri). A report is logged as a warning on the `zhenwu.csp` logger, so a page that still carries
an inline style or script shows up in the server log instead of silently losing its look.

Anyone can post here (a browser reports without credentials), so the body is bounded before it is
parsed, only known fields are logged (secrets cut out, zhenwu.lib.log_redaction), and an address
that floods the endpoint is counted and then ignored.
"""

import json
import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .log_redaction import redact
from .ratelimits import count_attempt, over_limit

logger = logging.getLogger("zhenwu.csp")

MAX_REPORT_BYTES = 16 * 1024
REPORT_LIMIT = (60, 600)  # reports logged per address per ten minutes
FIELDS = ("document-uri", "violated-directive", "effective-directive", "blocked-uri", "source-file",
          "line-number", "column-number")


def parse_report(body):
    """The known fields of a report body (the `csp-report` object of report-uri), or None."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    report = data.get("csp-report") if isinstance(data, dict) else None
    if not isinstance(report, dict):
        return None
    return {key: redact(str(report[key]))[:300] for key in FIELDS if key in report}


@csrf_exempt
@require_POST
def csp_report(request):
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    if over_limit(request, group="zhenwu.csp_report", limit=REPORT_LIMIT):
        return HttpResponse(status=204)
    count_attempt(request, group="zhenwu.csp_report", limit=REPORT_LIMIT)
    report = parse_report(request.read(MAX_REPORT_BYTES))
    if report is None:
        return HttpResponse(status=400)
    logger.warning("CSP violation: %s", json.dumps(report, ensure_ascii=False, sort_keys=True))
    return HttpResponse(status=204)
