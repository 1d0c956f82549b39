"""A web worker warms up at boot (URLconf and views, the segmenter's dictionary) and never fails to boot
for it."""

import logging

import pytest

from zhenwu.lib import segmenter
from zhenwu.ops import warmup


def test_warm_up_imports_the_views_and_loads_the_segmenter_dictionary(monkeypatch):
    import zhenwu.concerns.similar as similar

    asked = []
    real = similar.content_words
    monkeypatch.setattr(similar, "content_words", lambda text: asked.append(text) or real(text))
    assert warmup.warm_up() >= 0
    assert segmenter._shared["jieba"] is not None
    assert asked == [warmup.SAMPLE[1]]
    assert warmup.load_urls() > 10  # the project's URL patterns


def test_warm_up_runs_each_apps_own_step_and_leaves_a_callers_transaction_open(db, monkeypatch):
    """An AppConfig's `warm_up()` runs with the others (the router's app teaches the towns' place
    words: zhenwu/routing/tests/test_warm_up.py); connections are closed afterwards, for the
    fork, except one inside a transaction (here the test's)."""
    from django.apps import apps
    from django.db import connection

    ran = []
    config = apps.get_app_config("ops")
    monkeypatch.setattr(config, "warm_up", lambda: ran.append("ops"), raising=False)
    monkeypatch.delenv("ZHENWU_WARM_UP", raising=False)
    assert "ops" in warmup.warm_apps() and ran == ["ops"]
    warmup.warm_up()
    assert ran == ["ops", "ops"]
    assert connection.in_atomic_block and connection.connection is not None


def test_a_failing_app_step_is_logged_and_the_other_apps_still_warm(caplog, monkeypatch):
    from django.apps import apps

    ran = []

    def broken():
        raise RuntimeError("no database yet")

    monkeypatch.setattr(apps.get_app_config("ops"), "warm_up", broken, raising=False)
    monkeypatch.setattr(apps.get_app_config("audit"), "warm_up", lambda: ran.append("audit"), raising=False)
    monkeypatch.setattr(apps.get_app_config("routing"), "warm_up", lambda: ran.append("routing"), raising=False)
    with caplog.at_level(logging.WARNING, logger="zhenwu.ops.warmup"):
        done = warmup.warm_apps()
    assert "warm-up incomplete: ops.warm_up" in caplog.text
    assert sorted(ran) == ["audit", "routing"] and "ops" not in done and {"audit", "routing"} <= set(done)


def test_a_failing_step_is_logged_and_the_others_still_run(caplog, monkeypatch):
    ran = []

    def broken():
        raise RuntimeError("dictionary unreadable")

    monkeypatch.setattr(warmup, "STEPS", (broken, lambda: ran.append("next")))
    with caplog.at_level(logging.WARNING, logger="zhenwu.ops.warmup"):
        assert warmup.warm_up() >= 0
    assert "warm-up incomplete: broken" in caplog.text and ran == ["next"]


def test_warm_up_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("ZHENWU_WARM_UP", "0")
    monkeypatch.setattr(warmup, "STEPS", (lambda: pytest.fail("warm-up ran although turned off"),))
    assert warmup.warm_up() == 0.0


def test_a_warmed_sqlite_web_worker_loads_neither_psycopg_nor_the_package_of_rjieba(tmp_path):
    """What a web worker on SQLite holds after the WSGI module's warm-up (every view imported, the
    dictionary built, then every object frozen out of the collector's reach: gc.freeze): no psycopg (Django REST Framework's optional PostgreSQL import is refused,
    zhenwu.settings), no `rjieba` package with its unused default segmenter. In a fresh process,
    as gunicorn's master loads it."""
    import json
    import os
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from zhenwu.wsgi import application\n"
        "import gc\n"
        "import rest_framework.compat as compat\n"
        "print(json.dumps([m for m in ('psycopg', 'django.contrib.postgres.fields', 'rjieba') if sys.modules.get(m)]"
        " + ([] if compat.postgres_fields is None else ['postgres_fields'])"
        " + ([] if gc.get_freeze_count() > 10000 else ['objects not frozen'])))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZHENWU_WARM_UP")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'z.sqlite3'}", ZHENWU_DATA_DIR=str(tmp_path),
               DJANGO_SETTINGS_MODULE="zhenwu.settings")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
