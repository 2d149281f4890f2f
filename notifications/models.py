"""Notification rows are the truth; an email is a message about a row, sent after commit.

``email_queued_at`` says when the email's Celery message was last sent (or
tried); ``email_sent_at`` when the worker handed the mail to the backend. A
row with the first and not the second is still waiting, and the outbox
dispatcher sends its message again (``notifications.delivery``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    REVIEW_NEEDED = "review_needed", "A request needs your review"
    DECISION = "decision", "A decision on your request"
    CHECKS_FINISHED = "checks_finished", "Checks finished"
    LEVEL_CHANGED = "level_changed", "Level changed"
    DIGEST = "digest", "Requests waiting on you"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    # The audit event that caused it: one notice per person per event, however often
    # the receiver runs.
    event_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_queued_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["email_sent_at", "email_queued_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event_id", "kind"],
                condition=models.Q(event_id__isnull=False),
                name="notification_once_per_event",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class NotificationSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_enabled = models.BooleanField(
        "Send me email", default=True, help_text="In-app notices are always kept."
    )

    def __str__(self) -> str:
        return f"{self.user_id}: email {'on' if self.email_enabled else 'off'}"
