"""API tokens: a person's credential for pipelines (docs/api.md "Tokens").

A token is shown once. The database keeps a short lookup prefix and an
HMAC-SHA256 of the secret part keyed with ``MLTRL_TOKEN_KEY`` (a setting from
the environment), never the secret: a copy of the table cannot be replayed.
The projects a token is restricted to are kept as a list of ids on the row so
that authenticating a request stays one query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TokenScope(models.TextChoices):
    READ = "read", "Read everything the user may see"
    EVIDENCE_WRITE = "evidence:write", "Post CI evidence for commits"
    REQUESTS_WRITE = "requests:write", "Open, withdraw and resubmit level-change requests"
    WEBHOOKS_WRITE = "webhooks:write", "Manage webhook subscriptions"


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    # Empty: every project the user may see; else only these project ids.
    project_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_live(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """The answer given to a write sent with an ``Idempotency-Key`` header.

    The same key (per user) with the same body on the same endpoint replays the
    stored answer; with a different body or on another endpoint it is refused (409).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    # "<METHOD> <path>" of the first write; "" on records older than this column,
    # which therefore never replay.
    endpoint = models.TextField(default="")
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"


class WebhookReceipt(models.Model):
    """An incoming webhook delivery already processed (replay protection)."""

    source = models.CharField(max_length=16)  # "github", "gitlab"
    delivery_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "delivery_id"], name="webhookreceipt_unique_delivery"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.delivery_id}"
