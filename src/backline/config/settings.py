"""Backline settings, read from the environment.

DATABASE_URL        database (default: SQLite file under BACKLINE_DATA_DIR, WAL mode)
BACKLINE_DATA_DIR   where the SQLite database, secret key and uploaded files live (default ./var)
BACKLINE_SECRET_KEY secret key (default: generated once and kept in the data dir)
DEBUG               "1"/"true" turns debug on; off otherwise
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent.parent  # the checkout, for node_modules in development installs


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("BACKLINE_DATA_DIR", "var")).resolve()


def _secret_key() -> str:
    key = os.environ.get("BACKLINE_SECRET_KEY")
    if key:
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Created with 0600 so other local users cannot read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_flag("DEBUG")
ALLOWED_HOSTS = [
    h for h in os.environ.get("BACKLINE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("BACKLINE_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "template_partials",
    "backline.core",
    "backline.accounts",
    "backline.cmdb",
    "backline.notifications",
    "backline.tickets",
    "backline.escalation",
    "backline.sla",
    "backline.search",
    "backline.knowledge",
    "backline.changes",
    "backline.problems",
    "backline.diagnostics",
    "backline.intake",
    "backline.webhooks",
    "backline.portal",
    "backline.mailout",
    "backline.worklog",
    "backline.satisfaction",
    "backline.imports",
    "backline.analytics",
    "backline.staffing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "backline.core.middleware.ApiJsonErrorMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "backline.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "backline.config.urls"
WSGI_APPLICATION = "backline.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "backline.core.context_processors.navigation",
                "backline.escalation.context_processors.navigation",
                "backline.knowledge.context_processors.navigation",
                "backline.notifications.context_processors.notifications",
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                "backline.core.templatetags.backline",
            ],
        },
    }
]


def _databases() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        db = dj_database_url.parse(
            url, conn_max_age=int(os.environ.get("BACKLINE_CONN_MAX_AGE", "60"))
        )
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "backline.sqlite3")}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("OPTIONS", {}).update(
            {
                # IMMEDIATE takes the write lock when a transaction starts, so two writers queue
                # on the busy timeout instead of failing on a lock upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            }
        )
    return {"default": db}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:queue"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_flag("BACKLINE_SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_flag("BACKLINE_SECURE_COOKIES")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("BACKLINE_TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    # htmx from npm (package.json), installed by `make` into node_modules; never copied by hand.
    ("vendor/htmx", PROJECT_DIR / "node_modules" / "htmx.org" / "dist"),
    # Chart.js for the analytics charts, from npm in the same way.
    ("vendor/chartjs", PROJECT_DIR / "node_modules" / "chart.js" / "dist"),
]
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads: anything larger goes to a temporary file, and attachments over the limit are refused.
BACKLINE_MAX_ATTACHMENT_BYTES = (
    int(os.environ.get("BACKLINE_MAX_ATTACHMENT_MB", "25")) * 1024 * 1024
)
# Logs for diagnostics are read in a streaming way, so they may be much larger than attachments.
BACKLINE_MAX_LOG_BYTES = int(os.environ.get("BACKLINE_MAX_LOG_MB", "2048")) * 1024 * 1024
# The desk's own address, for absolute links in webhook payloads and emails ("" = paths only).
BACKLINE_BASE_URL = os.environ.get("BACKLINE_BASE_URL", "")
# Email out (docs/email_out.md): nothing is queued while BACKLINE_SMTP_HOST is empty.
BACKLINE_SMTP_HOST = os.environ.get("BACKLINE_SMTP_HOST", "")
BACKLINE_SMTP_PORT = int(os.environ.get("BACKLINE_SMTP_PORT", "587"))
BACKLINE_SMTP_USER = os.environ.get("BACKLINE_SMTP_USER", "")
BACKLINE_SMTP_PASSWORD = os.environ.get("BACKLINE_SMTP_PASSWORD", "")
BACKLINE_SMTP_STARTTLS = os.environ.get("BACKLINE_SMTP_STARTTLS", "1").lower() in {
    "1",
    "true",
    "yes",
}
BACKLINE_MAIL_FROM = os.environ.get("BACKLINE_MAIL_FROM", "Backline <backline@localhost>")
BACKLINE_MAIL_DOMAIN = os.environ.get("BACKLINE_MAIL_DOMAIN", "backline.localhost")
# A directory of logs the server can read (a mounted log share); engineers attach by path.
BACKLINE_LOG_SHARE = os.environ.get("BACKLINE_LOG_SHARE", "")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Login throttling: failures per username (and per client address) in a sliding window.
BACKLINE_LOGIN_MAX_FAILURES = int(os.environ.get("BACKLINE_LOGIN_MAX_FAILURES", "5"))
BACKLINE_LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("BACKLINE_LOGIN_MAX_FAILURES_PER_IP", "30"))
BACKLINE_LOGIN_WINDOW_SECONDS = int(os.environ.get("BACKLINE_LOGIN_WINDOW_SECONDS", "900"))

# How long a stored Idempotency-Key answers retries.
BACKLINE_IDEMPOTENCY_TTL_HOURS = 24

BACKLINE_PAGE_SIZE = 50

# Background tasks: stored in the database and run by `backline worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
BACKLINE_WORKER_INTERVAL_SECONDS = int(os.environ.get("BACKLINE_WORKER_INTERVAL", "15"))
BACKLINE_AUTOCLOSE_DAYS = int(os.environ.get("BACKLINE_AUTOCLOSE_DAYS", "5"))
# A task still "running" this long after it started belongs to a dead worker and runs again;
# tasks must therefore be idempotent (they take ids and call services that check state).
BACKLINE_TASK_LEASE_SECONDS = int(os.environ.get("BACKLINE_TASK_LEASE_SECONDS", "900"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BACKLINE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
