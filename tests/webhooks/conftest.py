"""Fixtures of the webhook tests: loopback allowed for receivers, quick retries."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from tests.http_receiver import Receiver
from webhooks.services import subscription_create


@pytest.fixture
def loopback_hooks(settings):
    """Receivers on 127.0.0.1 over http (refused by default), no backoff wait."""
    settings.MLTRL_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.MLTRL_WEBHOOK_BACKOFF_S = 0
    settings.MLTRL_WEBHOOK_MAX_ATTEMPTS = 4
    return settings


@pytest.fixture
def receiver(loopback_hooks):
    with Receiver() as server:
        yield server


def subscribe(org, url, events, *, actor=None, **scope):
    scope = scope or {"project": org.project}
    return subscription_create(actor=actor or org.researcher, url=url, events=events, **scope)


def verify(secret: str, headers: dict, body: bytes, *, tolerance_s: int = 300) -> bool:
    """A receiver's check, written here from docs/api.md (not from webhooks.signing)."""
    timestamp = headers.get("X-Mltrl-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance_s:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(headers.get("X-Mltrl-Signature", ""), "v1=" + expected)
