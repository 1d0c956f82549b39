"""Zhenwu settings: one module driven by environment variables.

Defaults give the embedded single-machine setup (SQLite, local media). Production sets
ZHENWU_ENV=production plus DATABASE_URL, ZHENWU_SECRET_KEY, ZHENWU_FIELD_KEYS and
ZHENWU_BLIND_INDEX_KEY; see docs/deploy.md.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from zhenwu.core.roles import Role
from zhenwu.lib import maps as _maps

BASE_DIR = Path(__file__).resolve().parent.parent
ENV = os.environ.get("ZHENWU_ENV", "development")
PRODUCTION = ENV == "production"
DATA_DIR = Path(os.environ.get("ZHENWU_DATA_DIR", BASE_DIR / "var"))


def _env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _dev_secret(name):
    """A per-checkout development secret, generated once under var/ (never used in production)."""
    path = DATA_DIR / "dev-secrets" / name
    if path.exists():
        return path.read_text().strip()
    from cryptography.fernet import Fernet

    path.parent.mkdir(parents=True, exist_ok=True)
    value = Fernet.generate_key().decode()
    path.write_text(value)
    return value


def _secret(name):
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be set in production")
    return _dev_secret(name.lower())


SECRET_KEY = _secret("ZHENWU_SECRET_KEY")
# Fernet keys for sensitive fields, newest first (rotation: prepend a new key, re-save, drop the old).
FIELD_ENCRYPTION_KEYS = _env_list("ZHENWU_FIELD_KEYS") or [_secret("ZHENWU_FIELD_KEY")]
# Key of the keyed hash (blind index) that lets encrypted ID numbers be found and de-duplicated.
BLIND_INDEX_KEY = _secret("ZHENWU_BLIND_INDEX_KEY")

DEBUG = os.environ.get("ZHENWU_DEBUG", "0" if PRODUCTION else "1") == "1"
ALLOWED_HOSTS = _env_list("ZHENWU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = _env_list("ZHENWU_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, for the project form renderer (FORM_RENDERER)
    "django_htmx",
    "django_ratelimit",
    "template_partials",
    "treebeard",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "zhenwu.audit",
    "zhenwu.accounts",
    "zhenwu.jobs",
    "zhenwu.org",
    "zhenwu.workdays",
    "zhenwu.concerns",
    "zhenwu.open311",
    "zhenwu.study",
    "zhenwu.grid",
    "zhenwu.activities",
    "zhenwu.routing",
    "zhenwu.ops",
    "zhenwu.reports",
    "zhenwu.offline",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every response (below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "zhenwu.lib.request_context.RequestContextMiddleware",
    # Before anything reads the body: 413 for an oversized one; no-store on staff pages.
    "zhenwu.lib.http_errors.HttpLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zhenwu.accounts.middleware.SessionIdleClockMiddleware",  # after Session: marks before it saves
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "zhenwu.accounts.middleware.SecondFactorMiddleware",
    "zhenwu.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # 长辈版 / 标准版 of the resident pages, from a cookie (zhenwu.lib.reading_mode).
    "zhenwu.lib.reading_mode.ReadingModeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "zhenwu.ops.middleware.BusyMiddleware",  # last: database overload → 503 "busy" page, not a 500
]

ROOT_URLCONF = "zhenwu.urls"
WSGI_APPLICATION = "zhenwu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "zhenwu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhenwu.accounts.context_processors.navigation",
                "zhenwu.accounts.context_processors.roles",
                "zhenwu.concerns.context_processors.notifications",
                "zhenwu.lib.reading_mode.reading_mode",
                "zhenwu.offline.context_processors.offline_app",
            ],
            "libraries": {
                # Data-dependent widths and indents as classes (no style attributes: see CSP below).
                "styling": "zhenwu.lib.styling",
                # {% slot %}: places a lower app's page offers the apps above (docs/architecture.md).
                "slots": "zhenwu.core.slot_tags",
                # {% select_options %}: a select's options written in Python (lib.form_rendering).
                "form_rendering": "zhenwu.lib.form_rendering",
            },
        },
    }
]

# Forms draw their fields with the project templates includes/form.html and includes/field.html,
# and selects with templates/django/forms/widgets/select.html, whose options are written in Python
# ({% select_options %}; Django's includes a template per option, and the resident's place field
# has some 140 per page: written in Python the form's GET costs about 10 ms less CPU).
FORM_RENDERER = "zhenwu.lib.form_rendering.FormRenderer"

# --- Database -------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'zhenwu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60)}
# Seconds a request waits for a database lock; then it gets the "busy, try again" page (HTTP 503,
# zhenwu.ops.middleware) well before a proxy or gunicorn timeout.
ZHENWU_DB_LOCK_TIMEOUT = int(os.environ.get("ZHENWU_DB_LOCK_TIMEOUT", "10"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Each web thread keeps its connection between requests (as on PostgreSQL): opening one costs
    # about 2.7 ms of CPU (the schema read, the PRAGMAs, Django's functions), a quarter of a small
    # request's. Between requests a connection holds no transaction, so no WAL snapshot either.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    # On SQLite no process loads psycopg. Django REST Framework imports
    # django.contrib.postgres.fields (and with it psycopg, about 10 MB in every web worker) only
    # to map PostgreSQL's own model fields, of which a SQLite installation has none; its import
    # is optional (try/except ImportError). A None entry in sys.modules makes that import fail
    # as if psycopg were absent, as Python's import system documents. Backup and restore import
    # psycopg themselves, and only on PostgreSQL.
    sys.modules.setdefault("django.contrib.postgres.fields", None)
    # Django's backend, with writers queued on an OS lock (flock on <database>.writer-lock) before
    # BEGIN IMMEDIATE instead of polling in SQLite's busy handler: the next writer starts the
    # moment the last one commits (zhenwu/core/sqlite_backend/base.py).
    DATABASES["default"]["ENGINE"] = "zhenwu.core.sqlite_backend"
    # Tests: an in-memory database, as for Django's own engine (pytest-django recognises only
    # that engine's name and would otherwise give each xdist worker a file named after NAME).
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")
    # synchronous=FULL: a commit is on disk (WAL fsync) before the resident sees the reference
    # number, power loss included; NORMAL survives a killed process but may lose the last
    # commits on power loss. See docs/operations.md for the cost.
    _synchronous = os.environ.get("ZHENWU_SQLITE_SYNCHRONOUS", "FULL")
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock when the transaction starts: no upgrade deadlocks, and the
        # audit chain sees a stable head.
        "transaction_mode": "IMMEDIATE",
        "timeout": ZHENWU_DB_LOCK_TIMEOUT,
        "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous={_synchronous};",
    }
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # Lock waits (row locks, the audit chain's advisory lock, a migration's table lock) end in
    # the busy page instead of piling up. JIT off: the planner prices a county's grouped page
    # queries (coverage, dashboards) above jit_above_cost and compiles for a second or more to run
    # a query of milliseconds; an OLTP application gains nothing from it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={ZHENWU_DB_LOCK_TIMEOUT * 1000} -c jit=off"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------------
# Rate limits and short-lived counters must be shared by every web worker: on one machine
# diskcache (a cache in its own SQLite files beside the data, with atomic increments; Django's
# file cache listed its whole directory on every write, 14 ms per rate-limit check at 5,000
# entries, bench/cache.py), Redis (ZHENWU_REDIS_URL) when several app servers run.
if os.environ.get("ZHENWU_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["ZHENWU_REDIS_URL"],
            "KEY_PREFIX": "zhenwu",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "zhenwu.lib.disk_cache.KeptOpenDiskCache",
            "LOCATION": str(DATA_DIR / "diskcache"),
            "SHARDS": 4,
            "DATABASE_TIMEOUT": 0.25,  # seconds; a cache that waits longer fails (rate limits then fail open)
            "OPTIONS": {"size_limit": 256 * 2**20},
        }
    }
# Fragments every visitor sees alike, drawn once per web worker and keyed by a version the
# page computes (the resident's form: zhenwu.concerns.report_form_cache); process memory.
CACHES["fragments"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments"}

# Rate limits (django-ratelimit, zhenwu.lib.ratelimits) count in this cache. Its checks want a
# cache with atomic increments: Redis is one (Django's own backend, which the library does not
# list), and so is diskcache (each increment a transaction). A cache that fails lets residents
# through.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True
_RATELIMIT_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"]

# The public rates page (三率, /concerns/board/rates/) is kept this many seconds per town, month
# and department shown; the page says when its figures were computed. 0 computes every request.
ZHENWU_PUBLIC_RATES_CACHE_SECONDS = int(os.environ.get("ZHENWU_PUBLIC_RATES_CACHE_SECONDS", "60"))

# --- Accounts and login security (等保2.0 level 3 in spirit) ------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "zhenwu.accounts.backends.AccountBackend",  # ModelBackend, loading the account with its area
    # Kept so that sessions signed in before AccountBackend stay valid (Django keeps the backend's
    # path in the session); new sign-ins go through AccountBackend above.
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "zhenwu.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "reports:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout: 5 failures on one username lock it for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# Attempts while locked do not restart the 30 minutes (the lockout ends when the page says it does).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Locking by address as well would let one mistyping clerk lock a whole town office behind one NAT.
SILENCED_SYSTEM_CHECKS = ["axes.W006", *_RATELIMIT_CHECKS]
# Lockouts, the audit log and the rate limits see one client address (zhenwu.lib.request_context).
AXES_CLIENT_IP_CALLABLE = "zhenwu.lib.request_context.client_ip"

# Reverse proxies in front of the app servers (nginx, a load balancer), each appending the address
# it saw to X-Forwarded-For: 0 = the app server faces the clients and the header is ignored.
ZHENWU_PROXY_COUNT = int(os.environ.get("ZHENWU_PROXY_COUNT", "0"))

# Where sessions live (ZHENWU_SESSION_ENGINE): "db" (the default: the database every app server
# shares), "cache" (the default cache only: Redis when several app servers run; a flushed or
# restarted Redis logs everyone out) or "cached_db" (read from the cache, written through to the
# database). Every app server of a deployment must use the same.
_SESSION_ENGINES = {
    "db": "django.contrib.sessions.backends.db",
    "cache": "django.contrib.sessions.backends.cache",
    "cached_db": "django.contrib.sessions.backends.cached_db",
}
SESSION_ENGINE = _SESSION_ENGINES[os.environ.get("ZHENWU_SESSION_ENGINE", "db")]
# Idle logout: the session lives 30 minutes past the last request, to within a minute: it is saved
# (its expiry moved on) at most once a minute, not on every request (SessionIdleClockMiddleware).
SESSION_COOKIE_AGE = 30 * 60
# (At most half the idle limit: a longer interval would sign out a user who is still working.)
ZHENWU_SESSION_REFRESH_SECONDS = min(int(os.environ.get("ZHENWU_SESSION_REFRESH_SECONDS", "60")), SESSION_COOKIE_AGE // 2)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

OTP_TOTP_ISSUER = "镇务通"
# Roles that must pass a TOTP second factor before any page.
ZHENWU_SECOND_FACTOR_ROLES = [Role.TOWN_ADMIN]

# --- Audit ----------------------------------------------------------------------------------
AUDIT_RETENTION_DAYS = max(180, int(os.environ.get("ZHENWU_AUDIT_RETENTION_DAYS", "365")))

# --- I18N / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# ISO first among zh-hans *input* formats: HTML date inputs show nothing else (see the module).
FORMAT_MODULE_PATH = ["zhenwu.formats"]

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "zhenwu" / "static"]
WHITENOISE_USE_FINDERS = not PRODUCTION  # development serves straight from the source tree
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("ZHENWU_MEDIA_ROOT", DATA_DIR / "media"))

_s3_bucket = os.environ.get("ZHENWU_S3_BUCKET")
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": _s3_bucket,
                "endpoint_url": os.environ.get("ZHENWU_S3_ENDPOINT_URL"),
                "access_key": os.environ.get("ZHENWU_S3_ACCESS_KEY"),
                "secret_key": os.environ.get("ZHENWU_S3_SECRET_KEY"),
                "region_name": os.environ.get("ZHENWU_S3_REGION"),
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
        if _s3_bucket
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads: Excel rosters up to 20 MB; larger requests get a clear message, not a crash.
ZHENWU_MAX_UPLOAD_BYTES = int(os.environ.get("ZHENWU_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
# The form fields of a request (not its files); past it Django raises RequestDataTooBig, answered
# with the Chinese 413 page (zhenwu.lib.http_errors). Whole bodies: zhenwu.lib.uploads.max_request_bytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
CSRF_FAILURE_VIEW = "zhenwu.lib.http_errors.csrf_failure"

# --- Security headers (production) -----------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp), in development and production alike: everything comes from
# this server (no CDN, no inline script, no inline style: templates use classes, zhenwu/lib/styling.py),
# images may also be photos the browser previews (blob:, data:) or media on the S3 endpoint.
# Violations are reported to /csp-report/ and logged (zhenwu.lib.csp_report).
_csp_media = [
    f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" if urlsplit(url).netloc else url
    for url in (os.environ.get("ZHENWU_S3_ENDPOINT_URL"), os.environ.get("ZHENWU_MEDIA_ORIGIN"))
    if url
]
# The maps' tile layer (zhenwu.lib.maps): none unless configured, and then its servers' origins,
# and only those, join img-src. A configuration that cannot work stops the start with its message.
ZHENWU_MAP_TILES = _maps.tile_layer_from_env(os.environ)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_csp_media, *_maps.csp_origins(ZHENWU_MAP_TILES)],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "report-uri": ["/csp-report/"],
    },
}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("ZHENWU_SSL_REDIRECT", "1") == "1"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("ZHENWU_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    SILENCED_SYSTEM_CHECKS += ["security.W021"]  # HSTS preload is a choice for the site owner

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "zhenwu.lib.request_context.RequestIdFilter"},
        # Follow-link tokens and Open311 api_key values never reach a log line.
        "secrets": {"()": "zhenwu.lib.log_redaction.RedactSecretsFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "zhenwu.ops.jsonlog.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id", "secrets"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("ZHENWU_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
# bench/http_bench.py only: serve /bench/floor/, a bare view doing one INSERT into a table the benchmark
# created, as the floor its figures are compared with. Never on in production.
ZHENWU_BENCH_FLOOR = os.environ.get("ZHENWU_BENCH_FLOOR", "0") == "1" and not PRODUCTION

# ZHENWU_LOG_JSON=1: one JSON object per line (time, level, logger, message, request_id, ...).
ZHENWU_LOG_JSON = os.environ.get("ZHENWU_LOG_JSON", "0") == "1"
if ZHENWU_LOG_JSON:
    LOGGING["handlers"]["console"]["formatter"] = "json"

# Limits on anonymous writes (zhenwu.lib.ratelimits), e.g. "address=40/10m,all=1200/10m": a
# deployment where many residents share one address (a village office's network) raises them.
ZHENWU_ANONYMOUS_WRITE_RATES = dict(
    item.strip().split("=", 1)
    for item in os.environ.get("ZHENWU_ANONYMOUS_WRITE_RATES", "").split(",")
    if "=" in item
)

ZHENWU_TOWN_CODE = os.environ.get("ZHENWU_TOWN_CODE", "")
# The number residents are told to call when the web form refuses them (rate limits, errors).
ZHENWU_HOTLINE = os.environ.get("ZHENWU_HOTLINE", "")
# 回访: 联系不上 may be recorded after this many unanswered attempts on different working days
# (zhenwu.concerns.callbacks).
ZHENWU_CALLBACK_ATTEMPTS = max(1, int(os.environ.get("ZHENWU_CALLBACK_ATTEMPTS", "3")))
# 回访 不满意 reopens a concern for 重办 this many times; a resident still unsatisfied after them is
# recorded as 不满意 and the concern closes (a dispatcher may still reopen it by hand).
ZHENWU_MAX_REOPENINGS = max(0, int(os.environ.get("ZHENWU_MAX_REOPENINGS", "1")))

# The site's public address (scheme and host, no trailing slash), for links that leave the site:
# every SMS to a resident carries one (zhenwu.concerns.notify). `make run` sets it to its port.
SITE_URL = os.environ.get("ZHENWU_SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")

# --- SMS (zhenwu.lib.sms, zhenwu.lib.sms_gateways) ----------------------------------------------
# logging (default: nothing leaves), memory, aliyun, tencent, or a dotted class path.
ZHENWU_SMS_BACKEND = os.environ.get("ZHENWU_SMS_BACKEND", "logging")
ZHENWU_SMS_ACCESS_KEY_ID = os.environ.get("ZHENWU_SMS_ACCESS_KEY_ID", "")
ZHENWU_SMS_ACCESS_KEY_SECRET = os.environ.get("ZHENWU_SMS_ACCESS_KEY_SECRET", "")
ZHENWU_SMS_SIGN_NAME = os.environ.get("ZHENWU_SMS_SIGN_NAME", "")
ZHENWU_SMS_APP_ID = os.environ.get("ZHENWU_SMS_APP_ID", "")  # Tencent's SmsSdkAppId
ZHENWU_SMS_REGION = os.environ.get("ZHENWU_SMS_REGION", "")
ZHENWU_SMS_ENDPOINT = os.environ.get("ZHENWU_SMS_ENDPOINT", "")
ZHENWU_SMS_TIMEOUT = float(os.environ.get("ZHENWU_SMS_TIMEOUT", "5"))
# Limits of 我的反映's codes (zhenwu.concerns.views.mine.RATES), e.g. "phone=5/h,address=40/h".
ZHENWU_MINE_RATES = dict(
    item.strip().split("=", 1) for item in os.environ.get("ZHENWU_MINE_RATES", "").split(",") if "=" in item
)
# "code=SMS_123,notice=SMS_456": the approved template of each kind of message.
ZHENWU_SMS_TEMPLATES = dict(
    item.strip().split("=", 1) for item in os.environ.get("ZHENWU_SMS_TEMPLATES", "").split(",") if "=" in item
)

# --- APIs: Open311 GeoReport v2 (/open311/v2/) and the staff JSON API (/api/v1/) -------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "zhenwu.accounts.api_auth.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "zhenwu.concerns.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "镇务通 工作人员接口",
    "DESCRIPTION": "民情诉求的查询与办理（与页面同一套权限和业务规则）。说明见 docs/api.md。",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "zhenwu.concerns.models.Channel.choices",
        "ConcernStatusEnum": "zhenwu.concerns.models.Status.choices",
        "CallBackResultEnum": "zhenwu.concerns.models.CallBackResult.choices",
        "CallAttemptChannelEnum": "zhenwu.concerns.models.AttemptChannel.choices",
    },
}
# Where an Open311 request that names no village lands (an area code; default: the town's first
# village or community), and the contact published in discovery.
ZHENWU_OPEN311_DEFAULT_AREA = os.environ.get("ZHENWU_OPEN311_DEFAULT_AREA", "")
ZHENWU_OPEN311_CONTACT = os.environ.get("ZHENWU_OPEN311_CONTACT", "镇党政办（民情受理中心）")

# --- Operations (zhenwu.ops; docs/operations.md) ---------------------------------------------
# Periodic commands and how often each is expected to run (seconds). /healthz turns unhealthy
# when one's last successful run is older than its interval plus a grace period; the status
# page /ops/ lists the runs. ZHENWU_PERIODIC_CHECK=0 leaves them out of /healthz.
ZHENWU_PERIODIC = {
    "escalate_overdue_concerns": 15 * 60,
    "backup": 24 * 3600,
    "verify_audit_chain": 24 * 3600,
    "purge_job_files": 24 * 3600,
    "generate_makeup_tasks": 24 * 3600,
    "send_missing_lists": 7 * 24 * 3600,
    "prune_audit": 31 * 24 * 3600,
}
# A running background job whose worker wrote no heartbeat (progress) for this many seconds is
# taken to have lost its worker and goes back to the queue (zhenwu.jobs.services.requeue_stale_jobs).
ZHENWU_JOB_STALE_SECONDS = float(os.environ.get("ZHENWU_JOB_STALE_SECONDS", "300"))
ZHENWU_PERIODIC_CHECK = os.environ.get("ZHENWU_PERIODIC_CHECK", "1") == "1"
ZHENWU_BACKUP_DIR = os.environ.get("ZHENWU_BACKUP_DIR", str(DATA_DIR / "backups"))
