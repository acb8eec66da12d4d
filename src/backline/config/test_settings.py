"""Settings for the test suite: the normal settings with a test database and fast hashing.

BACKLINE_TEST_DATABASE_URL selects the database (PostgreSQL in CI's second pass); SQLite otherwise.
"""

import os
import tempfile

os.environ.setdefault("BACKLINE_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("BACKLINE_DATA_DIR", tempfile.mkdtemp(prefix="backline-test-"))
if os.environ.get("BACKLINE_TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["BACKLINE_TEST_DATABASE_URL"]
else:
    os.environ.pop("DATABASE_URL", None)

from backline.config.settings import *  # noqa: F403
from backline.config.settings import DATA_DIR, DATABASES, STATIC_ROOT

# Argon2 is deliberately slow; the suite logs in hundreds of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: browser tests use a live server thread that must see the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
# Background tasks (log processing) run at once, in the request that queued them, so tests and
# the browser see their outcome without a worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
