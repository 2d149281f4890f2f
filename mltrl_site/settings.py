"""Settings, read from the environment through the typed helpers in ``env``.

With nothing set, the project runs on one machine: DEBUG on, SQLite in ``var/``
and Celery's filesystem transport. Production sets ``DEBUG=0``, ``SECRET_KEY``
(or ``SECRET_KEY_FILE``), ``ALLOWED_HOSTS``, ``DATABASE_URL`` and
``CELERY_BROKER_URL``; with ``DEBUG=0`` and no secret key, start-up fails.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .env import database_from_url, env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MLTRL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_secret("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG=0.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "guardian",
    "projects",
    "gates",
    "reviews",
    "portfolio",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "mltrl_site.urls"
WSGI_APPLICATION = "mltrl_site.wsgi.application"

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

_database_url = env_secret("DATABASE_URL")  # or DATABASE_URL_FILE (it holds a password)
DATABASES = {
    "default": database_from_url(_database_url)
    if _database_url
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "mltrl.sqlite3")}
}
if not _database_url:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The one-machine default serves a web server and a worker at once: WAL lets
    # readers and a writer work together, IMMEDIATE transactions take the write
    # lock up front (no "database is locked" on upgrade), writers wait 20 s for
    # each other, and NORMAL sync is safe with WAL while skipping most fsyncs.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous sees nothing.
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env_bool("MLTRL_FAST_PASSWORD_HASHER", False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- security (production values when DEBUG=0) --------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- email ----------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "mltrl@localhost")

# --- Celery ---------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery-queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
        # The transport polls its folder; the default 1 s makes a queue drain slowly.
        "polling_interval": 0.1,
    }
    # Enqueueing writes into these folders: they must exist before the first task.
    for _folder in ("celery-queue", "celery-processed", "celery-control"):
        (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"gates.*": {"queue": "checks"}}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Unacknowledged tasks return to the queue after this long: well above the
    # hard time limit, so a slow run is never delivered twice while alive.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": max(3600, CELERY_TASK_TIME_LIMIT * 4)}
CELERY_BEAT_SCHEDULE = {
    "reap-stale-check-runs": {
        "task": "gates.reap_stale_runs",
        "schedule": float(env_int("MLTRL_RUN_REAP_PERIOD_S", 60, minimum=1)),
    },
    "monitoring-check-runs": {
        "task": "gates.schedule_monitoring_runs",
        "schedule": float(env_int("MLTRL_MONITOR_INTERVAL_S", 3600, minimum=60)),
    },
}

# --- REST framework -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mltrl API",
    "DESCRIPTION": "Machine Learning Technology Readiness Levels: projects, gates and reviews.",
    "VERSION": "0.1.0",
}

# --- mltrl ----------------------------------------------------------------------
# Repository URLs: allowed schemes, and hosts that may resolve to loopback/private
# addresses (normally refused). ``MLTRL_GIT_FILE_ROOT`` allows file:// URLs under
# exactly that folder (the offline demo repositories).
MLTRL_GIT_ALLOWED_SCHEMES = env_list("MLTRL_GIT_ALLOWED_SCHEMES", ["https", "ssh", "git"])
MLTRL_GIT_ALLOWED_HOSTS = env_list("MLTRL_GIT_ALLOWED_HOSTS", [])
MLTRL_GIT_FILE_ROOT = env_str("MLTRL_GIT_FILE_ROOT", str(VAR_DIR / "demo-repos") if DEBUG else None)
# Cached bare mirrors, and the limits every fetch and check run respects.
MLTRL_GIT_MIRROR_DIR = env_str("MLTRL_GIT_MIRROR_DIR", str(VAR_DIR / "git-mirrors"))
MLTRL_GIT_TIMEOUT_S = env_int("MLTRL_GIT_TIMEOUT_S", 120, minimum=1)
# Blobs above this are never downloaded; they are exactly the oversized files
# (a repository's .mltrl.toml max_file_bytes can lower the threshold, not raise it).
MLTRL_GIT_MAX_BLOB_BYTES = env_int("MLTRL_GIT_MAX_BLOB_BYTES", 10_000_000, minimum=1)
MLTRL_GIT_MAX_FILES = env_int("MLTRL_GIT_MAX_FILES", 100_000, minimum=1)
MLTRL_GIT_MAX_MIRROR_BYTES = env_int("MLTRL_GIT_MAX_MIRROR_BYTES", 2_000_000_000, minimum=1)
# Check runs: heartbeat, when a silent run counts as dead, how often a run may be
# started before it is given up (poison), and from which level runs are scheduled.
MLTRL_RUN_HEARTBEAT_S = env_int("MLTRL_RUN_HEARTBEAT_S", 5, minimum=1)
MLTRL_RUN_HEARTBEAT_TIMEOUT_S = env_int("MLTRL_RUN_HEARTBEAT_TIMEOUT_S", 60, minimum=2)
MLTRL_RUN_MAX_ATTEMPTS = env_int("MLTRL_RUN_MAX_ATTEMPTS", 6, minimum=1)
MLTRL_RUN_FLUSH_S = env_int("MLTRL_RUN_FLUSH_S", 1, minimum=0)  # results/progress write cadence
MLTRL_MONITOR_FROM_LEVEL = env_int("MLTRL_MONITOR_FROM_LEVEL", 7, minimum=0)

# --- Outbox dispatcher (mltrl_site/outbox.py; docs/deployment.md) ----------------
# Beat runs the dispatcher every MLTRL_OUTBOX_PERIOD_S; it sends again the message
# of a check run still queued MLTRL_RUN_RESEND_AFTER_S after its last one (lost by
# a broker outage or restart). The per-repository facts cache is capped in bytes.
MLTRL_OUTBOX_PERIOD_S = env_int("MLTRL_OUTBOX_PERIOD_S", 60, minimum=1)
MLTRL_RUN_RESEND_AFTER_S = env_int("MLTRL_RUN_RESEND_AFTER_S", 300, minimum=1)
MLTRL_FACTS_MAX_BYTES = env_int("MLTRL_FACTS_MAX_BYTES", 64_000_000, minimum=0)
CELERY_BEAT_SCHEDULE["outbox-dispatch"] = {
    "task": "mltrl.outbox_dispatch",
    "schedule": float(MLTRL_OUTBOX_PERIOD_S),
    # A pass that waited a whole period in a backed-up queue is superseded by the next.
    "options": {"expires": float(MLTRL_OUTBOX_PERIOD_S)},
}
# Worker and beat wait for a broker that is down for as long as it takes (the
# default gives up after 100 tries and the process exits); a web request's
# send still fails within a second (task publish retry policy) and is logged.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
