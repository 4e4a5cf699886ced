"""SalesOps settings: every value comes from the environment (or a local .env file), with safe
defaults. No DATABASE_URL means SQLite; no REDIS_URL means Celery runs tasks eagerly and the
cache is local memory. DEBUG=false switches on the production hardening that
`manage.py check --deploy` looks for.
"""

import warnings
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (written by `make run`) never overrides variables that are already set.
environ.Env.read_env(env.path("SALESOPS_ENV_FILE", default=BASE_DIR / ".env"), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env(
        "SECRET_KEY", default="dev-only-secret-key-never-used-in-production-0123456789"
    )
else:
    SECRET_KEY = env("SECRET_KEY")  # required in production: no silent default

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "treebeard",
    "django_htmx",
    "salesops",
    "accounts",
    "opportunities",
    "resources",
    "forecasting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "salesops.urls"
WSGI_APPLICATION = "salesops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salesops.context_processors.navigation",
            ],
        },
    },
]

# Database: a SQLite file by default, PostgreSQL from DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server, eager tasks and a shell share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "salesops.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: the browser's Accept-Language picks the default, the switch overrides it.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["salesops.formats"]  # Chinese amounts grouped by thousands, as in English
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# The company's reporting currency; opportunities in other currencies convert to it.
SALESOPS_CURRENCY = env("SALESOPS_CURRENCY", default="CNY")

# Static files: front-end libraries are installed by npm and copied to static/vendor at set-up.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Tests and management commands may run before collectstatic; fall back to unhashed names.
WHITENOISE_MANIFEST_STRICT = False
if DEBUG:
    # Development serves static files from the finders; STATIC_ROOT exists only after
    # collectstatic, and WhiteNoise's warning about it would be noise on every request.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Cache and Celery: Redis when REDIS_URL is set, otherwise in-process.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=900)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Default beat entries; django-celery-beat copies them into the database, where admins edit them.
CELERY_BEAT_SCHEDULE = {
    "recompute-account-tiers": {
        "task": "accounts.tasks.recompute_tiers",
        "schedule": crontab(hour=2, minute=0),
    },
    # The deadline factor of a request's priority changes every day, and tier changes move
    # the tier weight without touching the deal.
    "refresh-presales-priorities": {
        "task": "resources.tasks.refresh_priorities",
        "schedule": crontab(hour=2, minute=30),
    },
    "clear-expired-sessions": {
        "task": "salesops.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
    # Deal control: snapshots and stage statistics first, the forecasts that read them next,
    # then the alerts that read both. Hourly scans catch what time alone changes (no activity,
    # requests waiting beyond their SLA) between the deal edits that trigger a scan.
    "forecasting-snapshots": {
        "task": "forecasting.tasks.recompute_snapshots",
        "schedule": crontab(hour=1, minute=0),
    },
    "forecasting-forecasts": {
        "task": "forecasting.tasks.recompute_forecasts",
        "schedule": crontab(hour=1, minute=30),
    },
    "forecasting-alerts": {
        "task": "forecasting.tasks.scan_alerts",
        "schedule": crontab(hour=1, minute=50),
    },
    "forecasting-alerts-hourly": {
        "task": "forecasting.tasks.scan_alerts",
        "schedule": crontab(hour="7-22", minute=15),
    },
}

# Deal control: a team's own stage statistics are used from this many deals in the sample
# (else the company's); a deal change recomputes its team this many seconds later, so a burst
# of edits costs one run; a job's lock expires after FORECASTING_LOCK_SECONDS, and a job that
# finds its scope locked retries after FORECASTING_RETRY_SECONDS (times its attempt).
FORECASTING_MIN_SAMPLE = env.int("FORECASTING_MIN_SAMPLE", default=20)
FORECASTING_DEBOUNCE_SECONDS = env.int("FORECASTING_DEBOUNCE_SECONDS", default=60)
FORECASTING_LOCK_SECONDS = env.int("FORECASTING_LOCK_SECONDS", default=3600)
FORECASTING_RETRY_SECONDS = env.int("FORECASTING_RETRY_SECONDS", default=30)

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "salesops.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "salesops.api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env("API_TOKEN_THROTTLE", default="20/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SalesOps API",
    "DESCRIPTION": (
        "Read and write SalesOps data: the sales organisation, customers, opportunities, "
        "presales requests, forecasts and alerts. Authenticate with `Authorization: Token <key>` "
        "(get a key from POST /api/v1/auth/token/) or a browser session. Every list is scoped "
        "to what the authenticated user may see."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # An enum is named after the fields that use it. These name the choice sets that share a
    # field name (status, kind, role, source) or that several fields use (tier, high/mid/low).
    "ENUM_NAME_OVERRIDES": {
        "UserRoleEnum": "salesops.choices.Role",
        "TeamKindEnum": "salesops.choices.TeamKind",
        "AccountStatusEnum": "accounts.choices.AccountStatus",
        "TierChangeSourceEnum": "accounts.choices.TierChangeSource",
        "TierEnum": "accounts.choices.Tier",
        "LevelEnum": "accounts.choices.Influence",
        "PurchaseRoleEnum": "accounts.choices.PurchaseRole",
        "OpportunityStatusEnum": "opportunities.choices.OpportunityStatus",
        "ClosingStatusEnum": "opportunities.api.serializers.CLOSING_STATUSES",
        "OpportunitySourceEnum": "opportunities.choices.Source",
        "LostReasonEnum": "opportunities.choices.LostReason",
        "QualificationFactEnum": "opportunities.choices.Qualification",
        "StageChangeKindEnum": "opportunities.choices.StageChangeKind",
        "GateKindEnum": "opportunities.choices.GateKind",
        "GateStatusEnum": "opportunities.choices.GateStatus",
        "ActivityKindEnum": "opportunities.choices.ActivityKind",
        "AidKindEnum": "opportunities.choices.AidKind",
        "CollaboratorRoleEnum": "opportunities.choices.CollaboratorRole",
        "ResourceRequestStatusEnum": "resources.choices.RequestStatus",
        "ResourceRequestTypeEnum": "resources.choices.RequestType",
        "TechOutcomeEnum": "resources.choices.TechOutcome",
        "AlertKindEnum": "forecasting.choices.AlertKind",
        "ScopeKindEnum": "forecasting.choices.ScopeKind",
    },
}

# E-mail: console in development, SMTP (EMAIL_URL) in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="SalesOps <salesops@localhost>")

# Production hardening (DEBUG=false). Each can be relaxed explicitly, e.g. behind a TLS proxy.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
