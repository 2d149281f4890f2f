"""Settings of the API, the push webhooks in and the webhooks out (docs/api.md).

Star-imported by ``mltrl_site.settings``, which also applies the pieces that change
its own settings (``REST_FRAMEWORK``, ``INSTALLED_APPS``, the schema, the beat) and
derives the two keys from ``SECRET_KEY`` with ``key_derived``.
"""

from __future__ import annotations

import hashlib
import hmac

from django.core.exceptions import ImproperlyConfigured

from .env import env_int, env_list, env_secret, env_str

__all__ = [
    "CACHES",
    "MLTRL_CACHE_URL",
    "MLTRL_GITHUB_WEBHOOK_SECRET",
    "MLTRL_GITLAB_WEBHOOK_TOKEN",
    "MLTRL_WAIVER_EXPIRING_HOURS",
    "MLTRL_WEBHOOK_ALLOWED_HOSTS",
    "MLTRL_WEBHOOK_BACKOFF_MAX_S",
    "MLTRL_WEBHOOK_BACKOFF_S",
    "MLTRL_WEBHOOK_MAX_ATTEMPTS",
    "MLTRL_WEBHOOK_RESEND_AFTER_S",
    "MLTRL_WEBHOOK_TIMEOUT_S",
]


def key_derived(name: str, secret_key: str, label: str) -> str:
    """The secret ``name`` (or ``name_FILE``), else HMAC-SHA256(SECRET_KEY, label).

    Changing it invalidates what it keys (API tokens: people create new ones;
    webhook secrets: every subscription's secret changes).
    """
    key = (
        env_secret(name)
        or hmac.new(secret_key.encode(), label.encode(), hashlib.sha256).hexdigest()
    )
    if len(key) < 32:
        raise ImproperlyConfigured(f"{name} must be at least 32 characters long.")
    return key


# --- API: authentication, pagination, throttling, errors ---------------------------
API_REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "projects.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # JSON nested too deeply for the decoder is a 400 parse_error, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "projects.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "projects.api.access.Pagination",
    "DEFAULT_THROTTLE_CLASSES": ["projects.api.access.CallerThrottle"],
    "DEFAULT_THROTTLE_RATES": {"caller": env_str("MLTRL_API_RATE", "1200/min")},
    "EXCEPTION_HANDLER": "projects.api.errors.exception_handler",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "projects.api.ordering.StrictOrderingFilter",
    ],
    "PAGE_SIZE": 50,
}
# Django's cache holds the API throttle's budgets. Unset: local memory, one cache per
# process, so with several gunicorn workers each has its own budget. Production sets
# a shared Redis (docs/deployment.md "API throttle").
MLTRL_CACHE_URL = env_str("MLTRL_CACHE_URL")
if MLTRL_CACHE_URL and not MLTRL_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"MLTRL_CACHE_URL={MLTRL_CACHE_URL!r} is not a Redis URL; use redis://host:6379/1."
    )
if MLTRL_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": MLTRL_CACHE_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- the schema: Swagger UI and Redoc from the sidecar's static files (no CDN) --------
SIDECAR_SETTINGS = {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
API_ENUM_NAMES = {
    "LevelEnum": "projects.levels.Level",
    "RequestStateEnum": "reviews.models.RequestState",
    "RequestKindEnum": "reviews.models.RequestKind",
    "OpenKindEnum": ["advance", "switchback"],
    "GateItemStateEnum": ["pass", "waived", "failing", "missing"],
    "CheckRunStatusEnum": "gates.models.CheckRunStatus",
    "CheckOutcomeEnum": "gates.models.CheckOutcome",
    "ProjectStatusEnum": "projects.models.ProjectStatus",
    "WebhookEventEnum": "webhooks.models.WebhookEvent",
    "DeliveryStatusEnum": "webhooks.models.DeliveryStatus",
}

# --- push webhooks in (docs/api.md "Push webhooks"): unset refuses every delivery -----
MLTRL_GITHUB_WEBHOOK_SECRET = env_secret("MLTRL_GITHUB_WEBHOOK_SECRET")
MLTRL_GITLAB_WEBHOOK_TOKEN = env_secret("MLTRL_GITLAB_WEBHOOK_TOKEN")

# --- webhooks out (docs/api.md "Webhooks out") ----------------------------------------
# Hosts that may use http and resolve to internal addresses (empty: https to
# global addresses only, like repository URLs).
MLTRL_WEBHOOK_ALLOWED_HOSTS = env_list("MLTRL_WEBHOOK_ALLOWED_HOSTS", [])
MLTRL_WEBHOOK_TIMEOUT_S = env_int("MLTRL_WEBHOOK_TIMEOUT_S", 10, minimum=1)
MLTRL_WEBHOOK_MAX_ATTEMPTS = env_int("MLTRL_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
# Attempt n waits BACKOFF_S * 2**(n-1) seconds after attempt n-1, at most BACKOFF_MAX_S.
MLTRL_WEBHOOK_BACKOFF_S = env_int("MLTRL_WEBHOOK_BACKOFF_S", 30, minimum=0)
MLTRL_WEBHOOK_BACKOFF_MAX_S = env_int("MLTRL_WEBHOOK_BACKOFF_MAX_S", 3600, minimum=1)
# A delivery due this long ago whose message never came is sent again (outbox).
MLTRL_WEBHOOK_RESEND_AFTER_S = env_int("MLTRL_WEBHOOK_RESEND_AFTER_S", 300, minimum=1)
# Waivers expiring within this many hours are announced once (``waiver.expiring``),
# by a beat task every MLTRL_WAIVER_SCAN_PERIOD_S.
MLTRL_WAIVER_EXPIRING_HOURS = env_int("MLTRL_WAIVER_EXPIRING_HOURS", 72, minimum=1)
WAIVERS_EXPIRING_BEAT = {
    "task": "reviews.announce_expiring_waivers",
    "schedule": float(env_int("MLTRL_WAIVER_SCAN_PERIOD_S", 3600, minimum=60)),
}
