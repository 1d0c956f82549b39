"""Warm a freshly started web worker so that the first resident does not pay for it.

Without this, the first form POST after a restart took about 2.4 s: the segmenter loads its
dictionary for the similar-concern suggestions on first use, and the first request of any kind imported every
view module through the URLconf (1.2 s). `zhenwu/wsgi.py` calls `warm_up()` once per
worker process at boot; set ZHENWU_WARM_UP=0 to skip it. A failure here is logged and never stops
the worker from serving. Apps add their own steps (an AppConfig's `warm_up()`: the router's app
teaches the segmenter the towns' place words). The router's model is not loaded here: web requests no longer predict
(the background worker suggests routes in batches), so each web process is spared its memory.
"""

import logging
import os
import time

logger = logging.getLogger(__name__)

SAMPLE = ("路灯不亮", "村口的路灯坏了一个多月，晚上出行不方便，请尽快维修。")


def load_urls():
    """Import the URLconf and with it every view module."""
    from django.urls import get_resolver

    return len(get_resolver().url_patterns)


def warm_apps():
    """Each app's own warm-up: an AppConfig may define `warm_up()` (the router's app teaches the
    segmenter the towns' place words before the dictionary is built, so it is built once)."""
    from django.apps import apps

    done = []
    for config in apps.get_app_configs():
        step = getattr(config, "warm_up", None)
        if not callable(step):
            continue
        try:
            step()
        except Exception:  # noqa: BLE001 - one app's warming failing leaves the others to run
            logger.warning("warm-up incomplete: %s.warm_up", config.label, exc_info=True)
            continue
        done.append(config.label)
    return done


def load_dictionary():
    from zhenwu.concerns.similar import content_words

    return content_words(SAMPLE[1])


STEPS = (load_urls, warm_apps, load_dictionary)


def warm_up():
    """Run each warming step; returns seconds spent."""
    if os.environ.get("ZHENWU_WARM_UP", "1") == "0":
        return 0.0
    from django.db import connections

    started = time.perf_counter()
    try:
        for step in STEPS:
            try:
                step()
            except Exception:  # noqa: BLE001 - warming is an optimisation; serving must go on
                logger.warning("warm-up incomplete: %s", step.__name__, exc_info=True)
    finally:
        # Warming may read the database (an app's words). gunicorn forks its workers from this
        # process afterwards, and a connection must never be shared across a fork. (One inside a
        # transaction is a caller's, a test's, and stays.)
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close()
    return time.perf_counter() - started
