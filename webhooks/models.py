"""Webhook subscriptions, their deliveries and each delivery's attempts.

A subscription belongs to one team (every project the team owns) or one project.
Its signing secret is never stored: the row keeps a random ``secret_seed`` and
the secret is HMAC-SHA256(``MLTRL_WEBHOOK_KEY``, seed) (``webhooks.signing``).

A delivery is written in the transaction of the audit event it reports and is
the truth about it; the Celery message that sends it is only the bell
(``webhooks.delivery``). ``status`` moves pending -> sending -> delivered, or
back to pending with ``next_attempt_at`` after a failed attempt, or to failed
after the last one. Each attempt leaves a ``WebhookAttempt`` row (the log).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from projects.models import Project, Team


class WebhookEvent(models.TextChoices):
    LEVEL_CHANGED = "level.changed", "A project's granted level changed"
    REQUEST_OPENED = "request.opened", "A level-change request was submitted for review"
    REQUEST_DECIDED = "request.decided", "A request was approved or rejected"
    CHECK_RUN_FINISHED = "check_run.finished", "A check run finished (succeeded or failed)"
    WAIVER_EXPIRING = "waiver.expiring", "A waiver expires soon"


class WebhookSubscription(models.Model):
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="webhooks"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="webhooks"
    )
    url = models.CharField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    secret_seed = models.CharField(max_length=64)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=True, project__isnull=False)
                | models.Q(team__isnull=False, project__isnull=True),
                name="webhook_team_xor_project",
            )
        ]

    def __str__(self) -> str:
        return f"webhook {self.pk} -> {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its next attempt"
    SENDING = "sending", "Being sent"
    DELIVERED = "delivered", "Delivered (2xx)"
    FAILED = "failed", "Failed after the last attempt"


class WebhookDelivery(models.Model):
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=40)
    event_id = models.BigIntegerField(null=True, blank=True)  # the audit event reported
    body = models.TextField()  # the exact JSON sent (signed as is on every attempt)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    queued_at = models.DateTimeField(null=True, blank=True)  # its message last sent
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)  # of the last attempt
    error = models.TextField(blank=True)  # of the last attempt
    redelivery_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} -> {self.subscription_id} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    address = models.CharField(max_length=64, blank=True)  # where it connected
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # the first RESPONSE_KEPT characters
    error = models.TextField(blank=True)

    RESPONSE_KEPT = 2000

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_once")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
