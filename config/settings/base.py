"""Settings shared by every environment. Everything that varies comes from the environment."""

import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "insured",
    "payments",
    "subsidy",
    "collective",
    "refunds",
    "collection",
    "oversight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "insured.middleware.IdleSessionMiddleware",
    "insured.middleware.ChineseFirstLocaleMiddleware",
    "insured.middleware.RefuseControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "insured.access.DenyUnlessDeclaredMiddleware",
    # Last, as django-axes asks: it turns a lockout into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "insured.access.staff_context",
            ],
            # Money and dates are written one way everywhere (insured.formats).
            "builtins": ["insured.templatetags.formats", "insured.templatetags.pages"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'demo.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# How long a web worker keeps its database connection between requests (production: 60 s). Each
# new PostgreSQL connection is a server process started and authenticated: under twenty clerks on
# two cores that was a fork per page.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers queue on the write lock instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out user and address before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    # Staff by password; a machine client (the tax bureau's system) never logs in.
    "insured.auth.StaffBackend",
]

# Password guessing (django-axes): after 5 failures for one user from one address, that pair is
# locked out for an hour; every failure and lockout is logged (the "security" logger).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The page for the login form, the API's error shape for the token endpoint.
AXES_LOCKOUT_CALLABLE = "insured.api_errors.lockout"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)

# Counter PCs are shared: a session ends after 30 idle minutes and when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# Idle time, not time since login: insured.middleware.IdleSessionMiddleware moves the end with each
# request and writes the session again at most once a minute (not on every page).
SESSION_TOUCH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "insured:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# ISO first among the date input formats, so a date field renders as <input type="date"> accepts it.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploaded lists, minutes and the files background jobs make: never served as media, only
# through views that check who asks (insured.files).
PRIVATE_FILES_ROOT = env.path("PRIVATE_FILES_ROOT", default=str(Path(str(MEDIA_ROOT)) / "private"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Hashed tokens that expire (django-rest-knox), for the roles whose systems use the API.
        # First, because DRF answers a missing or bad credential with the first class's challenge:
        # 401 with `WWW-Authenticate: Token` (session authentication has none, and would make it 403).
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="600/minute"),
        "token": env("API_THROTTLE_TOKEN", default="10/minute"),
        "tax": env("API_THROTTLE_TAX", default="1200/minute"),
    },
    # No permission named means no access: every API view must name its capability.
    "DEFAULT_PERMISSION_CLASSES": ["insured.access.DenyAll"],
    # Error answers, roles and text constraints on every operation (issue 17).
    "DEFAULT_SCHEMA_CLASS": "insured.api_schema.PensionAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "insured.api_query.Pagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "insured.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "城乡居民基本养老保险经办系统 API",
    "DESCRIPTION": "Resident basic pension agency system: registry and personal accounts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The one error shape as a component, and links from a list to its objects (insured.api_schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "insured.api_schema.postprocess_error_component",
        "insured.api_schema.postprocess_links",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PersonStatusEnum": "insured.models.InsuredPerson.Status",
        "BatchStatusEnum": "payments.models.NoticeBatch.Status",
        "SponsorshipStatusEnum": "subsidy.models.SponsorshipApplication.Status",
        "SupportKindEnum": "collective.models.Filing.Kind",
        "RosterStatusEnum": "collective.models.Roster.Status",
        "RefundStatusEnum": "refunds.models.RefundApplication.Status",
        "RefundRelationEnum": "refunds.models.RefundApplication.Relation",
        "SponsorRelationEnum": "subsidy.models.SponsorshipApplication.Relation",
        "EntryKindEnum": "insured.models.AccountEntry.Kind",
    },
}

REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker (the demo) tasks run in-process, so the demo needs no Redis.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died unacknowledged is handed out again after this many seconds; it
# must exceed the longest batch's processing time (50,000 notices: well under a minute). The
# sweep hands a batch whose worker died to another within half a minute anyway.
# Redis looks for such tasks every interval × throttle seconds (kombu's defaults: 10 × 10).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_RESTORE_THROTTLE", default=10),
}
# A cache shared by every web worker when CACHE_URL names a Redis (production: the broker's, see
# production.py); otherwise each process keeps its own.
CACHE_URL = env("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
# How long the home page's figures of a region are kept before they are counted again.
REGION_COUNTS_SECONDS = env.int("REGION_COUNTS_SECONDS", default=60)
# How long after a batch its villages' progress is counted again: batches arriving meanwhile are
# counted in the same refresh.
PROGRESS_REFRESH_DELAY_SECONDS = env.int("PROGRESS_REFRESH_DELAY_SECONDS", default=15)
CELERY_BEAT_SCHEDULE = {
    # Every few seconds: a batch whose hand-over to a worker was lost waits half a minute, not minutes.
    "redispatch-waiting-batches": {
        "task": "payments.tasks.redispatch_waiting_batches",
        "schedule": env.float("BATCH_SWEEP_SECONDS", default=10.0),
    },
    "reconcile-yesterday": {"task": "payments.tasks.reconcile_yesterday", "schedule": crontab(hour=2, minute=30)},
    # The progress summary counted again (this year and last, every county); after each batch the
    # village years it paid are marked and counted again together, PROGRESS_REFRESH_DELAY_SECONDS
    # later; the sweep counts marks whose queued refresh was lost.
    "refresh-progress": {"task": "oversight.tasks.refresh_progress", "schedule": crontab(minute="*/30")},
    "refresh-stale-progress": {"task": "oversight.tasks.refresh_stale", "schedule": 60.0},
    "refresh-coverage": {"task": "oversight.tasks.refresh_coverage", "schedule": crontab(hour=1, minute=15)},
    # 003 六(二): the weekly progress report of every county, for the week that ended on Sunday.
    "weekly-reports": {"task": "oversight.tasks.weekly_reports", "schedule": crontab(hour=6, minute=0, day_of_week=1)},
    # Daily, so a missed night is caught up; it acts only once a year has ended (000 四).
    # 003 六(三) 每月比对, 动态清零: monthly, the government-paid receivables of every county (each list
    # import generates its own at once; this catches memberships entered otherwise).
    "gov-paid-receivables": {
        "task": "collection.tasks.gov_paid_generate_all",
        "schedule": crontab(day_of_month="1", hour=3, minute=45),
    },
    "void-expired-sponsorships": {
        "task": "subsidy.tasks.void_expired_sponsorships",
        "schedule": crontab(hour=0, minute=30),
    },
}
# Django's small default for every request body; only the tax push reads more, after it has
# identified the client and checked the declared length (payments.api): a batch of up to 50,000
# notices is about 25 MB of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
TAX_BATCH_MAX_BYTES = env.int("TAX_BATCH_MAX_BYTES", default=40 * 1024 * 1024)

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=env.int("API_TOKEN_HOURS", default=8)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# No inline script anywhere (static/js/app.js holds the pages' only script); styles may be inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Security events (logins, failures, lockouts, refusals) go to the "security" logger as one JSON
# object a line, which an operator can ship as it is; library chatter stays below INFO; a refused
# or missing page is one line, without the traceback Django attaches (config.logformat).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logformat.JsonFormatter"}},
    "filters": {"one_line_refusal": {"()": "config.logformat.OneLineRefusal"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "security": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "security": {"handlers": ["security"], "level": "INFO", "propagate": False},
        "django.request": {"filters": ["one_line_refusal"]},
        # Retries, failed and re-dispatched batches: one JSON line each, like the security events.
        "operations": {"handlers": ["security"], "level": "INFO", "propagate": False},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The key that encrypts secrets at rest (insured.secrets_box): a Fernet key
# (`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")

# Whether load_demo and demo_notice_batch may run (their users and secrets are public): dev and test only.
DEMO_ALLOWED = env.bool("DEMO_ALLOWED", default=False)

# A waiting batch is handed to a worker again when its last hand-over is this old and nobody works on it.
BATCH_REDISPATCH_AFTER_SECONDS = env.int("BATCH_REDISPATCH_AFTER_SECONDS", default=30)

# A batch of at least BATCH_PART_MIN_NOTICES notices is processed in BATCH_PARTS parts, each a set of
# persons, as separate tasks: as many as the crediting workers (docker-compose runs two), so they
# credit one batch side by side. A smaller batch is one part. PostgreSQL only (the parts are locked
# apart); at most 16.
BATCH_PARTS = env.int("BATCH_PARTS", default=2)
BATCH_PART_MIN_NOTICES = env.int("BATCH_PART_MIN_NOTICES", default=1000)

# The person list counts its rows no further than this; past it, it says "more than" and pages
# through these first rows (insured/paging.py: an exact count of a county's million persons cost most
# of the page's time).
LIST_COUNT_CAP = env.int("LIST_COUNT_CAP", default=10_000)

# /healthz answers 503 when a batch has waited longer than this to be processed.
HEALTH_WAITING_LIMIT_SECONDS = env.int("HEALTH_WAITING_LIMIT_SECONDS", default=120)

# The agency this installation serves; printed on forms.
AGENCY_NAME = env("AGENCY_NAME", default="演示县社会保险事业服务中心")
