"""A web worker's process holds only what web requests need: the WSGI application, as gunicorn
loads it (URLconf and every view module through the warm-up), imports none of the heavy libraries
that only file exports, documents and the router's model use (docs/architecture.md, "What a web
worker loads"). A source-level guarantee, checked in a fresh interpreter, not a timing test."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Imported where a file is written or a model fitted, never with a module a web request loads.
HEAVY = ("openpyxl", "xlsxwriter", "numpy", "scipy", "sklearn", "weasyprint", "docx", "lxml")

# Modules that write those files: they must be among the loaded ones, or the check proves nothing.
WRITERS = ("zhenwu.reports.ledgers", "zhenwu.reports.briefing_services", "zhenwu.reports.dispatch_sheet",
           "zhenwu.org.roster.export", "zhenwu.org.roster.scan", "zhenwu.audit.export", "zhenwu.study.coverage",
           "zhenwu.routing.services")

PROBE = f"""
import json, sys
import zhenwu.wsgi
print(json.dumps({{"heavy": sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r}),
                   "writers": [m for m in {WRITERS!r} if m in sys.modules]}}))
"""


def test_the_wsgi_application_loads_no_heavy_library():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhenwu.settings", "ZHENWU_WARM_UP": "1"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["writers"] == list(WRITERS)
    assert loaded["heavy"] == []
