"""Backline settings, read from the environment.

DATABASE_URL        database (default: SQLite file under BACKLINE_DATA_DIR, WAL mode)
BACKLINE_DATA_DIR   where the SQLite database, secret key and uploaded files live (default ./var)
BACKLINE_SECRET_KEY secret key (default: generated once and kept in the data dir)
DEBUG               "1"/"true" turns debug on; off otherwise
BACKLINE_TLS        "1" when users reach the desk over HTTPS: secure cookies, HSTS, HTTPS redirect
BACKLINE_BEHIND_PROXY "1" when a reverse proxy terminates TLS and sets X-Forwarded-Proto
BACKLINE_CONN_MAX_AGE seconds a database connection stays open between requests (default 60;
                    SQLite, and PostgreSQL with BACKLINE_DB_POOL=0)
BACKLINE_DB_POOL    PostgreSQL connection pool per process (psycopg_pool): on unless "0"
BACKLINE_DB_POOL_MIN / _MAX  connections a process keeps open / may open (default 1 / 4)
BACKLINE_DB_POOL_TIMEOUT     seconds a request waits for a free pooled connection (default 10)
BACKLINE_GZIP       "0" leaves compressing pages to the reverse proxy (default: gzip here)
(docs/deployment.md explains the database and compression settings.)
(docs/security.md, "Web hardening", lists the rest.)
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent.parent  # the checkout, for node_modules in development installs


def env_flag(name: str, default: bool = False, *, environ: Mapping[str, str] = os.environ) -> bool:
    value = environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("BACKLINE_DATA_DIR", "var")).resolve()


def data_dir_create(path: Path) -> Path:
    """The data dir, created readable by its owner only (0700); an existing one is left as is."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def private_file_create(path: Path, content: str = "") -> None:
    """Create `path` with mode 0600 from the start and whole before it appears; keep an old one.

    Written beside it under a unique name and hard-linked into place, so a second process (another
    gunicorn worker starting at the same moment) either wins or reads the whole file, never half.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        # Made by another process first: theirs is the one everybody uses.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def secret_file_read(path: Path) -> str:
    """A secret kept in a file, refused when other users could read or change it."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"{path} is open to other users (mode {mode:o}); it must be readable by its owner "
            f"only. Run: chmod 600 {path}"
        )
    return path.read_text().strip()


def _secret_key(data_dir: Path) -> str:
    """BACKLINE_SECRET_KEY, or the key generated once into the data dir (mode 0600)."""
    key = os.environ.get("BACKLINE_SECRET_KEY")
    if key:
        return key
    path = data_dir_create(data_dir) / "secret_key"
    if not path.exists():
        private_file_create(path, secrets.token_urlsafe(50))
    return secret_file_read(path)


SECRET_KEY = _secret_key(DATA_DIR)
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
    "csp",
    # Listed so the API docs page serves Swagger UI from our static files, not a CDN (CSP).
    "ninja",
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
    "backline.audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "backline.core.middleware.ApiJsonErrorMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: each request becomes the acting scope of the audit log.
    "backline.audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "backline.core.middleware.DomainErrorMiddleware",
]
# Pages and API answers gzip-compressed here (static files come precompressed from whitenoise,
# which answers them before this runs). BREACH is mitigated: Django masks the CSRF token anew on
# every response, GZipMiddleware pads each answer with random bytes (Heal The Breach), and
# SameSite=Lax cookies keep other sites' sub-requests unauthenticated; docs/deployment.md,
# "Compression". BACKLINE_GZIP=0 leaves it to a reverse proxy that compresses itself.
BACKLINE_GZIP = env_flag("BACKLINE_GZIP", default=True)
if BACKLINE_GZIP:
    # Right after whitenoise: above everything that writes the body, below what only sets headers.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
        "django.middleware.gzip.GZipMiddleware",
    )

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


SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; "
    # Reads straight from the OS page cache instead of copying each page into SQLite's own
    # buffer: a mapping of up to 256 MiB, shared by every process that opens the file.
    "PRAGMA mmap_size=268435456; "
    # A negative size is in KiB: up to 64 MiB of page cache per connection, filled as read.
    "PRAGMA cache_size=-65536; "
    # Sorts and temporary indexes of big reports in memory rather than in files under /tmp.
    "PRAGMA temp_store=MEMORY;"
)


def _int_env(environ: Mapping[str, str], name: str, default: int) -> int:
    from django.core.exceptions import ImproperlyConfigured

    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def databases_from_env(environ: Mapping[str, str], *, data_dir: Path) -> dict[str, dict]:
    """DATABASES for an environment: a pure function of it, so tests build it for any setting.

    PostgreSQL pools its connections (psycopg_pool, Django's `OPTIONS["pool"]`) unless
    BACKLINE_DB_POOL=0; Django refuses a pool together with persistent connections, so
    CONN_MAX_AGE is 0 then and BACKLINE_CONN_MAX_AGE applies only without a pool. SQLite keeps its
    connection open between requests too: opening one runs the pragmas below each time.
    Health checks are on for both: a connection the database dropped (a restart, a failover, an
    idle timeout) is replaced before a request uses it instead of failing that request.
    """
    from django.core.exceptions import ImproperlyConfigured

    conn_max_age = _int_env(environ, "BACKLINE_CONN_MAX_AGE", 60)
    url = environ.get("DATABASE_URL")
    if url:
        db = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    else:
        path = data_dir_create(data_dir) / "backline.sqlite3"
        if not path.exists():
            # It holds password hashes and stored credentials: 0600, which SQLite then gives its
            # -wal and -shm files too.
            private_file_create(path)
        db = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": True,
        }
    options = db.setdefault("OPTIONS", {})
    if db["ENGINE"] == "django.db.backends.sqlite3":
        options.update(
            {
                # IMMEDIATE takes the write lock when a transaction starts, so two writers queue
                # on the busy timeout instead of failing on a lock upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": SQLITE_PRAGMAS,
            }
        )
    if db["ENGINE"] == "django.db.backends.postgresql":
        # Short queries do not repay JIT compilation: PostgreSQL compiles whenever a plan's
        # estimated cost passes jit_above_cost, which a search over a common word does, adding
        # ~20 ms to a 30 ms query. A server-wide setting still wins where the URL sets options.
        options.setdefault("options", "-c jit=off")
    if db["ENGINE"] == "django.db.backends.postgresql" and env_flag(
        "BACKLINE_DB_POOL", default=True, environ=environ
    ):
        # One pool per process. gunicorn's sync workers use one connection at a time, gthread
        # workers one per thread, so max_size is the threads a process runs plus one spare;
        # docs/deployment.md has the arithmetic against PostgreSQL's max_connections.
        min_size = _int_env(environ, "BACKLINE_DB_POOL_MIN", 1)
        max_size = _int_env(environ, "BACKLINE_DB_POOL_MAX", 4)
        if not 0 <= min_size <= max_size or max_size < 1:
            raise ImproperlyConfigured(
                f"BACKLINE_DB_POOL_MIN ({min_size}) must be between 0 and "
                f"BACKLINE_DB_POOL_MAX ({max_size}), and the maximum at least 1"
            )
        options["pool"] = {
            "min_size": min_size,
            "max_size": max_size,
            # A request waits this long for a free connection, then fails, instead of hanging
            # for psycopg's default 30 s while the load balancer's clients time out anyway.
            "timeout": float(_int_env(environ, "BACKLINE_DB_POOL_TIMEOUT", 10)),
        }
        db["CONN_MAX_AGE"] = 0
    return {"default": db}


def _databases() -> dict[str, dict]:
    """DATABASES for this process's environment and data dir (read when called)."""
    return databases_from_env(os.environ, data_dir=DATA_DIR)


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
# Password policy (docs/security.md): applied by user_create (UI, CLI, demo-free paths) and by
# the admin's add-user and change-password forms.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("BACKLINE_PASSWORD_MIN_LENGTH", "12"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "backline.accounts.password_validation.NoIdentityInPasswordValidator"},
]

# Optional single sign-on with OpenID Connect (docs/security.md). On only when the provider's
# endpoints and this desk's client id and secret are all set; nothing is discovered at run time.
BACKLINE_OIDC_PROVIDER_NAME = os.environ.get("BACKLINE_OIDC_PROVIDER_NAME", "single sign-on")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("BACKLINE_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("BACKLINE_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("BACKLINE_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("BACKLINE_OIDC_JWKS_ENDPOINT", "")
OIDC_RP_CLIENT_ID = os.environ.get("BACKLINE_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("BACKLINE_OIDC_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("BACKLINE_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("BACKLINE_OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = env_flag("BACKLINE_OIDC_USE_PKCE", default=True)
OIDC_CREATE_USER = env_flag("BACKLINE_OIDC_CREATE_USERS")
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
BACKLINE_OIDC_ISSUER = os.environ.get("BACKLINE_OIDC_ISSUER", "")
# Staff roles only ever come from the provider through this mapping: a claim (a string or a list
# of strings, e.g. "groups") and "value=role" pairs, e.g. "desk-agents=agent,desk-leads=manager".
BACKLINE_OIDC_ROLE_CLAIM = os.environ.get("BACKLINE_OIDC_ROLE_CLAIM", "")
BACKLINE_OIDC_ROLE_MAP = os.environ.get("BACKLINE_OIDC_ROLE_MAP", "")
BACKLINE_OIDC_ENABLED = all(
    (
        OIDC_OP_AUTHORIZATION_ENDPOINT,
        OIDC_OP_TOKEN_ENDPOINT,
        OIDC_OP_USER_ENDPOINT,
        OIDC_RP_CLIENT_ID,
        OIDC_RP_CLIENT_SECRET,
    )
) and (bool(OIDC_OP_JWKS_ENDPOINT) or not OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")))
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
if BACKLINE_OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("backline.accounts.oidc.OIDCBackend")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# TLS: on when users reach the desk over HTTPS (directly or through a proxy). The older
# BACKLINE_SECURE_COOKIES still turns on the secure cookie flags alone.
BACKLINE_TLS = env_flag("BACKLINE_TLS")
SESSION_COOKIE_SECURE = BACKLINE_TLS or env_flag("BACKLINE_SECURE_COOKIES")
CSRF_COOKIE_SECURE = BACKLINE_TLS or env_flag("BACKLINE_SECURE_COOKIES")
SECURE_SSL_REDIRECT = BACKLINE_TLS and env_flag("BACKLINE_SSL_REDIRECT", default=True)
# Load balancers probe over plain HTTP inside the network: a 301 would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Only sent over HTTPS by SecurityMiddleware; a year, as the HSTS preload list expects.
SECURE_HSTS_SECONDS = (
    int(os.environ.get("BACKLINE_HSTS_SECONDS", "31536000")) if BACKLINE_TLS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("BACKLINE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_flag("BACKLINE_HSTS_PRELOAD")
# W021 (no HSTS preload) is silenced: joining the browsers' preload list binds the whole domain
# and its subdomains to HTTPS for good, a decision for whoever owns the domain, so it is opt-in.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Trust X-Forwarded-Proto only when a proxy we run sets it; otherwise a client could claim HTTPS.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_flag("BACKLINE_BEHIND_PROXY") else None
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts and styles only from our own static files. No
# template holds an inline <script>, <style> or on*= handler (tests/test_hardening.py scans them).
# style="" attributes stay allowed: the analytics report preview shows the e-mail HTML, which mail
# clients need as inline styles, and CSS in an attribute cannot run script in a current browser;
# user text never reaches a style attribute (autoescaping, and nh3 drops `style` from Markdown).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

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
# Attachments are served only through Backline's permission checks, never by a web server.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Static files (whitenoise): collectstatic writes a content-hashed name for every file, with a .gz
# and, when the `brotli` package is installed, a .br beside it. Whitenoise serves a hashed name
# with "max-age=315360000, public, immutable" (its FOREVER: a changed file gets a new name) and
# a name without a hash, which only stale or hand-written links use, with this short lifetime.
WHITENOISE_MAX_AGE = 0 if DEBUG else 60

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
# Lockout: that many failures for a username in the window lock it for this long (a success
# resets the count; an admin can unlock early with `backline unlock USERNAME` or in the admin).
BACKLINE_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("BACKLINE_LOGIN_LOCKOUT_MINUTES", "15"))

# API rate limits, calls a minute: per token (or per signed-in user of the interactive docs)
# for safe ("read") and changing ("write") calls, and per client address for calls without
# valid credentials. 0 turns a limit off. Counted in the default cache (accounts/ratelimit.py).
BACKLINE_API_RATE_PER_MINUTE = {
    "read": int(os.environ.get("BACKLINE_API_READS_PER_MINUTE", "1200")),
    "write": int(os.environ.get("BACKLINE_API_WRITES_PER_MINUTE", "600")),
    "anonymous": int(os.environ.get("BACKLINE_API_ANONYMOUS_PER_MINUTE", "300")),
}
# Local memory: counters are per server process (see accounts/ratelimit.py); a shared backend
# such as Redis makes them exact across gunicorn workers.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "backline",
        "OPTIONS": {"MAX_ENTRIES": 10000},
    }
}

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
