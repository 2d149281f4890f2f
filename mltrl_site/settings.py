"""Settings, read from the environment through the typed helpers in ``env``.

With nothing set, the project runs on one machine: DEBUG on, SQLite in ``var/``
and Celery's filesystem transport. Production sets ``DEBUG=0``, ``SECRET_KEY``
(or ``SECRET_KEY_FILE``), ``MLTRL_AUDIT_KEY`` (or ``MLTRL_AUDIT_KEY_FILE``),
``ALLOWED_HOSTS``, ``DATABASE_URL`` and ``CELERY_BROKER_URL``; with ``DEBUG=0``
and no secret key or audit key, start-up fails.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    parse_keyring,
)

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
    "notifications",
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
    # The decided-request indexes carry extra columns for index-only scans on
    # PostgreSQL (docs/performance.md); SQLite builds them without, which is fine.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

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
    # At risk: flags and clears from the latest scheduled run (reviews/risk.py).
    "assess-risks": {
        "task": "reviews.assess_risks",
        "schedule": float(env_int("MLTRL_MONITOR_INTERVAL_S", 3600, minimum=60)),
    },
    # The portfolio's bottleneck rollup, rebuilt (reviews/open_slots.py, docs/portfolio.md).
    "rebuild-open-slots": {
        "task": "reviews.rebuild_open_slots",
        "schedule": float(env_int("MLTRL_OPEN_SLOTS_PERIOD_S", 600, minimum=60)),
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

# --- browser UI ---------------------------------------------------------------------
# The site's own stylesheet lives in the top-level static/ folder; pages sign in
# through Django's auth views with the app's templates (templates/registration/).
STATICFILES_DIRS = [BASE_DIR / "static"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reviews:home"
LOGOUT_REDIRECT_URL = "login"
TEMPLATES[0]["OPTIONS"]["context_processors"].append("mltrl_site.context_processors.site")
MLTRL_PAGE_SIZE = env_int("MLTRL_PAGE_SIZE", 25, minimum=1)

# --- audit chain: key, rotation, anchors (docs/deployment.md "The audit record") ----
# Events are HMAC-SHA256 chained with a key the database never holds, so whoever
# can rewrite the tables cannot recompute valid hashes. Each event records the id
# of the key that signed it; earlier keys stay listed (id:key pairs) to verify
# the events they signed.
MLTRL_AUDIT_KEY = env_secret("MLTRL_AUDIT_KEY")
if MLTRL_AUDIT_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "MLTRL_AUDIT_KEY (or MLTRL_AUDIT_KEY_FILE) is required when DEBUG=0."
        )
    MLTRL_AUDIT_KEY = "dev-only-audit-key-do-not-use-in-production-0123456789abcdef"
if not DEBUG and len(MLTRL_AUDIT_KEY) < 32:
    raise ImproperlyConfigured("MLTRL_AUDIT_KEY must be at least 32 characters long.")
MLTRL_AUDIT_KEY_ID = env_str("MLTRL_AUDIT_KEY_ID", "k1")
if ":" in MLTRL_AUDIT_KEY_ID or len(MLTRL_AUDIT_KEY_ID) > 16:
    raise ImproperlyConfigured("MLTRL_AUDIT_KEY_ID must be at most 16 characters, without ':'.")
MLTRL_AUDIT_KEYS_OLD = parse_keyring("MLTRL_AUDIT_KEYS_OLD", env_secret("MLTRL_AUDIT_KEYS_OLD", ""))
if MLTRL_AUDIT_KEY_ID in MLTRL_AUDIT_KEYS_OLD:
    raise ImproperlyConfigured(
        f"MLTRL_AUDIT_KEYS_OLD lists the current key id {MLTRL_AUDIT_KEY_ID!r}; "
        "give the new key a new id."
    )
# Chain heads are appended to this file by beat, outside the database.
MLTRL_AUDIT_ANCHOR_FILE = env_str("MLTRL_AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchors.jsonl"))
MLTRL_AUDIT_ANCHOR_INTERVAL_S = env_int("MLTRL_AUDIT_ANCHOR_INTERVAL_S", 600, minimum=10)
# ... and, when set, POSTed to this receiver as a signed webhook.
MLTRL_AUDIT_ANCHOR_URL = env_str("MLTRL_AUDIT_ANCHOR_URL")
MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS = env_list("MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS", [])
MLTRL_AUDIT_ANCHOR_TIMEOUT_S = env_int("MLTRL_AUDIT_ANCHOR_TIMEOUT_S", 10, minimum=1)
CELERY_BEAT_SCHEDULE["audit-anchor"] = {
    "task": "projects.audit_anchor",
    "schedule": float(MLTRL_AUDIT_ANCHOR_INTERVAL_S),
}
# The least-privilege role web and worker connect as (``manage.py db_roles --apply``,
# run by the migrate step as the owning role, creates and grants it).
MLTRL_APP_DATABASE_URL = env_secret("MLTRL_APP_DATABASE_URL")
# --- end of the audit block ---------------------------------------------------------

# --- notifications (docs/ui.md "Notifications") ------------------------------------
TEMPLATES[0]["OPTIONS"]["context_processors"].append("notifications.context_processors.unread")
# Links in emails start with this address.
MLTRL_SITE_URL = env_str("MLTRL_SITE_URL", "http://127.0.0.1:8000")
# An email still unsent this long after its message has the message sent again.
MLTRL_NOTIFY_RESEND_AFTER_S = env_int("MLTRL_NOTIFY_RESEND_AFTER_S", 300, minimum=1)
# The daily digest lists requests that have waited on a reviewer at least this long.
MLTRL_DIGEST_WAITING_HOURS = env_int("MLTRL_DIGEST_WAITING_HOURS", 48, minimum=1)
CELERY_BEAT_SCHEDULE["notifications-daily-digest"] = {
    "task": "notifications.daily_digest",
    "schedule": float(env_int("MLTRL_DIGEST_PERIOD_S", 86400, minimum=60)),
}
# --- end of the notifications block ----------------------------------------------------

# --- web edge: login throttle (django-axes) and Content-Security-Policy -----------
INSTALLED_APPS += ["axes"]
MIDDLEWARE += [
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes requires
]
AUTHENTICATION_BACKENDS = ["mltrl_site.security.LoginThrottleBackend", *AUTHENTICATION_BACKENDS]
# Failed logins are counted per account and, separately, per client address.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env_int("MLTRL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("MLTRL_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "mltrl_site.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "mltrl_site.security.client_ip"
AXES_VERBOSE = False
# Proxies whose X-Forwarded-For names the client (addresses or networks).
MLTRL_TRUSTED_PROXIES = env_list("MLTRL_TRUSTED_PROXIES", [])
# No inline script or style anywhere: pages load their JS and CSS from static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# --- end of the web edge block ------------------------------------------------------

# --- logging: one line per event -------------------------------------------------
# Everything goes to the root's console handler. Django's "django" logger has a
# console handler of its own under DEBUG and also propagates to the root, which
# printed every request warning twice: here it only propagates. Answers of 4xx
# (a refused or missing admin page) are logged without their traceback.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_error_without_traceback": {
            "()": "mltrl_site.logfilters.ClientErrorWithoutTraceback"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["client_error_without_traceback"],
        }
    },
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # django-axes reports every sign-in and clean-up at INFO; lock-outs are warnings.
        "axes": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- API, push webhooks in, webhooks out (mltrl_site/settings_api.py; docs/api.md) --
from .settings_api import *  # noqa: E402, F403  (their settings, read from the environment)
from .settings_api import (  # noqa: E402
    API_ENUM_NAMES,
    API_REST_FRAMEWORK,
    SIDECAR_SETTINGS,
    WAIVERS_EXPIRING_BEAT,
    key_derived,
)

# Token digests (``MLTRL_TOKEN_KEY``) and webhook signing secrets (``MLTRL_WEBHOOK_KEY``)
# are keyed with their own secret, or one derived from SECRET_KEY when unset.
MLTRL_TOKEN_KEY = key_derived("MLTRL_TOKEN_KEY", SECRET_KEY, "mltrl-api-token-key")
MLTRL_WEBHOOK_KEY = key_derived("MLTRL_WEBHOOK_KEY", SECRET_KEY, "mltrl-webhook-secret-key")
REST_FRAMEWORK.update(API_REST_FRAMEWORK)
INSTALLED_APPS += ["drf_spectacular_sidecar", "webhooks"]
SPECTACULAR_SETTINGS.update(SIDECAR_SETTINGS)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = API_ENUM_NAMES
CELERY_BEAT_SCHEDULE["waivers-expiring"] = WAIVERS_EXPIRING_BEAT
