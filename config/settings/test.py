"""The test suite: always PostgreSQL and Redis, never SQLite."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-secret-key"
DEBUG = False
DATABASES = {"default": env.db("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/pension")}
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_pension")}
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/15")
CELERY_BROKER_URL = REDIS_URL
# Unit tests run tasks in-process; the integration tests start a real worker on Redis, with
# CELERY_TASKS_IN_PROCESS=0 in its environment.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASKS_IN_PROCESS", default=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEMO_ALLOWED = True
# Security events are still formatted (a test reads them) but not printed over the test output.
LOGGING["handlers"]["security"] = {"class": "logging.NullHandler", "formatter": "json"}  # noqa: F405
# Uploaded and generated files of the test run go to a scratch directory, not the working tree.
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"pension-test-media-{env('TEST_DATABASE_NAME', default='test_pension')}"
PRIVATE_FILES_ROOT = MEDIA_ROOT / "private"
# Tests count the home page's figures at every request (one test keeps them, to see the cache work).
REGION_COUNTS_SECONDS = 0
# A batch of two notices or more is processed in two parts (production: a thousand or more), so the
# whole suite credits through the parts; a batch of one notice is one part, as before.
BATCH_PART_MIN_NOTICES = env.int("BATCH_PART_MIN_NOTICES", default=2)
