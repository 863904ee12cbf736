"""Settings for the recidivism-prevention plan portal.

Everything that differs between a laptop and a city's server comes from
environment variables; the defaults are safe (DEBUG off, secure cookies and
HTTPS on) and need nothing installed beyond Python: SQLite is the default
database.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    """Read a boolean variable; refuse anything but a clear yes or no."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def upload_storage(environ) -> dict:
    """Where uploaded files are kept: the disk under MEDIA_ROOT, or with S3_BUCKET an S3-compatible bucket.

    Several app servers need the bucket: each reads what another stored. Credentials come from
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the machine's role), read by boto3 itself.
    """
    bucket = environ.get("S3_BUCKET")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    endpoint = environ.get("S3_ENDPOINT_URL") or None
    return {
        "BACKEND": "reoffense_portal.machinery.object_storage.ObjectStorage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": environ.get("S3_REGION") or None,
            # Every S3-compatible server answers path-style requests; AWS itself prefers its own choice.
            "addressing_style": environ.get("S3_ADDRESSING_STYLE") or ("path" if endpoint else None),
        },
    }
def envnetworks(name: str, default: str) -> list[str]:
    """Read comma-separated addresses or networks (`10.0.0.5`, `10.0.0.0/24`, `::1`); refuse "everyone"."""
    networks = []
    for item in envlist(name, default):
        if item == "*":
            raise ImproperlyConfigured(f"{name} must name the proxies, not every address ('*')")
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network") from None
        if network.prefixlen == 0:
            raise ImproperlyConfigured(f"{name} must name the proxies, not every address ({item!r})")
        networks.append(str(network))
    return networks


DEBUG = envbool("DEBUG", False)
# The fallback key is only good for development; `check --deploy` flags it.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-development-key-do-not-use-in-production"
# Signs every backup's manifest (reoffense_portal/backups.py), so a restore refuses a changed archive. Keep it apart
# from the archives and give the restoring server the same. Without it a key derived from SECRET_KEY (and its
# fallbacks) signs; `check --deploy` warns when that is the development key.
BACKUP_SIGNING_KEY = os.environ.get("BACKUP_SIGNING_KEY", "")
# The backup's rows keep their times to the microsecond (Django's JSON stops at the millisecond).
SERIALIZATION_MODULES = {"exact-json": "reoffense_portal.machinery.exact_json"}
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "reoffense_portal.app_configs.PortalAdminConfig",  # django.contrib.admin with labelled autocomplete
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "import_export",
    "simple_history",
    "reoffense_portal.app_configs.LoginRecordsConfig",  # django-axes, named in Japanese
    "health_check",  # its `manage.py health_check` command; /health/ is reoffense_portal.health
    "django_tasks",
    "django_tasks_db",
    # Long work as jobs on the task queue, with progress staff can watch (ground floor: imports no app).
    "reoffense_portal.machinery.jobs",
    # Ground floor: rate limits every server process shares (their counters), client addresses.
    "reoffense_portal.machinery.limits",
    "plans",
    "measures",
    "councils",
    # Composes the three apps above: approval and the published versions residents read.
    "reoffense_portal.composition.publishing",
    # Composes the dashboard's items into the weekly reminder mail to staff.
    "reoffense_portal.composition.reminders",
    # Composes plans and publishing: パブリックコメント on a draft plan, and its published result.
    "reoffense_portal.composition.consultation",
    # The project itself, for its site-wide commands (backup, restore) and their deploy check.
    "reoffense_portal.app_configs.PortalConfig",
]

MIDDLEWARE = [
    # First: X-Forwarded-Proto counts only from TRUSTED_PROXIES, before anything asks for https.
    "reoffense_portal.machinery.limits.addresses.TrustedProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session's: a response that sets a cookie is never marked for a shared cache (public.caching).
    "reoffense_portal.composition.public.caching.PrivateWhenCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it answers locked-out logins itself.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "reoffense_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

WSGI_APPLICATION = "reoffense_portal.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has one writer at a time, and a job's import holds it for its whole transaction. Each
    # transaction asks for it at BEGIN (IMMEDIATE), waiting up to `timeout` seconds, instead of failing
    # ("database is locked") when a transaction that began by reading must start writing while
    # another process writes; in WAL mode reads never wait for the writer (a job's page and its bar).
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
        "timeout": 20,
    })
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Seconds a shared cache (a proxy, a CDN) may keep a published page or download without asking again;
# 0 (the default): it must ask each time, so an ended publication is gone at once (public.caching).
PUBLIC_CACHE_SECONDS = envint("PUBLIC_CACHE_SECONDS", 0)

# Public pages need no shared cache: what is live is read from the database on each request, and
# the rate limits and login lockouts count in the database (reoffense_portal.machinery.limits). With REDIS_URL
# (e.g. redis://127.0.0.1:6379/0) the cache and the rate limits' counters live in Redis instead.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "reoffense-portal",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "reoffense-portal",
        }
    }

# Long work (imports, typesetting PDFs, backups, reminders) runs as jobs on Django's Tasks API
# (DEP 14, the django-tasks backport), never in a web request. By default the queue is a table of
# this database, worked by `manage.py run_worker`: no extra service. A site that outgrows it sets
# TASKS_BACKEND=rq with REDIS_URL and runs `manage.py rqworker default` instead.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND") or "database"
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "rq":
    if not os.environ.get("REDIS_URL"):
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL")
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": os.environ["REDIS_URL"], "DEFAULT_TIMEOUT": 3600}}
elif TASKS_BACKEND == "immediate":
    # Development only: each job runs inside the request that starts it.
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be database, rq or immediate, not {TASKS_BACKEND!r}")
# A running job that has not reported for this many seconds was cut off (its worker was killed):
# it is marked failed with a Japanese reason, or tried again where that is safe.
JOBS_STALE_SECONDS = envint("JOBS_STALE_SECONDS", 120)
# Progress of running jobs on SQLite (one machine): small files any process reads (jobs/progress.py).
JOBS_PROGRESS_DIR = Path(os.environ.get("JOBS_PROGRESS_DIR") or BASE_DIR / "var" / "jobs")
# Days a finished job stays in staff's list of their jobs.
JOBS_KEEP_DAYS = envint("JOBS_KEEP_DAYS", 7)
# The worker mails staff what is due each weekday at this hour, Japan's time (reminders/mail.py).
SEND_REMINDERS = envbool("SEND_REMINDERS", True)
REMINDER_HOUR = envint("REMINDER_HOUR", 8)
if not 0 <= REMINDER_HOUR <= 23:
    raise ImproperlyConfigured(f"REMINDER_HOUR must be an hour from 0 to 23, not {REMINDER_HOUR}")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
# Japanese for the libraries that ship none (django-axes' login records).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
# Plan documents and meeting materials: under MEDIA_ROOT, or in the bucket S3_BUCKET (reoffense_portal/machinery/object_storage.py).
STORAGES = {
    "default": upload_storage(os.environ),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = envbool("WHITENOISE_USE_FINDERS", True)
WHITENOISE_MANIFEST_STRICT = False
# Plan documents and meeting materials (reoffense_portal/machinery/uploads.py): accepted kinds only, each file at most UPLOAD_MAX_MB;
# of a larger one no more than that is written to disk before the form refuses it with its size.
UPLOAD_MAX_MB = envint("UPLOAD_MAX_MB", 20)
# A Word, Excel, PowerPoint or OpenDocument file may expand to at most this many MB (its zip's directory says).
UPLOAD_MAX_EXPANDED_MB = envint("UPLOAD_MAX_EXPANDED_MB", 200)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "reoffense_portal.machinery.uploads.SizeLimitedUploadHandler",
]
# The form fields of one request, files not counted (a larger request is answered 400, templates/400.html).
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# PDF summaries (概要版, 進捗状況報告): a render running longer is stopped with a Japanese error.
PDF_RENDER_TIMEOUT = envint("PDF_RENDER_TIMEOUT", 20)
# Small-number protection (reoffense_portal/machinery/disclosure.py): counts about people below this are published as
# 「3人未満」, never exactly, on public pages, the public 概要版 and the open data; staff see them exactly.
SMALL_NUMBER_THRESHOLD = envint("SMALL_NUMBER_THRESHOLD", 3)

# Approval (承認): a publisher may approve a change they submitted themselves only where this is on
# (a small town with one member of staff). Mail to submitters and publishers goes through EMAIL_URL
# (e.g. smtp://user:password@mail.example.lg.jp:587?tls=True); without it, to the console (the log).
PUBLISHING_SELF_APPROVAL = envbool("PUBLISHING_SELF_APPROVAL", False)
# パブリックコメント: commenters' names and addresses are erased this many days after the result is
# published (`manage.py erase_commenter_data`, daily from cron); opinions and the result stay.
CONSULTATION_PERSONAL_DATA_RETENTION_DAYS = envint("CONSULTATION_PERSONAL_DATA_RETENTION_DAYS", 365)
globals().update(dj_email_url.parse(os.environ.get("EMAIL_URL") or "console://"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
# The portal's address in e-mails (links to the admin), e.g. https://saihan.example.lg.jp
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Spreadsheet import/export (reoffense_portal/machinery/spreadsheets/): staff need the explicit
# permissions import_<model> / export_<model> (Meta.permissions on the models), which
# plans/roles.py grants to the staff groups after every migrate; every import runs in one transaction.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_USE_TRANSACTIONS = True
# What one import may hold: a file of IMPORT_MAX_MB megabytes with IMPORT_MAX_ROWS rows below its
# header line. Larger files are refused, with a Japanese message naming the limit, before their rows are read.
IMPORT_MAX_MB = envint("IMPORT_MAX_MB", 10)
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 100_000)

# The reverse proxies in front of the portal (addresses or networks). Only from them are
# X-Forwarded-For (the client's address: the right-most entry that is not a proxy) and
# X-Forwarded-Proto believed, by Django (reoffense_portal.machinery.limits.addresses) and by gunicorn
# (gunicorn.conf.py). None by default: the client is the connection's address. FORWARDED_ALLOW_IPS,
# gunicorn's name for the same list, is read when TRUSTED_PROXIES is not set.
TRUSTED_PROXIES = envnetworks(
    "TRUSTED_PROXIES" if "TRUSTED_PROXIES" in os.environ else "FORWARDED_ALLOW_IPS", ""
)
if os.environ.get("CLIENT_IP_HEADER"):
    raise ImproperlyConfigured(
        "CLIENT_IP_HEADER is no longer read: a client can forge that header. Name the reverse proxies in "
        "TRUSTED_PROXIES (e.g. TRUSTED_PROXIES=127.0.0.1) and have them append X-Forwarded-For."
    )
# Production safety: on unless explicitly switched off (e.g. `make run` locally).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # load balancers probe the server itself over plain HTTP
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response, the admin's too: scripts, styles and images
# only from the site's own files, so no inline script, event handler or style runs or applies (the
# templates have none; the KPI charts' SVG draws with presentation attributes), no plugins, no base
# URL or framing from elsewhere, and forms post only to the site itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# The accessibility record /accessibility/ shows, written by `manage.py accessibility_test` (a real run of
# axe-core over the public pages); the release carries the record of its own run on the demo site.
ACCESSIBILITY_RECORD = os.environ.get("ACCESSIBILITY_RECORD", str(BASE_DIR / "records" / "accessibility.json"))
# Residents read a Japanese page when a form's CSRF check fails.
CSRF_FAILURE_VIEW = "reoffense_portal.composition.public.views.csrf_failure"

# Staff log in at the admin's own page; a login whose `next` address is refused (another site,
# a mistyped path) lands on the admin index rather than Django's /accounts/profile/, which is no page here.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# Staff share office PCs: sessions end when the browser closes and after an
# hour without activity.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True

# Login lockout (reoffense_portal.machinery.limits.logins), on the client's real address and in the database:
# five failures lock the user name from that address, and LOGIN_ADDRESS_FAILURE_LIMIT failures
# from one address lock the address, for a cool-off period, never for good.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LOGIN_ADDRESS_FAILURE_LIMIT = envint("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_CLIENT_IP_CALLABLE = "reoffense_portal.machinery.limits.addresses.client_address"
AXES_HANDLER = "reoffense_portal.machinery.limits.logins.LoginLockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "plans.admin_login.lockout_response"  # a Japanese page with the wait

# One line per event on standard error (reoffense_portal.machinery.logformat), staff actions included
# (reoffense_portal.machinery.audit, logger portal.staff): plain `2026-12-01T10:15:00+09:00 INFO name message` or json.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or "plain"
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "reoffense_portal.machinery.logformat.PlainFormatter"},
        "json": {"()": "reoffense_portal.machinery.logformat.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # One handler for everything: Django's own console handler would print each line twice.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
