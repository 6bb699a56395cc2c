"""The `make run` demo: SQLite unless DATABASE_URL says otherwise, tasks in-process."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="demo-only-insecure-key-not-for-production")
DEMO_ALLOWED = True
