"""Settings for the recidivism-prevention plan portal.

Everything that differs between a laptop and a city's server comes from
environment variables; the defaults are safe (DEBUG off, secure cookies and
HTTPS on) and need nothing installed beyond Python: SQLite is the default
database.
"""

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


DEBUG = envbool("DEBUG", False)
# The fallback key is only good for development; `check --deploy` flags it.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-development-key-do-not-use-in-production"
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
    "plans",
    "measures",
    "councils",
    # Composes the three apps above: approval and the published versions residents read.
    "reoffense_portal.publishing",
    # Composes the dashboard's items into the weekly reminder mail to staff.
    "reoffense_portal.reminders",
    # Composes plans and publishing: パブリックコメント on a draft plan, and its published result.
    "reoffense_portal.consultation",
    # The project itself, for its site-wide commands (backup, restore).
    "reoffense_portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Public pages need no shared cache: what is live is read from the database on each request. The
# page survey's rate limit counts per address in this cache, so with several server processes set
# REDIS_URL (e.g. redis://127.0.0.1:6379/0) for one count across them; `check --deploy` warns otherwise.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = envbool("WHITENOISE_USE_FINDERS", True)
WHITENOISE_MANIFEST_STRICT = False
# Plan documents and meeting materials (reoffense_portal/uploads.py): accepted kinds only, each file at most UPLOAD_MAX_MB;
# of a larger one no more than that is written to disk before the form refuses it with its size.
UPLOAD_MAX_MB = envint("UPLOAD_MAX_MB", 20)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "reoffense_portal.uploads.SizeLimitedUploadHandler",
]
# The form fields of one request, files not counted (a larger request is answered 400, templates/400.html).
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# PDF summaries (概要版, 進捗状況報告): a render running longer is stopped with a Japanese error.
PDF_RENDER_TIMEOUT = envint("PDF_RENDER_TIMEOUT", 20)
# Small-number protection (plans/disclosure.py): counts about people below this are published as
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

# Spreadsheet import/export (reoffense_portal/spreadsheets/): staff need the explicit
# permissions import_<model> / export_<model> (Meta.permissions on the models), which
# plans/roles.py grants to the staff groups after every migrate; every import runs in one transaction.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_USE_TRANSACTIONS = True
# What one import may hold: a file of IMPORT_MAX_MB megabytes with IMPORT_MAX_ROWS rows below its
# header line. Larger files are refused, with a Japanese message naming the limit, before their rows are read.
IMPORT_MAX_MB = envint("IMPORT_MAX_MB", 10)
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 100_000)

# Production safety: on unless explicitly switched off (e.g. `make run` locally).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind a reverse proxy every request comes from the proxy's address: name the header it sets
# with the resident's address (e.g. HTTP_X_REAL_IP), so the page survey's rate limit counts residents.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")
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
# Residents read a Japanese page when a form's CSRF check fails.
CSRF_FAILURE_VIEW = "reoffense_portal.public.views.csrf_failure"

# Staff log in at the admin's own page; a login whose `next` address is refused (another site,
# a mistyped path) lands on the admin index rather than Django's /accounts/profile/, which is no page here.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# Staff share office PCs: sessions end when the browser closes and after an
# hour without activity.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True

# Login lockout: five failures lock the user name from that address for a
# cool-off period, never for good.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "plans.admin_login.lockout_response"  # a Japanese page with the wait

# One line per event on standard error (reoffense_portal.logformat), staff actions included
# (plans.audit, logger portal.staff): plain `2026-12-01T10:15:00+09:00 INFO name message` or json.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or "plain"
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "reoffense_portal.logformat.PlainFormatter"},
        "json": {"()": "reoffense_portal.logformat.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # One handler for everything: Django's own console handler would print each line twice.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
