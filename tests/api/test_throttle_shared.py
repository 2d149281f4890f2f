"""With ``MLTRL_CACHE_URL`` at a Redis, the API throttle's budget lives in Redis:
what one web process spent, another process sees (docs/deployment.md)."""

from __future__ import annotations

import os

import pytest
from django.core.cache import caches

from projects.api.access import CallerThrottle
from tests.api.conftest import token_client


@pytest.mark.redis
def test_the_budget_is_shared_through_redis(org, settings, monkeypatch):
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("needs Redis: set CELERY_BROKER_URL=redis://...")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    monkeypatch.setattr(CallerThrottle, "cache", caches["default"])
    monkeypatch.setattr(CallerThrottle, "rate", "3/min", raising=False)
    client = token_client(org.researcher)
    key = f"throttle_caller_token:{client.token.prefix}"
    try:
        assert [client.get("/api/v1/levels/").status_code for _ in range(3)] == [200] * 3
        # Another process: its own connection to the same Redis, no shared memory.
        import redis
        from django.core.cache.backends.redis import RedisCache

        other = RedisCache(url, {})
        assert len(other.get(key)) == 3
        assert redis.Redis.from_url(url).exists(other.make_key(key))
        assert client.get("/api/v1/levels/").status_code == 429
    finally:
        caches["default"].delete(key)
