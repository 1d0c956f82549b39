"""Secrets cut out of log lines: the token of a private follow link (/concerns/follow/<ref>/<token>/,
which lets anyone holding it read and act on a resident's concern) and Open311 `api_key` values
given in a query string.

Two places write URLs to logs, and both go through `redact`:
- the application's own logging (Django's request warnings "Not Found: /concerns/follow/…"), by
  the `RedactSecretsFilter` on the console handler (settings.LOGGING);
- gunicorn's access log, by zhenwu.lib.access_log.AccessLogger (``--logger-class``; `manage.py
  serve` and the deployment's command in docs/deploy.md use it): every atom of the access-log
  format (request line, path, query, referer, headers) is redacted before the line is written (a
  photo on a follow page is requested with the follow page as its referer).
"""

import logging
import re

HIDDEN = "[已隐藏]"
_FOLLOW = re.compile(r"(/concerns/follow/[^/\s?#\"']+/)([^/\s?#\"']+)")
_QUERY_SECRET = re.compile(r"(?i)((?:^|[?&;]|\b)api_key=)[^&\s\"'#;]*")


def redact(text):
    """`text` with follow tokens and api_key values replaced by a marker."""
    if not text or ("follow/" not in text and "api_key" not in text.lower()):
        return text
    text = _FOLLOW.sub(lambda m: m.group(1) + HIDDEN, text)
    return _QUERY_SECRET.sub(lambda m: m.group(1) + HIDDEN, text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record's message (arguments filled in) without the secrets."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
