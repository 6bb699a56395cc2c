"""The `make run` demo: SQLite unless DATABASE_URL says otherwise, tasks in-process.

DEBUG is off unless `DEBUG=1` is set, so the demo shows the product's own Chinese 403, 404 and
500 pages (Django's technical pages list every URL pattern and speak English). Static files are
served by WhiteNoise straight from the project's folders, with or without `collectstatic`.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="demo-only-insecure-key-not-for-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
DEMO_ALLOWED = True
