"""A minimal site serving django-helpdesk's public ticket form: the peer bench/http_bench.py measures
the resident's form against. Configured as ours is where it touches the measurement (not DEBUG, the
cached template loader, persistent connections, SQLite in WAL mode with IMMEDIATE transactions and
synchronous=FULL, zh-hans, Asia/Shanghai); otherwise Django's and django-helpdesk's defaults. Mail
goes nowhere.

Environment: PEER_DATA_DIR (the SQLite database, uploads); PEER_PG_NAME (and PEER_PG_HOST, _PORT,
_USER; default 127.0.0.1, 5432, postgres) for a PostgreSQL database instead; PEER_SECRET_KEY."""

import os
from pathlib import Path

DATA_DIR = Path(os.environ.get("PEER_DATA_DIR", "/tmp/zhenwu-peer"))
SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "peer-bench-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "peer_site.urls"
WSGI_APPLICATION = "peer_site.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.environ.get("PEER_PG_NAME"):
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["PEER_PG_NAME"],
        "USER": os.environ.get("PEER_PG_USER", "postgres"), "HOST": os.environ.get("PEER_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("PEER_PG_PORT", "5432"), "CONN_MAX_AGE": 60,
    }}
else:
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "peer.sqlite3", "CONN_MAX_AGE": 60,
        "OPTIONS": {
            # The durability of ours (ZHENWU_SQLITE_SYNCHRONOUS, FULL by default: a commit is on disk).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=20000;",
            "transaction_mode": "IMMEDIATE",
        },
    }}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
SITE_ID = 1
STATIC_URL = "/static/"
MEDIA_ROOT = DATA_DIR / "media"
LOGIN_URL = "/helpdesk/login/"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}

HELPDESK_TEAMS_MODE_ENABLED = False  # pinax-teams is an optional extra
