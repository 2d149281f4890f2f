"""Secrets and signatures of outgoing webhooks (docs/api.md "Webhooks out").

The secret a receiver holds is ``whsec_`` + hex HMAC-SHA256(``MLTRL_WEBHOOK_KEY``,
seed), where the random seed is the only thing stored: a copy of the table
alone cannot sign. Each request carries

- ``X-Mltrl-Timestamp``: Unix seconds at sending time;
- ``X-Mltrl-Signature``: ``v1=`` + hex HMAC-SHA256(secret, "<timestamp>.<body>");
- ``X-Mltrl-Event``: the event name; ``X-Mltrl-Delivery``: the delivery's UUID.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 (a marker, not a secret)


def secret_seed_new() -> str:
    return secrets.token_hex(32)


def signing_secret(seed: str) -> str:
    """The subscription's secret (shown once at creation; recomputed to sign)."""
    key = settings.MLTRL_WEBHOOK_KEY.encode()
    digest = hmac.new(key, f"mltrl-webhook.{seed}".encode(), hashlib.sha256).hexdigest()
    return SECRET_PREFIX + digest


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex>``: HMAC-SHA256 with the secret over ``b"<timestamp>." + body``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(*, seed: str, timestamp: int, body: bytes, event: str, uid: str) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "mltrl-webhooks/1",
        "X-Mltrl-Event": event,
        "X-Mltrl-Delivery": uid,
        "X-Mltrl-Timestamp": str(timestamp),
        "X-Mltrl-Signature": signature(signing_secret(seed), timestamp, body),
    }
